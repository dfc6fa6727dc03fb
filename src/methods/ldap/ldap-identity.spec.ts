import { addressFrom, DirectoryEntry, formatGuid, identityOf, stableId } from './ldap-identity';
import { LdapSettings } from './ldap.settings';

const UUID = '5f1b9c7e-33a5-103f-8b4f-8d0f1c2e3a4b';
const OPENLDAP: Pick<LdapSettings, 'attributes' | 'addressKind' | 'trustAddress'> = {
  attributes: { id: 'entryUUID', address: 'mail', name: 'cn' },
  addressKind: 'email',
  trustAddress: false,
};

function entry(attributes: DirectoryEntry['attributes']): DirectoryEntry {
  return { dn: 'uid=ada,ou=people,dc=example,dc=org', attributes };
}

describe('objectGUID as a GUID string', () => {
  it('reads the first three groups little-endian and the rest in order', () => {
    expect(formatGuid(Buffer.from('33221100554477668899aabbccddeeff', 'hex'))).toBe('00112233-4455-6677-8899-aabbccddeeff');
  });

  it('reads the bytes as .NET Guid(byte[]) and Python uuid.UUID(bytes_le=...) do', () => {
    // Computed with Python: str(uuid.UUID(bytes_le=base64.b64decode('yRTnfwvsKEmTEgZFWaUvPw==')))
    expect(formatGuid(Buffer.from('yRTnfwvsKEmTEgZFWaUvPw==', 'base64'))).toBe('7fe714c9-ec0b-4928-9312-064559a52f3f');
  });

  it('does not change the bytes it was given', () => {
    const bytes = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    formatGuid(bytes);
    expect(bytes.toString('hex')).toBe('00112233445566778899aabbccddeeff');
  });

  it('refuses anything but 16 bytes', () => {
    expect(() => formatGuid(Buffer.alloc(15))).toThrow('16 bytes');
  });
});

describe('the stable id', () => {
  it('is the GUID string for objectGUID, whatever the case of its name', () => {
    const bytes = Buffer.from('33221100554477668899aabbccddeeff', 'hex');
    expect(stableId('objectGUID', bytes)).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(stableId('objectguid', [bytes])).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(stableId('objectGUID', Buffer.alloc(4))).toBeUndefined();
  });

  it('is the text of entryUUID and other text attributes, given as a string or as bytes', () => {
    expect(stableId('entryUUID', UUID)).toBe(UUID);
    expect(stableId('entryUUID', Buffer.from(UUID))).toBe(UUID);
    expect(stableId('employeeNumber', ['  4711 ', '9'])).toBe('4711');
  });

  it('is hex for a binary value that is not text', () => {
    expect(stableId('nsUniqueId', Buffer.from([0xff, 0x00, 0x10]))).toBe('ff0010');
  });

  it('is missing for no value, an empty one, or one too long for the identities table', () => {
    expect(stableId('entryUUID', undefined)).toBeUndefined();
    expect(stableId('entryUUID', [])).toBeUndefined();
    expect(stableId('entryUUID', '')).toBeUndefined();
    expect(stableId('entryUUID', 'x'.repeat(251))).toBeUndefined();
  });
});

describe('the address attribute', () => {
  it.each([
    ['email', ' Ada@Example.ORG ', 'ada@example.org'],
    ['email', 'not an address', undefined],
    ['phone', '+1 (800) 555-0199', '18005550199'],
    ['phone', '0800 555', undefined],
    ['text', '  ada.lovelace ', 'ada.lovelace'],
    ['text', 'two\nlines', undefined],
  ] as const)('as %s: %j is %j', (kind, value, address) => {
    expect(addressFrom(value, kind)).toBe(address);
  });

  it('reads national phone numbers in PHONE_DEFAULT_REGION', () => {
    expect(addressFrom('030 1234567', 'phone', 'DE')).toBe('49301234567');
  });
});

describe('the identity of an entry', () => {
  it('has the id as subject, never the DN, and the name; an untrusted email is not the address', () => {
    expect(identityOf(entry({ entryUUID: UUID, mail: 'ada@example.org', cn: 'Ada Lovelace' }), OPENLDAP)).toEqual({
      method: 'ldap',
      subject: UUID,
      address: `ldap:${UUID}`,
      displayName: 'Ada Lovelace',
      verified: false,
    });
  });

  it('takes a trusted email or phone as a verified address', () => {
    expect(identityOf(entry({ entryUUID: UUID, mail: 'Ada@Example.org' }), { ...OPENLDAP, trustAddress: true })).toMatchObject({
      address: 'ada@example.org',
      verified: true,
    });
    const phone = { attributes: { id: 'entryUUID', address: 'mobile', name: 'cn' }, addressKind: 'phone', trustAddress: true } as const;
    expect(identityOf(entry({ entryUUID: UUID, mobile: '+1 800 555 0199' }), phone)).toMatchObject({ address: '18005550199', verified: true });
  });

  it('takes an untrusted text address that is neither a phone nor an email, unverified', () => {
    const text = { attributes: { id: 'entryUUID', address: 'uid', name: 'cn' }, addressKind: 'text', trustAddress: false } as const;
    expect(identityOf(entry({ entryUUID: UUID, uid: 'ada' }), text)).toMatchObject({ address: 'ada', verified: false });
    expect(identityOf(entry({ entryUUID: UUID, uid: '4711' }), text)).toMatchObject({ address: `ldap:${UUID}`, verified: false });
  });

  it('falls back to ldap:<id>, unverified, when the address attribute is missing or unusable, even when trusted', () => {
    const trusted = { ...OPENLDAP, trustAddress: true };
    expect(identityOf(entry({ entryUUID: UUID }), trusted)).toMatchObject({ address: `ldap:${UUID}`, verified: false });
    expect(identityOf(entry({ entryUUID: UUID, mail: 'nope' }), trusted)).toMatchObject({ address: `ldap:${UUID}`, verified: false });
  });

  it('finds attributes whatever the case the server used', () => {
    const ad = { attributes: { id: 'objectGUID', address: 'mail', name: 'displayName' }, addressKind: 'email', trustAddress: true } as const;
    const guid = Buffer.from('33221100554477668899aabbccddeeff', 'hex');
    expect(identityOf(entry({ objectguid: guid, MAIL: 'ada@corp.example', displayname: 'Ada' }), ad)).toEqual({
      method: 'ldap',
      subject: '00112233-4455-6677-8899-aabbccddeeff',
      address: 'ada@corp.example',
      displayName: 'Ada',
      verified: true,
    });
  });

  it('has no name for a binary or multi-line name value', () => {
    expect(identityOf(entry({ entryUUID: UUID, cn: Buffer.from([0xff]) }), OPENLDAP)?.displayName).toBeUndefined();
    expect(identityOf(entry({ entryUUID: UUID, cn: 'a\u0000b' }), OPENLDAP)?.displayName).toBeUndefined();
  });

  it('is missing when the entry has no id', () => {
    expect(identityOf(entry({ mail: 'ada@example.org' }), OPENLDAP)).toBeUndefined();
  });
});
