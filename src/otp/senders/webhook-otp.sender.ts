import { Logger } from '@nestjs/common';
import { request } from 'undici';
import { OtpDeliveryError, errorMessage } from '../../common/errors';
import { OtpMessage, OtpSender } from './otp-sender';

export interface WebhookOptions {
  url: string;
  authorization?: string;
  timeoutMs: number;
}

/** POSTs `{to, code, text, channel}` as JSON to an SMS (or mail) gateway of the owner's choice. */
export class WebhookOtpSender extends OtpSender {
  private readonly logger = new Logger('OtpWebhookSender');

  constructor(private readonly options: WebhookOptions) {
    super();
  }

  async send(message: OtpMessage): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.authorization) headers.authorization = this.options.authorization;
    try {
      const response = await request(this.options.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ to: message.to, code: message.code, text: message.text, channel: message.channel }),
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await response.body.dump();
      if (response.statusCode < 200 || response.statusCode >= 300) {
        this.logger.error(`OTP webhook answered HTTP ${response.statusCode}`);
        throw new OtpDeliveryError();
      }
    } catch (error) {
      if (error instanceof OtpDeliveryError) throw error;
      this.logger.error(`OTP webhook failed: ${errorMessage(error)}`);
      throw new OtpDeliveryError();
    }
  }
}
