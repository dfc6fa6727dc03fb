import { VerifiedIdentity } from '../../auth/verified-identity';
import { characterProblem } from '../../common/field-rules';
import { attributeValues, RadiusReply } from './radius-packet';
import { RadiusSettings } from './radius.settings';

export const RADIUS_METHOD = 'radius';
/** The identities and users columns hold this many characters. */
const MAX_IDENTIFIER_LENGTH = 255;

export type IdentitySettings = Pick<RadiusSettings, 'subjectAttribute' | 'addressAttribute' | 'addressPrefix' | 'trustAddress'>;

/**
 * The identity an Access-Accept proves. The subject is the user name the server accepted, or the
 * reply attribute RADIUS_SUBJECT_ATTRIBUTE names; a new user's address is the attribute
 * RADIUS_ADDRESS_ATTRIBUTE names, or RADIUS_ADDRESS_PREFIX + the subject (see addressPart). The address counts as
 * proven only with RADIUS_TRUST_ADDRESS. Returns what is wrong with the reply when an attribute
 * the settings name is missing or unusable: the server's configuration, not the user, is at fault.
 */
export function radiusIdentity(username: string, accept: RadiusReply, settings: IdentitySettings): VerifiedIdentity | string {
  const subject = settings.subjectAttribute ? textAttribute(accept, settings.subjectAttribute) : username;
  if (subject === undefined) return `the Access-Accept has no usable ${settings.subjectAttribute} attribute (RADIUS_SUBJECT_ATTRIBUTE)`;
  const address = settings.addressAttribute ? textAttribute(accept, settings.addressAttribute) : `${settings.addressPrefix}${addressPart(subject)}`;
  if (address === undefined) return `the Access-Accept has no usable ${settings.addressAttribute} attribute (RADIUS_ADDRESS_ATTRIBUTE)`;
  if (address.length > MAX_IDENTIFIER_LENGTH) return `the mesibo address would be longer than ${MAX_IDENTIFIER_LENGTH} characters`;
  return { method: RADIUS_METHOD, subject, address, verified: settings.trustAddress };
}

/**
 * The subject as it goes into a default address: letters, digits, `.`, `_` and `-` as they are,
 * every other character as `%XX` of its UTF-8 bytes. So `ada@corp.example` (a realm) becomes
 * `ada%40corp.example`: an address with `@` is an email address, which only a proven email login
 * may take, and a `,` would split a list of addresses at mesibo. Distinct subjects stay distinct.
 */
export function addressPart(subject: string): string {
  return subject.replace(/[^A-Za-z0-9._-]/gu, (character) =>
    [...Buffer.from(character, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** The first value of the attribute as one line of UTF-8 text; undefined when absent, empty, binary or too long. */
function textAttribute(reply: RadiusReply, name: NonNullable<IdentitySettings['subjectAttribute'] | IdentitySettings['addressAttribute']>): string | undefined {
  const [value] = attributeValues(reply, name);
  if (!value || value.length === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(value);
  } catch {
    return undefined;
  }
  if (text.length > MAX_IDENTIFIER_LENGTH || characterProblem(text, 'line') !== undefined) return undefined;
  return text;
}

/**
 * The server's prompt for a challenge (its Reply-Messages), as one line a client can show;
 * empty when it sent none.
 */
export function challengePrompt(challenge: RadiusReply): string {
  const text = attributeValues(challenge, 'Reply-Message')
    .map((value) => value.toString('utf8'))
    .join(' ');
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\s\u0000-\u001f\u007f-\u009f\ufffd]+/g, ' ').trim().slice(0, 500);
}
