import { Logger } from '@nestjs/common';
import { FakeClock } from '../../test/support/fake-clock';
import { rejectionOf } from '../../test/support/rejection';
import { PhoneNotAllowedError, RateLimitedError } from '../common/errors';
import { ConfigError } from '../config';
import { loadSmsPolicyConfig } from '../config/sms-policy.config';
import { Db, migrateToLatest, openDatabase } from '../database/connection';
import { DatabaseCounterStore } from '../database/counter-store';
import { maskPhone, SmsSendPolicy } from './sms-send-policy';

const US_PREMIUM = '19005551234';
const US = '14155550101';
const US_TOLL_FREE = '18005551234';
const CA = '14165551234';
const IN_MOBILE = '919876543210';
const NO_MOBILE = '4790123456';
const GB_FIXED = '442079460958';
const GB_PERSONAL = '447012345678';
const GB_PAGER = '447640123456';
const FR_SHARED_COST = '33810123456';
const GLOBAL_VOIP = '88213456789';

describe('SmsSendPolicy', () => {
  let db: Db;
  let clock: FakeClock;
  let counters: DatabaseCounterStore;

  beforeEach(async () => {
    db = openDatabase('sqlite::memory:');
    await migrateToLatest(db);
    clock = new FakeClock();
    counters = new DatabaseCounterStore(db, clock);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await db.destroy();
  });

  function policy(env: Record<string, string> = {}): SmsSendPolicy {
    return new SmsSendPolicy(counters, clock, loadSmsPolicyConfig(env));
  }

  /** True when admitted, false when refused by the policy; anything else fails the test. */
  async function admitted(subject: SmsSendPolicy, phone: string): Promise<boolean> {
    try {
      await subject.admit(phone);
      return true;
    } catch (error) {
      if (error instanceof PhoneNotAllowedError || error instanceof RateLimitedError) return false;
      throw error as Error;
    }
  }

  describe('number types (defaults)', () => {
    it.each([
      ['US +1 900 premium rate', US_PREMIUM],
      ['French shared cost', FR_SHARED_COST],
      ['UK 070 personal', GB_PERSONAL],
      ['UK pager', GB_PAGER],
    ])('refuses a %s number with phone_not_allowed', async (_kind, phone) => {
      const error = await rejectionOf(policy().admit(phone));
      expect(error).toBeInstanceOf(PhoneNotAllowedError);
      expect((error as PhoneNotAllowedError).code).toBe('phone_not_allowed');
    });

    it.each([
      ['a US number', US],
      ['a US toll-free number', US_TOLL_FREE],
      ['an Indian mobile', IN_MOBILE],
      ['a UK fixed line', GB_FIXED],
      ['a non-geographic VoIP number', GLOBAL_VOIP],
    ])('admits %s', async (_kind, phone) => {
      await expect(policy().admit(phone)).resolves.toBeUndefined();
    });

    it('takes no budget for a refused number', async () => {
      const subject = policy({ SMS_MAX_PER_HOUR: '1' });
      await expect(subject.admit(US_PREMIUM)).rejects.toBeInstanceOf(PhoneNotAllowedError);
      await expect(subject.admit(US)).resolves.toBeUndefined();
    });

    it('SMS_DENY_NUMBER_TYPES=none lets premium-rate numbers through', async () => {
      await expect(policy({ SMS_DENY_NUMBER_TYPES: 'none' }).admit(US_PREMIUM)).resolves.toBeUndefined();
    });

    it('SMS_ALLOW_NUMBER_TYPES admits only the listed types (and UNKNOWN only when listed)', async () => {
      const mobileOnly = policy({ SMS_ALLOW_NUMBER_TYPES: 'MOBILE' });
      expect(await admitted(mobileOnly, IN_MOBILE)).toBe(true);
      expect(await admitted(mobileOnly, US)).toBe(false); // FIXED_LINE_OR_MOBILE
      expect(await admitted(mobileOnly, GB_FIXED)).toBe(false);

      const withMixed = policy({ SMS_ALLOW_NUMBER_TYPES: 'mobile, fixed_line_or_mobile' });
      expect(await admitted(withMixed, US)).toBe(true);
      expect(await admitted(withMixed, GB_FIXED)).toBe(false);
    });
  });

  describe('countries', () => {
    it('SMS_ALLOW_COUNTRIES admits only numbers of those countries, telling +1 US from +1 CA', async () => {
      const subject = policy({ SMS_ALLOW_COUNTRIES: 'US,IN' });
      expect(await admitted(subject, US)).toBe(true);
      expect(await admitted(subject, IN_MOBILE)).toBe(true);
      expect(await admitted(subject, CA)).toBe(false);
      expect(await admitted(subject, NO_MOBILE)).toBe(false);
      // A non-geographic number belongs to no allowed country.
      expect(await admitted(subject, GLOBAL_VOIP)).toBe(false);
    });

    it('SMS_DENY_COUNTRIES refuses those countries only', async () => {
      const subject = policy({ SMS_DENY_COUNTRIES: 'ca, no' });
      await expect(subject.admit(CA)).rejects.toBeInstanceOf(PhoneNotAllowedError);
      await expect(subject.admit(NO_MOBILE)).rejects.toBeInstanceOf(PhoneNotAllowedError);
      await expect(subject.admit(US)).resolves.toBeUndefined();
      await expect(subject.admit(GLOBAL_VOIP)).resolves.toBeUndefined();
    });
  });

  describe('hourly budgets', () => {
    it('refuses beyond SMS_MAX_PER_HOUR with rate_limited and the seconds until the hour is over', async () => {
      const subject = policy({ SMS_MAX_PER_HOUR: '3' });
      await subject.admit(US);
      clock.advance(600);
      await subject.admit(IN_MOBILE);
      await subject.admit(GB_FIXED);

      const error = await rejectionOf(subject.admit(NO_MOBILE));
      expect(error).toBeInstanceOf(RateLimitedError);
      expect((error as RateLimitedError).retryAfterSeconds).toBe(3000);

      clock.advance(3000);
      await expect(subject.admit(NO_MOBILE)).resolves.toBeUndefined();
    });

    it('refuses beyond SMS_MAX_PER_COUNTRY_PER_HOUR per calling code, without spending the global budget', async () => {
      const subject = policy({ SMS_MAX_PER_COUNTRY_PER_HOUR: '2', SMS_MAX_PER_HOUR: '4' });
      await subject.admit(US);
      await subject.admit(CA); // +1 too
      await expect(subject.admit(US_TOLL_FREE)).rejects.toBeInstanceOf(RateLimitedError);
      await expect(subject.admit(US)).rejects.toBeInstanceOf(RateLimitedError);

      // The two refusals above took nothing from the global budget of 4: two more fit.
      await subject.admit(IN_MOBILE);
      await subject.admit(GB_FIXED);
      await expect(subject.admit(NO_MOBILE)).rejects.toBeInstanceOf(RateLimitedError);
    });

    it('SMS_MAX_PER_HOUR_BY_COUNTRY overrides the per-country budget, by ISO or calling code', async () => {
      const subject = policy({ SMS_MAX_PER_COUNTRY_PER_HOUR: '3', SMS_MAX_PER_HOUR_BY_COUNTRY: 'IN:1, 44:0' });
      await subject.admit(IN_MOBILE);
      await expect(subject.admit(IN_MOBILE)).rejects.toBeInstanceOf(RateLimitedError);
      await expect(subject.admit(GB_FIXED)).rejects.toBeInstanceOf(RateLimitedError);
      for (let i = 0; i < 3; i++) await subject.admit(US);
      await expect(subject.admit(US)).rejects.toBeInstanceOf(RateLimitedError);
    });

    it('admits exactly the budget out of a burst of concurrent sends', async () => {
      const subject = policy({ SMS_MAX_PER_HOUR: '10' });
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => admitted(subject, i % 2 ? US : IN_MOBILE)));
      expect(results.filter(Boolean)).toHaveLength(10);
    });

    it('release gives back the global and the per-country unit, so a failed send does not count', async () => {
      const subject = policy({ SMS_MAX_PER_HOUR: '2', SMS_MAX_PER_COUNTRY_PER_HOUR: '1' });
      await subject.admit(US);
      await subject.admit(IN_MOBILE);
      await expect(subject.admit(GB_FIXED)).rejects.toBeInstanceOf(RateLimitedError);

      await subject.release(US);
      // Both budgets got their unit back: +1 (1 an hour) and the global one (2 an hour).
      await expect(subject.admit(US)).resolves.toBeUndefined();
      await expect(subject.admit(GB_FIXED)).rejects.toBeInstanceOf(RateLimitedError);
    });
  });

  describe('shadow mode', () => {
    it('admits what it would refuse and logs why, with the number masked', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const subject = policy({ SMS_POLICY_MODE: 'shadow', SMS_MAX_PER_HOUR: '1', SMS_DENY_COUNTRIES: 'NO' });

      await expect(subject.admit(US_PREMIUM)).resolves.toBeUndefined();
      await expect(subject.admit(NO_MOBILE)).resolves.toBeUndefined();

      const lines = warn.mock.calls.map((call) => String(call[0]));
      expect(lines).toEqual([
        expect.stringMatching(/^Would refuse an SMS to \+1\*+34: number type PREMIUM_RATE is denied$/),
        expect.stringMatching(/^Would refuse an SMS to \+47\*+56: country NO is denied$/),
        expect.stringMatching(/^Would refuse an SMS to \+47\*+56: global budget of 1 an hour is spent$/),
      ]);
      for (const line of lines) {
        expect(line).not.toContain(US_PREMIUM);
        expect(line).not.toContain(NO_MOBILE);
        expect(line).not.toContain(NO_MOBILE.slice(2));
      }
    });

    it('counts shadow sends exactly: release undoes admit', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const subject = policy({ SMS_POLICY_MODE: 'shadow', SMS_MAX_PER_HOUR: '1' });
      await subject.admit(US);
      await subject.release(US);
      await subject.admit(US);
      expect(warn).not.toHaveBeenCalled();
      await subject.admit(US);
      expect(warn).toHaveBeenCalledTimes(1);
    });
  });

  it('SMS_POLICY_MODE=off checks nothing', async () => {
    const subject = policy({ SMS_POLICY_MODE: 'off', SMS_MAX_PER_HOUR: '0' });
    await expect(subject.admit(US_PREMIUM)).resolves.toBeUndefined();
    await expect(subject.admit(US_PREMIUM)).resolves.toBeUndefined();
  });
});

describe('maskPhone', () => {
  it('keeps the calling code and the last two digits only', () => {
    expect(maskPhone('447012345678', '44')).toBe('+44********78');
    expect(maskPhone('19005551234', '1')).toBe('+1********34');
  });
});

describe('loadSmsPolicyConfig', () => {
  it('refuses an unknown number type or country, naming the setting', () => {
    expect(() => loadSmsPolicyConfig({ SMS_DENY_NUMBER_TYPES: 'PREMIUM' })).toThrow(ConfigError);
    expect(() => loadSmsPolicyConfig({ SMS_DENY_NUMBER_TYPES: 'PREMIUM' })).toThrow(/SMS_DENY_NUMBER_TYPES/);
    expect(() => loadSmsPolicyConfig({ SMS_ALLOW_COUNTRIES: 'US,XX' })).toThrow(/SMS_ALLOW_COUNTRIES/);
    expect(() => loadSmsPolicyConfig({ SMS_MAX_PER_HOUR_BY_COUNTRY: 'US=5' })).toThrow(/SMS_MAX_PER_HOUR_BY_COUNTRY/);
    expect(() => loadSmsPolicyConfig({ SMS_POLICY_MODE: 'log' })).toThrow(ConfigError);
  });

  it('reads overrides by ISO code as their calling code', () => {
    expect(loadSmsPolicyConfig({ SMS_MAX_PER_HOUR_BY_COUNTRY: 'US:1000,gb:20,91:5' }).maxPerHourByCallingCode).toEqual({ '1': 1000, '44': 20, '91': 5 });
  });

  it('denies premium-rate and shared-cost numbers by default', () => {
    expect(loadSmsPolicyConfig({}).deniedTypes).toEqual(expect.arrayContaining(['PREMIUM_RATE', 'SHARED_COST']));
    expect(loadSmsPolicyConfig({}).mode).toBe('enforce');
  });
});
