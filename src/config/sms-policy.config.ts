import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Min } from 'class-validator';
import { CountryCode, getCountryCallingCode, isSupportedCountry } from 'libphonenumber-js/max';
import { ConfigError, readEnv, splitList } from './env';

/** What libphonenumber's `getType()` answers, and UNKNOWN when it cannot tell. */
export const PHONE_NUMBER_TYPES = [
  'MOBILE',
  'FIXED_LINE',
  'FIXED_LINE_OR_MOBILE',
  'TOLL_FREE',
  'PREMIUM_RATE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
  'UNKNOWN',
] as const;
export type PhoneNumberType = (typeof PHONE_NUMBER_TYPES)[number];

/** Kinds of number that cannot receive a code or that bill the sender for the profit of the number's owner. */
const DEFAULT_DENIED_TYPES = 'PREMIUM_RATE,SHARED_COST,PERSONAL_NUMBER,PAGER,UAN,VOICEMAIL';

export type SmsPolicyMode = 'enforce' | 'shadow' | 'off';

/** Who codes are sent to by SMS, and how many an hour: the defence against SMS pumping (toll fraud). */
class SmsPolicyEnv {
  /** enforce: refuse; shadow: only log what would be refused (to tune the settings); off: no checks. */
  @IsIn(['enforce', 'shadow', 'off'])
  SMS_POLICY_MODE: SmsPolicyMode = 'enforce';

  @IsString()
  SMS_DENY_NUMBER_TYPES: string = DEFAULT_DENIED_TYPES;

  /** When set, only these kinds of number get codes. */
  @IsOptional()
  @IsString()
  SMS_ALLOW_NUMBER_TYPES?: string;

  /** ISO 3166 codes; when set, only numbers of these countries get codes. */
  @IsOptional()
  @IsString()
  SMS_ALLOW_COUNTRIES?: string;

  @IsOptional()
  @IsString()
  SMS_DENY_COUNTRIES?: string;

  /** Codes sent by SMS per hour, to all numbers together. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SMS_MAX_PER_HOUR: number = 1000;

  /** Codes sent by SMS per hour to the numbers of one country calling code (+1, +44, …). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SMS_MAX_PER_COUNTRY_PER_HOUR: number = 200;

  /** Per-country exceptions to the above: `US:1000,IN:500,44:20` (ISO code or calling code). */
  @IsOptional()
  @IsString()
  SMS_MAX_PER_HOUR_BY_COUNTRY?: string;
}

export interface SmsPolicyConfig {
  mode: SmsPolicyMode;
  deniedTypes: PhoneNumberType[];
  /** Undefined: every type not denied. */
  allowedTypes?: PhoneNumberType[];
  /** Undefined: every country not denied. */
  allowedCountries?: string[];
  deniedCountries: string[];
  maxPerHour: number;
  maxPerCallingCodePerHour: number;
  /** Calling code (digits) → its own hourly budget. */
  maxPerHourByCallingCode: Record<string, number>;
}

export function loadSmsPolicyConfig(env: NodeJS.ProcessEnv = process.env): SmsPolicyConfig {
  const vars = readEnv(SmsPolicyEnv, env);
  return {
    mode: vars.SMS_POLICY_MODE,
    deniedTypes: numberTypes('SMS_DENY_NUMBER_TYPES', vars.SMS_DENY_NUMBER_TYPES),
    allowedTypes: vars.SMS_ALLOW_NUMBER_TYPES !== undefined ? numberTypes('SMS_ALLOW_NUMBER_TYPES', vars.SMS_ALLOW_NUMBER_TYPES) : undefined,
    allowedCountries: vars.SMS_ALLOW_COUNTRIES !== undefined ? countries('SMS_ALLOW_COUNTRIES', vars.SMS_ALLOW_COUNTRIES) : undefined,
    deniedCountries: countries('SMS_DENY_COUNTRIES', vars.SMS_DENY_COUNTRIES),
    maxPerHour: vars.SMS_MAX_PER_HOUR,
    maxPerCallingCodePerHour: vars.SMS_MAX_PER_COUNTRY_PER_HOUR,
    maxPerHourByCallingCode: callingCodeBudgets(vars.SMS_MAX_PER_HOUR_BY_COUNTRY),
  };
}

export const smsPolicyConfig = registerAs('smsPolicy', () => loadSmsPolicyConfig());

function numberTypes(name: string, value: string): PhoneNumberType[] {
  // `none` empties a list that has a default.
  const entries = splitList(value).map((entry) => entry.toUpperCase());
  if (entries.length === 1 && entries[0] === 'NONE') return [];
  for (const entry of entries) {
    if (!(PHONE_NUMBER_TYPES as readonly string[]).includes(entry)) {
      throw new ConfigError(`Invalid configuration: ${name} has ${entry}; use ${PHONE_NUMBER_TYPES.join(', ')} or none`);
    }
  }
  return entries as PhoneNumberType[];
}

function countries(name: string, value: string | undefined): string[] {
  const entries = splitList(value).map((entry) => entry.toUpperCase());
  for (const entry of entries) {
    if (!isSupportedCountry(entry)) throw new ConfigError(`Invalid configuration: ${name} has ${entry}, which is not an ISO 3166 country code`);
  }
  return entries;
}

function callingCodeBudgets(value: string | undefined): Record<string, number> {
  const budgets: Record<string, number> = {};
  for (const entry of splitList(value)) {
    const match = /^([A-Za-z]{2}|\d{1,3})\s*:\s*(\d+)$/.exec(entry);
    const country = match?.[1].toUpperCase() ?? '';
    if (!match || (/^[A-Z]{2}$/.test(country) && !isSupportedCountry(country))) {
      throw new ConfigError(`Invalid configuration: SMS_MAX_PER_HOUR_BY_COUNTRY entry "${entry}" must look like US:1000 or 44:20`);
    }
    const callingCode = /^\d+$/.test(country) ? country : getCountryCallingCode(country as CountryCode);
    budgets[callingCode] = Number(match[2]);
  }
  return budgets;
}
