import { CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { InvalidPhoneError } from './errors';

/**
 * Normalizes a phone number to E.164 digits without the `+` (e.g. `18005551234`): the form the
 * apps send, the mesibo address of the user, and the `phone` returned at login.
 *
 * Input may carry `+`, a `00` international prefix, spaces, dashes, dots and parentheses.
 * Without a country code, the number is read in `defaultRegion` when one is configured and
 * valid there; otherwise it is read as an international number, as the apps send it.
 */
export function normalizePhone(raw: string, defaultRegion?: string): string {
  const compact = raw.trim().replace(/[\s\-().]/g, '');
  if (!/^(\+|00)?\d{4,17}$/.test(compact)) throw new InvalidPhoneError();

  if (compact.startsWith('+') || compact.startsWith('00')) {
    return toDigits(compact.replace(/^(\+|00)/, '+'));
  }
  if (defaultRegion) {
    const national = parsePhoneNumberFromString(compact, defaultRegion as CountryCode);
    if (national?.isValid()) return national.number.slice(1);
  }
  return toDigits(`+${compact}`);
}

function toDigits(international: string): string {
  const parsed = parsePhoneNumberFromString(international);
  if (!parsed?.isValid()) throw new InvalidPhoneError();
  return parsed.number.slice(1);
}
