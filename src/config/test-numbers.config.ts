import { registerAs } from '@nestjs/config';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { isProduction, throwIfProblems } from './env';

/** One test number: its fixed code, until the end of `expiresAt` (UTC) when given. */
export interface TestNumber {
  /** E.164 digits without `+`, as logins normalise numbers. */
  phone: string;
  code: string;
  /** Epoch ms after which the number is an ordinary one again; undefined: no end. */
  expiresAt?: number;
}

export interface TestNumbersConfig {
  numbers: TestNumber[];
}

/**
 * North American numbers reserved for fiction: exchange 555, lines 0100 to 0199 (`1 NPA 555 01XX`).
 * No one can own one, so a fixed code on it opens nobody's account.
 */
export function isFictionalNumber(digits: string): boolean {
  return /^1[2-9]\d{2}55501\d{2}$/.test(digits);
}

const ENTRY = /^\+?(\d{8,15}):(\d{4,10})(?::(\d{4}-\d{2}-\d{2}))?$/;

/**
 * OTP_TEST_NUMBERS: `number:code[:YYYY-MM-DD]`, comma-separated. The codes must have OTP_LENGTH
 * digits. In production only numbers from fictional ranges may be listed: a fixed code on a real
 * number would let anyone who reads the configuration into that person's account.
 */
export function loadTestNumbersConfig(env: NodeJS.ProcessEnv = process.env): TestNumbersConfig {
  const problems: string[] = [];
  const length = Number(env.OTP_LENGTH ?? '6');
  const numbers: TestNumber[] = [];
  for (const entry of (env.OTP_TEST_NUMBERS ?? '').split(',').map((item) => item.trim()).filter(Boolean)) {
    const match = ENTRY.exec(entry);
    // Never echo the entry: it holds a code.
    const position = `entry ${numbers.length + problems.length + 1}`;
    if (!match) {
      problems.push(`OTP_TEST_NUMBERS ${position} must be <number>:<code> or <number>:<code>:<YYYY-MM-DD>`);
      continue;
    }
    const [, phone, code, date] = match;
    const expiresAt = date === undefined ? undefined : Date.parse(`${date}T23:59:59.999Z`);
    if (code.length !== length) problems.push(`OTP_TEST_NUMBERS ${position}: the code must have OTP_LENGTH (${length}) digits`);
    if (expiresAt !== undefined && Number.isNaN(expiresAt)) problems.push(`OTP_TEST_NUMBERS ${position}: ${date} is not a date`);
    if (numbers.some((other) => other.phone === phone)) problems.push(`OTP_TEST_NUMBERS lists ${phone} twice`);
    if (isProduction(env) && !isFictionalNumber(phone)) {
      const real = parsePhoneNumberFromString(`+${phone}`)?.isValid() === true;
      problems.push(
        `OTP_TEST_NUMBERS: ${phone} ${real ? 'is a real number' : 'is not from a fictional range'}; in production only numbers such as 1 NPA 555 01XX may be test numbers`,
      );
    }
    numbers.push({ phone, code, expiresAt });
  }
  throwIfProblems(problems);
  return { numbers };
}

export const testNumbersConfig = registerAs('testNumbers', () => loadTestNumbersConfig());
