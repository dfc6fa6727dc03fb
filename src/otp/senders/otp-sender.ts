import { OtpChannel } from '../otp.repository';

export interface OtpMessage {
  channel: OtpChannel;
  /** Normalized phone digits or an email address. */
  to: string;
  code: string;
  /** The full text for the user, with the code in it. */
  text: string;
  /** For email. */
  subject?: string;
}

export function isEmailChannel(channel: OtpChannel): boolean {
  return channel !== 'sms';
}

/** Delivers a code to the user. Implementations must never log the code (the console sender aside). */
export abstract class OtpSender {
  abstract send(message: OtpMessage): Promise<void>;
}
