import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { radiusLibrary } from './radius-library';

/** RFC 2865 packet codes this client sends or accepts. */
export const ACCESS_REQUEST = 1;
export const ACCESS_ACCEPT = 2;
export const ACCESS_REJECT = 3;
export const ACCESS_CHALLENGE = 11;

/** RFC 2865/2869 attribute types read or written here. */
export const ATTRIBUTE = {
  'User-Name': 1,
  'Filter-Id': 11,
  'Reply-Message': 18,
  'Callback-Number': 19,
  'Callback-Id': 20,
  State: 24,
  Class: 25,
  'Message-Authenticator': 80,
} as const;

const HEADER_BYTES = 20;
const AUTHENTICATOR_START = 4;
const AUTHENTICATOR_BYTES = 16;
const MAX_PACKET_BYTES = 4096;
/** The Message-Authenticator attribute: type, length 18, 16 bytes of HMAC-MD5. */
const MESSAGE_AUTHENTICATOR_BYTES = 18;

export interface AccessRequestFields {
  /** One byte; random, so a reply to another request does not match. */
  identifier: number;
  /** The Request Authenticator: 16 random bytes. */
  authenticator: Buffer;
  username: string;
  /** The password, or the answer to a challenge. Hidden as RFC 2865 §5.2 says. */
  password: string;
  nasIdentifier: string;
  /** The State of the challenge being answered. */
  state?: Buffer;
}

/**
 * An Access-Request with Message-Authenticator as its first attribute (RFC 3579 §3.2; first, as
 * the Blast-RADIUS advisories ask, so no chosen prefix can come before it). The library encodes
 * the attributes and hides the password; the HMAC is written here.
 */
export function encodeAccessRequest(fields: AccessRequestFields, secret: string): Buffer {
  const attributes: Array<[string, string | Buffer]> = [
    ['Message-Authenticator', Buffer.alloc(16)],
    ['User-Name', fields.username],
    ['User-Password', fields.password],
    ['NAS-Identifier', fields.nasIdentifier],
  ];
  if (fields.state) attributes.push(['State', fields.state]);
  const args = {
    code: 'Access-Request',
    secret,
    identifier: fields.identifier,
    authenticator: fields.authenticator,
    attributes,
    // Written below, at the front, rather than appended by the library.
    add_message_authenticator: false,
  };
  const packet = radiusLibrary().encode(args);
  const hmac = createHmac('md5', secret).update(packet).digest();
  hmac.copy(packet, HEADER_BYTES + 2);
  return packet;
}

/** Why a datagram was not taken as the answer to a request. */
export type ReplyProblem =
  | 'malformed'
  | 'unexpected code'
  | 'another identifier'
  | 'wrong Response Authenticator'
  | 'no Message-Authenticator'
  | 'wrong Message-Authenticator';

export interface RadiusReply {
  code: typeof ACCESS_ACCEPT | typeof ACCESS_REJECT | typeof ACCESS_CHALLENGE;
  /** In the order received: [type, value]. */
  attributes: Array<[number, Buffer]>;
}

/**
 * Checks a datagram against the request it may answer, and returns the reply or what is wrong
 * with it. A reply counts only with the request's identifier, a Response Authenticator made with
 * the shared secret (RFC 2865 §3), and exactly one valid Message-Authenticator (RFC 3579 §3.2,
 * RFC 2869 §5.14). Requiring the last is what defeats Blast-RADIUS (CVE-2024-3596): the forged
 * replies of that attack can match an MD5 Response Authenticator, never a keyed HMAC.
 */
export function checkReply(datagram: Buffer, request: Buffer, secret: string): RadiusReply | ReplyProblem {
  if (datagram.length < HEADER_BYTES) return 'malformed';
  const length = datagram.readUInt16BE(2);
  // Octets past Length are padding and are ignored (RFC 2865 §3); a shorter datagram is broken.
  if (length < HEADER_BYTES || length > MAX_PACKET_BYTES || length > datagram.length) return 'malformed';
  const packet = datagram.subarray(0, length);
  const code = packet[0];
  if (code !== ACCESS_ACCEPT && code !== ACCESS_REJECT && code !== ACCESS_CHALLENGE) return 'unexpected code';
  if (packet[1] !== request[1]) return 'another identifier';
  const attributes = parseAttributes(packet.subarray(HEADER_BYTES));
  if (!attributes) return 'malformed';

  const requestAuthenticator = request.subarray(AUTHENTICATOR_START, AUTHENTICATOR_START + AUTHENTICATOR_BYTES);
  if (!sameBytes(packet.subarray(AUTHENTICATOR_START, HEADER_BYTES), responseAuthenticator(packet, requestAuthenticator, secret))) {
    return 'wrong Response Authenticator';
  }

  const authenticators = attributes.filter(([type]) => type === ATTRIBUTE['Message-Authenticator']);
  if (authenticators.length === 0) return 'no Message-Authenticator';
  if (authenticators.length > 1 || authenticators[0][1].length !== MESSAGE_AUTHENTICATOR_BYTES - 2) return 'wrong Message-Authenticator';
  if (!sameBytes(authenticators[0][1], replyMessageAuthenticator(packet, requestAuthenticator, secret))) return 'wrong Message-Authenticator';

  return { code, attributes };
}

/** MD5(Code + Identifier + Length + Request Authenticator + Attributes + secret): RFC 2865 §3. */
export function responseAuthenticator(reply: Buffer, requestAuthenticator: Buffer, secret: string): Buffer {
  return createHash('md5')
    .update(reply.subarray(0, AUTHENTICATOR_START))
    .update(requestAuthenticator)
    .update(reply.subarray(HEADER_BYTES))
    .update(secret, 'utf8')
    .digest();
}

/**
 * HMAC-MD5 of the reply as it was before signing: the Request Authenticator in place of the
 * Response Authenticator and the Message-Authenticator's value zeroed (RFC 3579 §3.2).
 */
export function replyMessageAuthenticator(reply: Buffer, requestAuthenticator: Buffer, secret: string): Buffer {
  const copy = Buffer.from(reply);
  requestAuthenticator.copy(copy, AUTHENTICATOR_START);
  let offset = HEADER_BYTES;
  while (offset < copy.length) {
    const type = copy[offset];
    const length = copy[offset + 1];
    if (length < 2) break;
    if (type === ATTRIBUTE['Message-Authenticator']) copy.fill(0, offset + 2, offset + length);
    offset += length;
  }
  return createHmac('md5', secret).update(copy).digest();
}

/** The attributes, or undefined when their lengths do not add up to the packet's. */
function parseAttributes(bytes: Buffer): Array<[number, Buffer]> | undefined {
  const attributes: Array<[number, Buffer]> = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length) return undefined;
    const length = bytes[offset + 1];
    if (length < 2 || offset + length > bytes.length) return undefined;
    attributes.push([bytes[offset], bytes.subarray(offset + 2, offset + length)]);
    offset += length;
  }
  return attributes;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The values of one attribute in a reply, in order. */
export function attributeValues(reply: RadiusReply, name: keyof typeof ATTRIBUTE): Buffer[] {
  const type = ATTRIBUTE[name];
  return reply.attributes.filter(([candidate]) => candidate === type).map(([, value]) => value);
}
