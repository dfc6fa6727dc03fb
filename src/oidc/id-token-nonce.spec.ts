import { createHash } from 'node:crypto';
import { nonceMatches } from './id-token-nonce';

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

describe('nonceMatches: the nonce claim of an ID token against the nonce the app sent', () => {
  it('accepts the raw nonce, as Google SDKs put it in the token', () => {
    expect(nonceMatches('n-0S6_WzA2Mj', 'n-0S6_WzA2Mj')).toBe(true);
  });

  it('accepts a token carrying the SHA-256 (hex) of the raw nonce, as Sign in with Apple apps do, in either case', () => {
    expect(nonceMatches(sha256Hex('raw-nonce-of-the-app'), 'raw-nonce-of-the-app')).toBe(true);
    expect(nonceMatches(sha256Hex('raw-nonce-of-the-app').toUpperCase(), 'raw-nonce-of-the-app')).toBe(true);
  });

  it('refuses the hash copied from the token: a leaked token with a hashed nonce is of no use without the raw value', () => {
    const hash = sha256Hex('raw-nonce-of-the-app');
    expect(nonceMatches(hash, hash)).toBe(false);
    expect(nonceMatches(hash, hash.toUpperCase())).toBe(false);
  });

  it('refuses another nonce, and a token without a nonce', () => {
    expect(nonceMatches('nonce-1', 'nonce-2')).toBe(false);
    expect(nonceMatches('Nonce', 'nonce')).toBe(false);
    expect(nonceMatches(sha256Hex('raw'), 'RAW')).toBe(false);
    expect(nonceMatches(undefined, 'nonce')).toBe(false);
    expect(nonceMatches('', '')).toBe(false);
    expect(nonceMatches(42, '42')).toBe(false);
  });
});
