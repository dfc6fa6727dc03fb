import { createHash } from 'node:crypto';
import { sameSecret } from '../common/credentials';

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * Whether the `nonce` claim of an ID token is the nonce the app sent with it. The app either gave
 * the provider the SHA-256 (hex) of its nonce and sends us the raw value (what Sign in with Apple
 * apps do, and Firebase's convention), or gave the provider its nonce as is (Google's SDKs put
 * exactly what they were given in the token).
 *
 * A claim that is a SHA-256 in hex only matches its raw value: then only the app, which alone
 * knows that value, can use the token, even if the token leaks. A raw nonce can be read from the
 * token by whoever holds it, so it only ties the token to the app's request; replays are stopped
 * by using each token once (IdTokenUses).
 */
export function nonceMatches(claim: unknown, nonce: string): boolean {
  if (typeof claim !== 'string' || claim === '' || nonce === '') return false;
  if (SHA256_HEX.test(claim)) return sameSecret(claim.toLowerCase(), sha256Hex(nonce));
  return sameSecret(claim, nonce);
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
