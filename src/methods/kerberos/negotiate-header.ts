/**
 * What an `Authorization` header holds for SPNEGO (RFC 4559): `Negotiate <base64 GSS-API token>`.
 * Any other scheme (a `Bearer` user token, `Basic`) is not a Negotiate header at all: the login
 * then asks for one, it never reads another scheme's credentials.
 */
export type NegotiateHeader =
  | { kind: 'absent' }
  /** `Negotiate` with something that is not a base64 token of a sensible size. */
  | { kind: 'malformed' }
  | { kind: 'token'; token: string };

/**
 * Kerberos tickets from Active Directory carry the user's groups (the PAC) and reach tens of
 * kilobytes for users in many groups; Node's own limit on all headers (16 KiB by default,
 * --max-http-header-size) applies before this one.
 */
export const MAX_NEGOTIATE_TOKEN_LENGTH = 64 * 1024;

const SCHEME = /^Negotiate(?:[ \t]+(.*))?$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function readNegotiateHeader(authorization: string | undefined): NegotiateHeader {
  const match = SCHEME.exec((authorization ?? '').trim());
  if (!match) return { kind: 'absent' };
  const token = (match[1] ?? '').trim();
  // A bare `Negotiate` is a client that has no token yet: ask again, as for no header.
  if (token === '') return { kind: 'absent' };
  if (token.length > MAX_NEGOTIATE_TOKEN_LENGTH || token.length % 4 !== 0 || !BASE64.test(token)) return { kind: 'malformed' };
  return { kind: 'token', token };
}
