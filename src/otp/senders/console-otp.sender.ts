import { Logger } from '@nestjs/common';
import { OtpMessage, OtpSender } from './otp-sender';

/** The setting that chose this sender, named in its start-up warning. */
export type ConsoleSenderSetting = 'OTP_SENDER' | 'EMAIL_SENDER';

/** Development only (refused in production by the config): prints the code in one marked line. */
export class ConsoleOtpSender extends OtpSender {
  private readonly logger = new Logger('OtpConsoleSender');

  /** `settings`: the settings set to `console` that route codes here, for the start-up warning. */
  constructor(settings: readonly ConsoleSenderSetting[]) {
    super();
    const which = settings.map((setting) => `${setting}=console`).join(' and ');
    this.logger.warn(`${which}: codes are printed to this log, for development only`);
  }

  send(message: OtpMessage): Promise<void> {
    this.logger.warn(`[DEVELOPMENT ONLY, not sent] ${message.channel} code for ${message.to}: ${message.code}`);
    return Promise.resolve();
  }
}
