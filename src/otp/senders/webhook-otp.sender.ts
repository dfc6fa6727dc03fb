import { Logger } from '@nestjs/common';
import { request } from 'undici';
import { OtpDeliveryError, errorMessage } from '../../common/errors';
import { newWebhookId, signedWebhookHeaders } from '../../hooks/standard-webhooks';
import { Clock } from '../../common/clock';
import { OtpMessage, OtpSender } from './otp-sender';

export interface WebhookOptions {
  url: string;
  authorization?: string;
  timeoutMs: number;
  /** OTP_WEBHOOK_SECRET's key: each call is signed as Standard Webhooks asks (webhook-id, -timestamp, -signature). */
  signingKey?: Buffer;
  /** The time of the signature; the system's when not given. */
  clock?: Clock;
}

/**
 * POSTs `{to, code, text, channel}` as JSON to an SMS (or mail) gateway of the owner's choice; signed
 * when OTP_WEBHOOK_SECRET is set, so the gateway can tell our calls from forged ones.
 */
export class WebhookOtpSender extends OtpSender {
  private readonly logger = new Logger('OtpWebhookSender');

  constructor(private readonly options: WebhookOptions) {
    super();
  }

  async send(message: OtpMessage): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.authorization) headers.authorization = this.options.authorization;
    const body = JSON.stringify({ to: message.to, code: message.code, text: message.text, channel: message.channel });
    if (this.options.signingKey) {
      const nowMs = this.options.clock?.nowMs() ?? Date.now();
      Object.assign(headers, signedWebhookHeaders(this.options.signingKey, newWebhookId(), Math.floor(nowMs / 1000), body));
    }
    try {
      const response = await request(this.options.url, {
        method: 'POST',
        headers,
        body,
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
