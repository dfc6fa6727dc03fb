import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { testNumbersConfig } from '../config/test-numbers.config';

/**
 * Test numbers (OTP_TEST_NUMBERS) log in with a fixed code and are never sent an SMS: for app-store
 * reviewers and CI. Every other rule of a phone login applies to them.
 */
@Injectable()
export class TestNumbers {
  private readonly codes: ReadonlyMap<string, { code: string; expiresAt?: number }>;

  constructor(
    @Inject(testNumbersConfig.KEY) config: ConfigType<typeof testNumbersConfig>,
    private readonly clock: Clock,
  ) {
    this.codes = new Map(config.numbers.map(({ phone, ...rest }) => [phone, rest]));
    const expired = config.numbers.filter((entry) => entry.expiresAt !== undefined && entry.expiresAt < clock.nowMs());
    if (expired.length > 0) new Logger('TestNumbers').warn(`OTP_TEST_NUMBERS: ${expired.map((entry) => entry.phone).join(', ')} expired and get real codes`);
    else if (this.codes.size > 0) new Logger('TestNumbers').log(`${this.codes.size} test number(s) log in with a fixed code and are sent no SMS`);
  }

  /** The fixed code of `phone` (E.164 digits) while it is a test number; undefined otherwise. */
  codeFor(phone: string): string | undefined {
    const entry = this.codes.get(phone);
    if (!entry || (entry.expiresAt !== undefined && entry.expiresAt < this.clock.nowMs())) return undefined;
    return entry.code;
  }

  /** `raw` as a listed test number (digits, with or without `+` or `00`, spaces or dashes), if it is one. */
  match(raw: string): string | undefined {
    const digits = raw.trim().replace(/[\s\-().]/g, '').replace(/^(\+|00)/, '');
    return /^\d+$/.test(digits) && this.codeFor(digits) !== undefined ? digits : undefined;
  }
}
