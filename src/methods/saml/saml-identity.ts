import { normalizeEmail } from '../../auth/email/email-address';
import { VerifiedIdentity } from '../../auth/verified-identity';
import { characterProblem } from '../../common/field-rules';
import { SamlRefusal } from './saml-refusal';
import { AcceptedAssertion } from './saml-response-checks';
import { NAMEID, SamlOnSettings } from './saml.settings';

export const SAML_METHOD = 'saml';
const TRANSIENT_NAMEID = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
/** The identities and users columns are varchar(255). */
const MAX_LENGTH = 255;

/**
 * Who the assertion says logged in. The subject is the NameID (by default; a transient one changes
 * at every login, so it is refused) or the attribute SAML_SUBJECT_ATTRIBUTE names. A NEW user's
 * mesibo address is the SAML_ADDRESS_ATTRIBUTE value (an email in the one spelling email logins
 * use), or `saml:<subject>` without that setting. The attribute's address counts as proven only
 * with SAML_TRUST_ADDRESS=true. A missing attribute that the settings name is the identity
 * provider's configuration at fault: the answer is refused (SamlRefusal says which).
 */
export function samlIdentity(settings: Pick<SamlOnSettings, 'attributes' | 'trustAddress'>, assertion: AcceptedAssertion): VerifiedIdentity {
  const subject = subjectOf(settings.attributes.subject, assertion);
  const displayName = settings.attributes.displayName === undefined ? undefined : usable(first(assertion, settings.attributes.displayName));
  const identity = { method: SAML_METHOD, subject, ...(displayName ? { displayName } : {}) };
  if (settings.attributes.address === undefined) {
    const address = `${SAML_METHOD}:${addressPart(subject)}`;
    if (address.length > MAX_LENGTH) throw new SamlRefusal(`the mesibo address would be longer than ${MAX_LENGTH} characters`);
    // Made from the subject, under a prefix no other login method uses.
    return { ...identity, address, verified: false };
  }
  const address = usable(first(assertion, settings.attributes.address));
  if (address === undefined) throw new SamlRefusal(`the assertion has no usable ${settings.attributes.address} attribute (SAML_ADDRESS_ATTRIBUTE)`);
  return { ...identity, address: asAddress(address), verified: settings.trustAddress };
}

/**
 * The subject as it goes into a default address: letters, digits, `.`, `_` and `-` as they are,
 * every other character as `%XX` of its UTF-8 bytes. `ada@corp.example` (an email-shaped NameID)
 * becomes `ada%40corp.example`: an address with `@` is an email address, which only a proven email
 * login may take. Distinct subjects stay distinct.
 */
export function addressPart(subject: string): string {
  return subject.replace(/[^A-Za-z0-9._-]/gu, (character) =>
    [...Buffer.from(character, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

function subjectOf(attribute: string, assertion: AcceptedAssertion): string {
  if (attribute === NAMEID) {
    if (assertion.nameIdFormat === TRANSIENT_NAMEID) {
      throw new SamlRefusal('the NameID is transient: have the identity provider send a persistent one, or set SAML_SUBJECT_ATTRIBUTE');
    }
    const nameId = usable(assertion.nameId);
    if (nameId === undefined) throw new SamlRefusal('the assertion has no usable NameID');
    return nameId;
  }
  const value = usable(first(assertion, attribute));
  if (value === undefined) throw new SamlRefusal(`the assertion has no usable ${attribute} attribute (SAML_SUBJECT_ATTRIBUTE)`);
  return value;
}

function first(assertion: AcceptedAssertion, attribute: string): string | undefined {
  return assertion.attributes.get(attribute)?.find((value) => value.trim() !== '');
}

/** A value the database can store and compare: one line, at most 255 characters; else none. */
function usable(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed || trimmed.length > MAX_LENGTH || characterProblem(trimmed, 'line')) return undefined;
  return trimmed;
}

/** An email address in its normalized form, so it meets the email login of the same address; any other value as it is. */
function asAddress(value: string): string {
  if (!value.includes('@')) return value;
  try {
    return normalizeEmail(value);
  } catch {
    return value;
  }
}
