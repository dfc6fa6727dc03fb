import { Logger, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { emailConfig, otpConfig } from '../config';
import { OtpRepository } from './otp.repository';
import { OtpService } from './otp.service';
import { SmsSendPolicy } from './sms-send-policy';
import { ConsoleOtpSender } from './senders/console-otp.sender';
import { OtpSender } from './senders/otp-sender';
import { RoutingOtpSender } from './senders/routing-otp.sender';
import { SmtpOtpSender } from './senders/smtp-otp.sender';
import { WebhookOtpSender } from './senders/webhook-otp.sender';

@Module({
  providers: [
    OtpRepository,
    OtpService,
    SmsSendPolicy,
    {
      provide: OtpSender,
      inject: [otpConfig.KEY, emailConfig.KEY],
      useFactory: (otp: ConfigType<typeof otpConfig>, email: ConfigType<typeof emailConfig>): OtpSender => {
        if (otp.ephemeralSecret) {
          new Logger('OtpModule').warn('OTP_SECRET is not set: using a random key, so pending codes die on restart');
        }
        const consoleSender = otp.sender === 'console' || email.sender === 'console' ? new ConsoleOtpSender() : undefined;
        // The config refuses webhook without a URL and smtp without SMTP_URL.
        const sms = otp.sender === 'webhook' ? new WebhookOtpSender({ ...otp.webhook, url: otp.webhook.url ?? '' }) : consoleSender;
        const mail = email.sender === 'smtp' ? new SmtpOtpSender(email.smtpUrl ?? '', email.from) : consoleSender;
        return new RoutingOtpSender(sms ?? new ConsoleOtpSender(), mail ?? new ConsoleOtpSender());
      },
    },
  ],
  exports: [OtpService],
})
export class OtpModule {}
