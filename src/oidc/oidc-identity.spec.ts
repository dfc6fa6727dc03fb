import { InvalidIdTokenError } from '../common/errors';
import { oidcIdentity } from './oidc-identity';

const CORP = { name: 'corp', emailAsAddress: false };
const CORP_EMAIL = { name: 'corp', emailAsAddress: true };

describe('oidcIdentity: the identity and the address of a new user', () => {
  it('is oidc:<provider> with the subject, and <provider>:<subject> as address by default', () => {
    expect(oidcIdentity(CORP, { sub: 'abc123', email: 'Ann@Example.com', email_verified: true, name: ' Ann ' })).toEqual({
      method: 'oidc:corp',
      subject: 'abc123',
      address: 'corp:abc123',
      displayName: 'Ann',
      verified: true,
    });
  });

  it('uses the verified email, lowercased, when EMAIL_AS_ADDRESS allows it', () => {
    expect(oidcIdentity(CORP_EMAIL, { sub: 'abc123', email: ' Ann@Example.com', email_verified: true }).address).toBe('ann@example.com');
    expect(oidcIdentity(CORP_EMAIL, { sub: 'abc123', email: 'ann@example.com', email_verified: 'true' }).address).toBe('ann@example.com');
  });

  it('spells the email as email logins do (NFC, IDNA domain), so both reach one user', () => {
    expect(oidcIdentity(CORP_EMAIL, { sub: 'abc123', email: 'Ann@EXÄMPLE.com', email_verified: true }).address).toBe('ann@xn--exmple-cua.com');
    // A domain IDNA would remap to another (full-width letters) is not an address we use.
    expect(oidcIdentity(CORP_EMAIL, { sub: 'abc123', email: 'ann@ｅxample.com', email_verified: true }).address).toBe('corp:abc123');
  });

  it.each<[string, Record<string, unknown>]>([
    ['an unverified email', { email: 'ann@example.com', email_verified: false }],
    ['an email without the flag (GitHub)', { email: 'ann@example.com' }],
    ['no email', { email_verified: true }],
    ['something that is not an email', { email: 'ann', email_verified: true }],
  ])('falls back to <provider>:<subject> for %s', (_label, claims) => {
    expect(oidcIdentity(CORP_EMAIL, { sub: 'abc123', ...claims }).address).toBe('corp:abc123');
  });

  it('stringifies numeric subjects (GitHub ids)', () => {
    expect(oidcIdentity({ name: 'github', emailAsAddress: true }, { sub: 123, email: 'octo@example.com' })).toMatchObject({
      method: 'oidc:github',
      subject: '123',
      address: 'github:123',
    });
  });

  it('leaves the display name out when the provider gives none', () => {
    expect(oidcIdentity(CORP, { sub: 'x', name: '' })).not.toHaveProperty('displayName');
  });

  it.each([undefined, null, '', 'x'.repeat(256), { id: 1 }])('refuses a missing or unusable subject: %p', (sub) => {
    expect(() => oidcIdentity(CORP, { sub })).toThrow(InvalidIdTokenError);
  });

  it.each(['abc\u0000', '\ud800abc', 'a\nb'])('refuses a subject no database can store or compare: %j', (sub) => {
    expect(() => oidcIdentity(CORP, { sub })).toThrow(InvalidIdTokenError);
  });

  it('drops an email or a name with NUL or lone surrogates instead of storing it', () => {
    const identity = oidcIdentity(CORP_EMAIL, { sub: 'abc', email: 'ann\u0000@example.com', email_verified: true, name: 'Ann\ud800' });

    expect(identity.address).toBe('corp:abc');
    expect(identity).not.toHaveProperty('displayName');
  });
});
