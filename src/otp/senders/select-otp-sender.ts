import { Clock } from '../../common/clock';
import { EmailConfig, OtpConfig } from '../../config';
import { ConsoleOtpSender, ConsoleSenderSetting } from './console-otp.sender';
import { OtpSender } from './otp-sender';
import { RoutingOtpSender } from './routing-otp.sender';
import { WebhookOtpSender } from './webhook-otp.sender';

/** A channel that is switched off (email while EMAIL_LOGIN=false): nothing should reach it. */
class DisabledOtpSender extends OtpSender {
  send(): Promise<void> {
    return Promise.reject(new Error('email codes are off (EMAIL_LOGIN=false)'));
  }
}

/**
 * The sender of each channel, from OTP_SENDER and EMAIL_SENDER. The console sender exists only
 * for the channels set to `console` and in use, and its warning names exactly those settings.
 * The config refuses webhook without a URL and smtp without SMTP_URL. `signing`: the key of
 * OTP_WEBHOOK_SECRET (and the clock of the signatures), when the webhook's calls are signed.
 */
export function selectOtpSender(otp: OtpConfig, email: EmailConfig, signing?: { key: Buffer; clock: Clock }): OtpSender {
  const printed: ConsoleSenderSetting[] = [];
  if (otp.sender === 'console') printed.push('OTP_SENDER');
  if (email.loginEnabled && email.sender === 'console') printed.push('EMAIL_SENDER');
  const consoleSender = printed.length > 0 ? new ConsoleOtpSender(printed) : undefined;

  const sms = otp.sender === 'webhook' ? new WebhookOtpSender({ ...otp.webhook, url: otp.webhook.url ?? '', signingKey: signing?.key, clock: signing?.clock }) : consoleSender!;
  const mail = !email.loginEnabled
    ? new DisabledOtpSender()
    : email.sender === 'smtp'
      ? smtpSender(email.smtpUrl ?? '', email.from)
      : consoleSender!;
  return new RoutingOtpSender(sms, mail);
}

/** nodemailer is loaded only with EMAIL_SENDER=smtp: no other start pays for it. */
function smtpSender(smtpUrl: string, from: string): OtpSender {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SmtpOtpSender } = require('./smtp-otp.sender') as typeof import('./smtp-otp.sender');
  return new SmtpOtpSender(smtpUrl, from);
}
