import { randomBytes } from 'node:crypto';
import { deriveSessionTokenKey, SessionTokenCipher } from './sessions.token-cipher';

const TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const CONTEXT = 'hash-of-the-token';

describe('SessionTokenCipher', () => {
  const secret = Buffer.from('an-otp-secret-of-at-least-32-characters!', 'utf8');
  const cipher = new SessionTokenCipher({ secret });

  it('opens what it sealed, and the sealed form shows nothing of the token', () => {
    const sealed = cipher.seal(TOKEN, CONTEXT);

    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(TOKEN);
    expect(sealed).not.toContain(Buffer.from(TOKEN).toString('base64url').slice(0, 16));
    expect(cipher.open(sealed, CONTEXT)).toBe(TOKEN);
  });

  it('seals the same token differently each time (a random IV)', () => {
    const first = cipher.seal(TOKEN, CONTEXT);
    const second = cipher.seal(TOKEN, CONTEXT);

    expect(first).not.toBe(second);
    expect(cipher.open(second, CONTEXT)).toBe(TOKEN);
  });

  it('does not open under another context, another key, or once altered', () => {
    const sealed = cipher.seal(TOKEN, CONTEXT);
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    bytes[bytes.length - 1] ^= 1;

    expect(cipher.open(sealed, 'hash-of-another-token')).toBeUndefined();
    expect(new SessionTokenCipher({ secret: randomBytes(40) }).open(sealed, CONTEXT)).toBeUndefined();
    expect(cipher.open(`v1.${bytes.toString('base64url')}`, CONTEXT)).toBeUndefined();
    expect(cipher.open('v2.' + sealed.slice(3), CONTEXT)).toBeUndefined();
    expect(cipher.open('v1.', CONTEXT)).toBeUndefined();
    expect(cipher.open('garbage', CONTEXT)).toBeUndefined();
  });

  it('derives a 256-bit key of its own from the secret (HKDF), not the secret itself', () => {
    const key = deriveSessionTokenKey(secret);

    expect(key).toHaveLength(32);
    expect(key.equals(secret.subarray(0, 32))).toBe(false);
    expect(deriveSessionTokenKey(secret).equals(key)).toBe(true);
    expect(deriveSessionTokenKey(Buffer.from('another-secret-of-at-least-32-characters', 'utf8')).equals(key)).toBe(false);
  });
});
