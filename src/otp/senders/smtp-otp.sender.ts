import { Logger } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { errorMessage, OtpDeliveryError } from '../../common/errors';
import { OtpMessage, OtpSender } from './otp-sender';

/** Sends codes by email through an SMTP server (`SMTP_URL`), with nodemailer's pooled transport. */
export class SmtpOtpSender extends OtpSender {
  private readonly logger = new Logger('OtpSmtpSender');
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    super();
    this.transport = createTransport(smtpUrl);
  }

  async send(message: OtpMessage): Promise<void> {
    try {
      await this.transport.sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text });
    } catch (error) {
      // nodemailer's errors name the server and the SMTP reply, never the message body.
      this.logger.error(`Sending a code by email failed: ${errorMessage(error)}`);
      throw new OtpDeliveryError();
    }
  }

  close(): void {
    this.transport.close();
  }
}
