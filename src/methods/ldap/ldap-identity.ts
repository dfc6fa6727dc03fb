import { normalizeEmail } from '../../auth/email/email-address';
import { VerifiedIdentity } from '../../auth/verified-identity';
import { characterProblem } from '../../common/field-rules';
import { normalizePhone } from '../../common/phone-number';
import { isCodeProvenAddress } from '../../users/users.service';
import { AddressKind, LdapSettings } from './ldap.settings';

export const LDAP_METHOD = 'ldap';

/** Fits the identities table (255) with room for the `ldap:` of a fallback address. */
const MAX_ID_LENGTH = 250;
const MAX_TEXT_LENGTH = 255;

/** What a search returns for one attribute, as ldapts gives it. */
export type AttributeValue = Buffer | Buffer[] | string | string[];

/** A user's entry: its DN and the attributes the login asked for, under the names the server used. */
export interface DirectoryEntry {
  dn: string;
  attributes: Record<string, AttributeValue | undefined>;
}

/**
 * Active Directory's objectGUID as the usual GUID string. The first three groups are stored
 * little-endian: bytes `33 22 11 00 55 44 77 66 88 99 aa ...` read `00112233-4455-6677-8899-aa...`.
 */
export function formatGuid(bytes: Buffer): string {
  if (bytes.length !== 16) throw new Error(`a GUID has 16 bytes, not ${bytes.length}`);
  const hex = (from: number, to: number, reversed = false) => {
    const part = Buffer.from(bytes.subarray(from, to));
    return (reversed ? part.reverse() : part).toString('hex');
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10), hex(10, 16)].join('-');
}

/**
 * The stable id of the entry, the identity's subject: a GUID string for objectGUID; otherwise the
 * value as text (entryUUID, uidNumber, employeeNumber), or its hex when it is binary. Undefined
 * when the entry has no usable value.
 */
export function stableId(attribute: string, value: AttributeValue | undefined): string | undefined {
  const first = firstValue(value);
  if (first === undefined) return undefined;
  const bytes = Buffer.isBuffer(first) ? first : Buffer.from(first, 'utf8');
  if (attribute.toLowerCase() === 'objectguid') return bytes.length === 16 ? formatGuid(bytes) : undefined;
  const text = bytes.toString('utf8');
  const id = Buffer.from(text, 'utf8').equals(bytes) && characterProblem(text, 'line') === undefined ? text.trim() : bytes.toString('hex');
  return id !== '' && id.length <= MAX_ID_LENGTH ? id : undefined;
}

/**
 * The mesibo address for the attribute's value, normalized like the logins of its kind
 * (an email like email logins, a phone like phone logins); undefined when it is missing or does not
 * read as one.
 */
export function addressFrom(value: AttributeValue | undefined, kind: AddressKind, phoneRegion?: string): string | undefined {
  const text = textOf(value);
  if (text === undefined) return undefined;
  try {
    switch (kind) {
      case 'email':
        return normalizeEmail(text);
      case 'phone':
        return normalizePhone(text, phoneRegion);
      case 'text':
        return text;
    }
  } catch {
    return undefined;
  }
}

/**
 * The identity an entry proves. Its subject is the stable id (never the DN, which changes when
 * the user is renamed or moved). Its address is the address attribute's value when the operator
 * trusts it (LDAP_TRUST_ADDRESS), and then it counts as verified. An untrusted value is used only
 * when it is neither a phone number nor an email address: those are proven by codes, and whoever
 * proved one later would join this account. Otherwise, and without a usable value, the address is
 * `ldap:<id>`.
 */
export function identityOf(entry: DirectoryEntry, settings: Pick<LdapSettings, 'attributes' | 'addressKind' | 'trustAddress'>, phoneRegion?: string): VerifiedIdentity | undefined {
  const { attributes } = settings;
  const id = stableId(attributes.id, attributeOf(entry, attributes.id));
  if (id === undefined) return undefined;
  const found = addressFrom(attributeOf(entry, attributes.address), settings.addressKind, phoneRegion);
  const address = found !== undefined && (settings.trustAddress || !isCodeProvenAddress(found)) ? found : undefined;
  return {
    method: LDAP_METHOD,
    subject: id,
    address: address ?? `${LDAP_METHOD}:${id}`,
    displayName: textOf(attributeOf(entry, attributes.name)),
    verified: address !== undefined && settings.trustAddress,
  };
}

/** An attribute of the entry, whatever the case the server spelled its name in. */
export function attributeOf(entry: DirectoryEntry, name: string): AttributeValue | undefined {
  const wanted = name.toLowerCase();
  const key = Object.keys(entry.attributes).find((candidate) => candidate.toLowerCase() === wanted);
  return key === undefined ? undefined : entry.attributes[key];
}

function firstValue(value: AttributeValue | undefined): Buffer | string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.length === 0 ? undefined : first;
}

/** The first value as one line of text: trimmed, at most 255 characters, no control characters. */
function textOf(value: AttributeValue | undefined): string | undefined {
  const first = firstValue(value);
  if (first === undefined || Buffer.isBuffer(first)) return undefined;
  const text = first.trim();
  if (text === '' || text.length > MAX_TEXT_LENGTH || characterProblem(text, 'line') !== undefined) return undefined;
  return text;
}
