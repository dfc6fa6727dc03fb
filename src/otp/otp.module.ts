import { Logger, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { emailConfig, otpConfig } from '../config';
import { hooksConfig } from '../config/hooks.config';
import { OtpRepository } from './otp.repository';
import { OtpService } from './otp.service';
import { SmsSendPolicy } from './sms-send-policy';
import { TestNumbers } from './test-numbers';
import { OtpSender } from './senders/otp-sender';
import { selectOtpSender } from './senders/select-otp-sender';

@Module({
  providers: [
    OtpRepository,
    OtpService,
    SmsSendPolicy,
    TestNumbers,
    {
      provide: OtpSender,
      inject: [otpConfig.KEY, emailConfig.KEY, hooksConfig.KEY, Clock],
      useFactory: (otp: ConfigType<typeof otpConfig>, email: ConfigType<typeof emailConfig>, hooks: ConfigType<typeof hooksConfig>, clock: Clock): OtpSender => {
        if (otp.ephemeralSecret) {
          new Logger('OtpModule').warn('OTP_SECRET is not set: using a random key, so pending codes die on restart');
        }
        return selectOtpSender(otp, email, hooks.otpWebhookKey ? { key: hooks.otpWebhookKey, clock } : undefined);
      },
    },
  ],
  exports: [OtpService, TestNumbers],
})
export class OtpModule {}
