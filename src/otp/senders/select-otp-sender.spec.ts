import { Logger } from '@nestjs/common';
import { loadEmailConfig } from '../../config/email.config';
import { loadOtpConfig } from '../../config/otp.config';
import { selectOtpSender } from './select-otp-sender';

/** Settings as start-up reads them; the webhook URL only needs to be valid (nothing is sent here). */
function select(env: NodeJS.ProcessEnv): string[] {
  const warnings: string[] = [];
  jest.spyOn(Logger.prototype, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(String(args[0])));
  selectOtpSender(loadOtpConfig(env), loadEmailConfig(env));
  return warnings;
}

const WEBHOOK = { OTP_SENDER: 'webhook', OTP_WEBHOOK_URL: 'https://sms.example.com/send' };

describe('selectOtpSender: the start-up warning names what really prints codes', () => {
  afterEach(() => jest.restoreAllMocks());

  it('OTP_SENDER=webhook with EMAIL_LOGIN=false: nothing prints codes, nothing claims OTP_SENDER=console', () => {
    expect(select({ ...WEBHOOK, EMAIL_LOGIN: 'false' })).toEqual([]);
  });

  it('OTP_SENDER=webhook with email login on the console: names EMAIL_SENDER only', () => {
    expect(select({ ...WEBHOOK })).toEqual(['EMAIL_SENDER=console: codes are printed to this log, for development only']);
  });

  it('both on the console: names both, once', () => {
    expect(select({})).toEqual(['OTP_SENDER=console and EMAIL_SENDER=console: codes are printed to this log, for development only']);
  });

  it('OTP_SENDER=console with email login off: names OTP_SENDER only', () => {
    expect(select({ EMAIL_LOGIN: 'no' })).toEqual(['OTP_SENDER=console: codes are printed to this log, for development only']);
  });
});
