import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { Clock } from '../common/clock';
import { PhoneNotAllowedError, RateLimitedError } from '../common/errors';
import { smsPolicyConfig } from '../config';
import { PhoneNumberType } from '../config/sms-policy.config';
import { CounterStore, secondsUntil } from '../database/counter-store';

const HOUR_SECONDS = 3600;
const GLOBAL_KEY = 'sms-budget:all';

interface NumberFacts {
  type: PhoneNumberType;
  /** ISO 3166 code; undefined for non-geographic numbers (+800, +882, …). */
  country?: string;
  callingCode: string;
}

/**
 * Who may be sent a code by SMS, and how many go out an hour: the defence against SMS pumping,
 * where bots have codes sent to premium-rate or foreign numbers whose owners share the fees.
 * `admit` is called after the per-number and per-client claims and before sending; it claims a
 * unit of the global and the per-country budget; `release` gives them back when the send failed.
 */
@Injectable()
export class SmsSendPolicy {
  private readonly logger = new Logger(SmsSendPolicy.name);

  constructor(
    private readonly counters: CounterStore,
    private readonly clock: Clock,
    @Inject(smsPolicyConfig.KEY) private readonly config: ConfigType<typeof smsPolicyConfig>,
  ) {}

  /** Resolves when a code may be sent to `phoneDigits` (E.164 without `+`); throws PhoneNotAllowedError or RateLimitedError. */
  async admit(phoneDigits: string): Promise<void> {
    if (this.config.mode === 'off') return;
    const facts = numberFacts(phoneDigits);
    const refusal = this.ruleRefusing(facts);
    if (refusal) {
      if (this.config.mode === 'enforce') throw new PhoneNotAllowedError();
      this.logger.warn(`Would refuse an SMS to ${maskPhone(phoneDigits, facts.callingCode)}: ${refusal}`);
    }
    if (this.config.mode === 'shadow') {
      // Counted always (so release stays exact), refused never.
      for (const budget of this.budgets(facts)) {
        const counted = await this.counters.increment(budget.key, HOUR_SECONDS);
        if (counted.value > budget.max) {
          this.logger.warn(`Would refuse an SMS to ${maskPhone(phoneDigits, facts.callingCode)}: ${budget.name} budget of ${budget.max} an hour is spent`);
        }
      }
      return;
    }
    const claimed: string[] = [];
    for (const budget of this.budgets(facts)) {
      const claim = await this.counters.take(budget.key, budget.max, HOUR_SECONDS);
      if (!claim.granted) {
        await this.counters.refund(...claimed);
        const wait = secondsUntil(claim.expiresAt, this.clock.nowMs());
        this.logger.warn(`SMS refused: the ${budget.name} budget of ${budget.max} an hour is spent`);
        throw new RateLimitedError(`Too many codes are being sent right now. Try again in ${Math.ceil(wait / 60)} minutes.`, wait, budget.key === GLOBAL_KEY ? 'sms-per-hour' : 'sms-per-country');
      }
      claimed.push(budget.key);
    }
  }

  /** Gives back the units `admit` took for this number (the SMS was not sent after all). */
  async release(phoneDigits: string): Promise<void> {
    if (this.config.mode === 'off') return;
    // Only an admitted number took units; a refused one never reaches its send.
    await this.counters.refund(...this.budgets(numberFacts(phoneDigits)).map((budget) => budget.key));
  }

  private ruleRefusing(facts: NumberFacts): string | undefined {
    const { allowedTypes, deniedTypes, allowedCountries, deniedCountries } = this.config;
    if (allowedTypes && !allowedTypes.includes(facts.type)) return `number type ${facts.type} is not allowed`;
    if (deniedTypes.includes(facts.type)) return `number type ${facts.type} is denied`;
    const country = facts.country ?? 'non-geographic';
    if (allowedCountries && !(facts.country && allowedCountries.includes(facts.country))) return `country ${country} is not allowed`;
    if (facts.country && deniedCountries.includes(facts.country)) return `country ${country} is denied`;
    return undefined;
  }

  private budgets(facts: NumberFacts): { key: string; max: number; name: string }[] {
    const perCountry = this.config.maxPerHourByCallingCode[facts.callingCode] ?? this.config.maxPerCallingCodePerHour;
    return [
      // The narrower budget first: a spent country budget should not use up units of the global one.
      { key: `sms-budget:cc:${facts.callingCode}`, max: perCountry, name: `+${facts.callingCode}` },
      { key: GLOBAL_KEY, max: this.config.maxPerHour, name: 'global' },
    ];
  }
}

function numberFacts(phoneDigits: string): NumberFacts {
  const parsed = parsePhoneNumberFromString(`+${phoneDigits}`);
  return {
    type: parsed?.getType() ?? 'UNKNOWN',
    country: parsed?.country,
    callingCode: parsed?.countryCallingCode ?? 'unknown',
  };
}

/** `+44*******58`: the calling code and the last two digits, enough to spot a pattern in the log, never the number. */
export function maskPhone(phoneDigits: string, callingCode: string): string {
  const rest = phoneDigits.startsWith(callingCode) ? phoneDigits.slice(callingCode.length) : phoneDigits;
  const prefix = callingCode === 'unknown' ? '+' : `+${callingCode}`;
  return `${prefix}${'*'.repeat(Math.max(0, rest.length - 2))}${rest.slice(-2)}`;
}
