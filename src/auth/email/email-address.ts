import { isEmail } from 'class-validator';
import { domainToASCII, domainToUnicode } from 'node:url';
import { InvalidRequestError } from '../../common/errors';

/** Longer input is refused before any Unicode work is done on it. */
const RAW_MAX_LENGTH = 1024;
/** The longest address that fits a forward or reverse path in SMTP. */
const ADDRESS_MAX_LENGTH = 254;
/** Control characters (NUL included), invisible format characters, and halves of a surrogate pair. */
const FORBIDDEN_CHARACTERS = /[\p{Cc}\p{Cf}\p{Cs}]/u;

/**
 * The one spelling of a mailbox, used for storing, comparing and sending (it is also the mesibo
 * address of users created by an email login). The database compares it byte for byte, so every
 * lookup must go through here first:
 *
 * 1. surrounding white space is trimmed;
 * 2. control characters (NUL included), invisible format characters (soft hyphen, zero-width and
 *    direction marks) and lone surrogates are refused;
 * 3. the address is put in Unicode NFC and lowercased;
 * 4. the domain is converted to its ASCII form (IDNA, punycode): `EXÄMPLE.com` and
 *    `xn--exmple-cua.com` are one domain, `example.com` is another. A domain that IDNA would
 *    have to remap (full-width letters, `。` for a dot) is refused rather than silently turned
 *    into a different-looking one.
 *
 * Throws InvalidRequestError for anything that is not then a valid address.
 */
export function normalizeEmail(raw: string): string {
  if (typeof raw !== 'string' || raw.length > RAW_MAX_LENGTH) throw invalid();
  const trimmed = raw.trim();
  if (FORBIDDEN_CHARACTERS.test(trimmed)) throw invalid();
  const unified = trimmed.normalize('NFC').toLowerCase().normalize('NFC');

  const at = unified.lastIndexOf('@');
  if (at <= 0) throw invalid();
  const domain = asciiDomain(unified.slice(at + 1));
  if (domain === undefined) throw invalid();

  const email = `${unified.slice(0, at)}@${domain}`;
  if (email.length > ADDRESS_MAX_LENGTH || !isEmail(email)) throw invalid();
  return email;
}

/**
 * The ASCII form of a lowercased domain, label by label; undefined when a label is not a valid
 * IDNA label, or is not already in the form IDNA would map it to.
 */
function asciiDomain(domain: string): string | undefined {
  const labels: string[] = [];
  for (const label of domain.split('.')) {
    const ascii = domainToASCII(label);
    if (ascii === '' || (ascii !== label && domainToUnicode(ascii) !== label)) return undefined;
    // An `xn--` label must decode (Node 24's URL parser passes an undecodable one through as is).
    if (ascii.startsWith('xn--') && domainToUnicode(ascii) === ascii) return undefined;
    labels.push(ascii);
  }
  return labels.join('.');
}

function invalid(): InvalidRequestError {
  return new InvalidRequestError('The email address is not valid.');
}
