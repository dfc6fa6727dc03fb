import { OtpChannel } from './otp.repository';

/** The words around a code, per channel. SMS text is configurable (`OTP_MESSAGE`). */
export function composeOtpMessage(
  channel: OtpChannel,
  code: string,
  smsTemplate: string,
  ttlMinutes: number,
): { subject?: string; text: string } {
  switch (channel) {
    case 'sms':
      return { text: smsTemplate.replace('{code}', code) };
    case 'email-verify':
      return {
        subject: `Your confirmation code: ${code}`,
        text: `Enter this code to confirm your email address:\n\n    ${code}\n\nIt works for ${ttlMinutes} minutes. If you did not ask for it, ignore this email.\n`,
      };
    case 'email-reset':
      return {
        subject: `Your password reset code: ${code}`,
        text: `Enter this code to choose a new password:\n\n    ${code}\n\nIt works for ${ttlMinutes} minutes. If you did not ask for it, ignore this email; your password stays as it is.\n`,
      };
  }
}
