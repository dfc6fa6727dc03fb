import { CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { InvalidPhoneError } from './errors';

/**
 * Normalizes a phone number to E.164 digits without the `+` (e.g. `18005551234`): the form the
 * apps send, the mesibo address of the user, and the `phone` returned at login.
 *
 * Input may carry `+`, a `00` international prefix, spaces, dashes, dots and parentheses.
 * Digits that form a valid international number (country code first, as the apps send them) are
 * read as international. Only other input is read as a national number of `defaultRegion`, when
 * one is configured: `015123456789` in DE, `(415) 555-0123` in US. So with DE, `4915123456789`
 * stays `4915123456789`. A national number that is also a valid international one (some US
 * numbers, such as `2015550123`, read as Egypt) is read as international: type it with `+1`.
 */
export function normalizePhone(raw: string, defaultRegion?: string): string {
  const compact = raw.trim().replace(/[\s\-().]/g, '');
  if (!/^(\+|00)?\d{4,17}$/.test(compact)) throw new InvalidPhoneError();

  if (compact.startsWith('+') || compact.startsWith('00')) {
    return toDigits(compact.replace(/^(\+|00)/, '+'));
  }
  const international = parsePhoneNumberFromString(`+${compact}`);
  if (international?.isValid()) return international.number.slice(1);
  if (defaultRegion) {
    const national = parsePhoneNumberFromString(compact, defaultRegion as CountryCode);
    if (national?.isValid()) return national.number.slice(1);
  }
  throw new InvalidPhoneError();
}

function toDigits(international: string): string {
  const parsed = parsePhoneNumberFromString(international);
  if (!parsed?.isValid()) throw new InvalidPhoneError();
  return parsed.number.slice(1);
}
