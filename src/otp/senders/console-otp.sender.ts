import { Logger } from '@nestjs/common';
import { OtpMessage, OtpSender } from './otp-sender';

/** Development only (refused in production by the config): prints the code in one marked line. */
export class ConsoleOtpSender extends OtpSender {
  private readonly logger = new Logger('OtpConsoleSender');

  constructor() {
    super();
    this.logger.warn('OTP_SENDER=console: codes are printed to this log, for development only');
  }

  send(message: OtpMessage): Promise<void> {
    this.logger.warn(`[DEVELOPMENT ONLY, not sent] ${message.channel} code for ${message.to}: ${message.code}`);
    return Promise.resolve();
  }
}
