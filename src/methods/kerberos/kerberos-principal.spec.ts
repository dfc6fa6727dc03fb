import { addressFor, identityFromPrincipal, parsePrincipal, PrincipalRules } from './kerberos-principal';

const RULES: PrincipalRules = { realms: ['EXAMPLE.ORG'], allowInstances: false, addressTemplate: '{user}', trustAddress: false };

describe('parsePrincipal', () => {
  it('splits a principal into its name, components and realm', () => {
    expect(parsePrincipal('alice@EXAMPLE.ORG')).toEqual({ name: 'alice', components: ['alice'], realm: 'EXAMPLE.ORG' });
    expect(parsePrincipal('alice/admin@EXAMPLE.ORG')).toEqual({ name: 'alice/admin', components: ['alice', 'admin'], realm: 'EXAMPLE.ORG' });
  });

  it.each([
    ['no realm', 'alice'],
    ['an empty realm', 'alice@'],
    ['an empty name', '@EXAMPLE.ORG'],
    ['an empty component', 'alice/@EXAMPLE.ORG'],
    ['two @', 'alice@example.com@EXAMPLE.ORG'],
    ['a quoted @ (an enterprise name)', 'alice\\@example.com@EXAMPLE.ORG'],
    ['a quoted /', 'ali\\/ce@EXAMPLE.ORG'],
    ['a control character', 'ali\nce@EXAMPLE.ORG'],
  ])('does not read a name with %s', (_why, name) => {
    expect(parsePrincipal(name)).toBeUndefined();
  });
});

describe('identityFromPrincipal', () => {
  it('proves the full principal as subject, with the name as address, not verified by default', () => {
    expect(identityFromPrincipal('alice@EXAMPLE.ORG', RULES)).toEqual({
      identity: { method: 'kerberos', subject: 'alice@EXAMPLE.ORG', address: 'alice', verified: false },
    });
  });

  it('builds the address from the template and marks it verified when trusted', () => {
    const rules = { ...RULES, addressTemplate: '{user}@example.org', trustAddress: true };
    expect(identityFromPrincipal('alice@EXAMPLE.ORG', rules)).toEqual({
      identity: { method: 'kerberos', subject: 'alice@EXAMPLE.ORG', address: 'alice@example.org', verified: true },
    });
  });

  it('compares realms exactly: another realm, or the same in other case, is refused', () => {
    expect(identityFromPrincipal('alice@OTHER.ORG', RULES)).toEqual({ refused: expect.stringContaining('OTHER.ORG') });
    expect(identityFromPrincipal('alice@example.org', RULES)).toHaveProperty('refused');
    expect(identityFromPrincipal('bob@OTHER.ORG', { ...RULES, realms: ['EXAMPLE.ORG', 'OTHER.ORG'] })).toHaveProperty('identity');
  });

  it('refuses a principal with an instance unless instances are allowed', () => {
    expect(identityFromPrincipal('alice/admin@EXAMPLE.ORG', RULES)).toEqual({ refused: expect.stringContaining('KERBEROS_ALLOW_INSTANCES') });
    expect(identityFromPrincipal('HTTP/www.example.org@EXAMPLE.ORG', RULES)).toHaveProperty('refused');
    expect(identityFromPrincipal('alice/admin@EXAMPLE.ORG', { ...RULES, allowInstances: true })).toEqual({
      identity: expect.objectContaining({ subject: 'alice/admin@EXAMPLE.ORG', address: 'alice/admin' }),
    });
  });

  it('refuses names it cannot read and identifiers longer than the columns', () => {
    expect(identityFromPrincipal('alice\\@example.com@EXAMPLE.ORG', RULES)).toHaveProperty('refused');
    expect(identityFromPrincipal(`${'a'.repeat(250)}@EXAMPLE.ORG`, RULES)).toHaveProperty('refused');
    const longAddress = { ...RULES, addressTemplate: `{user}@${'x'.repeat(250)}` };
    expect(identityFromPrincipal('alice@EXAMPLE.ORG', longAddress)).toHaveProperty('refused');
  });
});

describe('addressFor', () => {
  it('fills {user} and {realm} in one pass', () => {
    expect(addressFor({ name: 'alice', realm: 'EXAMPLE.ORG' }, '{user}.{realm}')).toBe('alice.EXAMPLE.ORG');
    expect(addressFor({ name: '{realm}', realm: 'EXAMPLE.ORG' }, 'u-{user}')).toBe('u-{realm}');
  });
});
