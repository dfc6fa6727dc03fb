import { Logger, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { otpConfig } from '../config';
import { OtpRepository } from './otp.repository';
import { OtpService } from './otp.service';
import { ConsoleOtpSender } from './senders/console-otp.sender';
import { OtpSender } from './senders/otp-sender';
import { WebhookOtpSender } from './senders/webhook-otp.sender';

@Module({
  providers: [
    OtpRepository,
    OtpService,
    {
      provide: OtpSender,
      inject: [otpConfig.KEY],
      useFactory: (config: ConfigType<typeof otpConfig>): OtpSender => {
        if (config.ephemeralSecret) {
          new Logger('OtpModule').warn('OTP_SECRET is not set: using a random key, so pending codes die on restart');
        }
        switch (config.sender) {
          case 'console':
            return new ConsoleOtpSender();
          case 'webhook':
            // The config refuses webhook without a URL.
            return new WebhookOtpSender({ ...config.webhook, url: config.webhook.url ?? '' });
        }
      },
    },
  ],
  exports: [OtpService],
})
export class OtpModule {}
