import { SamlRefusal } from './saml-refusal';
import { addressPart, samlIdentity } from './saml-identity';
import { AcceptedAssertion } from './saml-response-checks';

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const DEFAULTS = { attributes: { subject: 'NameID' }, trustAddress: false };

function assertion(attributes: Record<string, string[]> = {}, nameId: string | null = 'alice', nameIdFormat = PERSISTENT): AcceptedAssertion {
  return {
    id: '_assertion',
    issuer: 'https://idp.example.com/saml',
    acceptableUntilMs: 0,
    ...(nameId === null ? {} : { nameId, nameIdFormat }),
    attributes: new Map(Object.entries(attributes)),
  };
}

function refusalOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SamlRefusal);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('samlIdentity: who the assertion says logged in', () => {
  it('by default: the persistent NameID, and the address saml:<subject>, unproven', () => {
    expect(samlIdentity(DEFAULTS, assertion())).toEqual({ method: 'saml', subject: 'alice', address: 'saml:alice', verified: false });
  });

  it('refuses a transient NameID (another one at every login) and a missing one', () => {
    expect(refusalOf(() => samlIdentity(DEFAULTS, assertion({}, 'a1b2c3', 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient')))).toMatch(/transient/);
    expect(refusalOf(() => samlIdentity(DEFAULTS, assertion({}, null)))).toMatch(/no usable NameID/);
  });

  it('takes the subject from the attribute SAML_SUBJECT_ATTRIBUTE names, its first non-empty value', () => {
    const settings = { ...DEFAULTS, attributes: { subject: 'employeeNumber' } };
    expect(samlIdentity(settings, assertion({ employeeNumber: ['', 'E-1001'] })).subject).toBe('E-1001');
    expect(refusalOf(() => samlIdentity(settings, assertion()))).toContain('no usable employeeNumber attribute (SAML_SUBJECT_ATTRIBUTE)');
  });

  it('escapes the subject in the default address, so an email-shaped NameID is no email address', () => {
    expect(samlIdentity(DEFAULTS, assertion({}, 'Ada@Corp.example')).address).toBe('saml:Ada%40Corp.example');
    expect(addressPart('a b,c/ü')).toBe('a%20b%2Cc%2F%C3%BC');
    // Distinct subjects stay distinct.
    expect(addressPart('a%40b')).not.toBe(addressPart('a@b'));
  });

  it('takes the address from SAML_ADDRESS_ATTRIBUTE, an email in its one spelling; proven only with SAML_TRUST_ADDRESS', () => {
    const settings = { attributes: { subject: 'NameID', address: 'mail' }, trustAddress: false };
    expect(samlIdentity(settings, assertion({ mail: [' Alice@Example.COM '] }))).toMatchObject({ address: 'alice@example.com', verified: false });
    expect(samlIdentity({ ...settings, trustAddress: true }, assertion({ mail: ['alice@example.com'] })).verified).toBe(true);
    expect(samlIdentity(settings, assertion({ mail: ['alice'] })).address).toBe('alice');
    expect(refusalOf(() => samlIdentity(settings, assertion()))).toContain('no usable mail attribute (SAML_ADDRESS_ATTRIBUTE)');
  });

  it('adds the display name when there is a usable one', () => {
    const settings = { attributes: { subject: 'NameID', displayName: 'displayName' }, trustAddress: false };
    expect(samlIdentity(settings, assertion({ displayName: ['Alice Example'] })).displayName).toBe('Alice Example');
    expect(samlIdentity(settings, assertion({ displayName: ['Alice\u0000'] }))).not.toHaveProperty('displayName');
    expect(samlIdentity(settings, assertion())).not.toHaveProperty('displayName');
  });

  it('uses no value the database could not store: too long, or with control characters', () => {
    expect(refusalOf(() => samlIdentity(DEFAULTS, assertion({}, 'x'.repeat(256))))).toMatch(/no usable NameID/);
    expect(refusalOf(() => samlIdentity(DEFAULTS, assertion({}, 'al\nice')))).toMatch(/no usable NameID/);
    // 251 characters fit the subject, not the address made of it.
    expect(samlIdentity(DEFAULTS, assertion({}, 'x'.repeat(250))).address).toHaveLength(255);
    expect(refusalOf(() => samlIdentity(DEFAULTS, assertion({}, 'x'.repeat(251))))).toMatch(/longer than 255/);
  });
});
