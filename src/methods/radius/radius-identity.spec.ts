import { addressPart, challengePrompt, IdentitySettings, radiusIdentity } from './radius-identity';
import { ACCESS_ACCEPT, ACCESS_CHALLENGE, RadiusReply } from './radius-packet';

const DEFAULTS: IdentitySettings = { addressPrefix: 'radius:', trustAddress: false };

function accept(attributes: Array<[number, Buffer | string]> = []): RadiusReply {
  return { code: ACCESS_ACCEPT, attributes: attributes.map(([type, value]) => [type, Buffer.from(value)]) };
}

describe('radiusIdentity', () => {
  it('is the user name the server accepted, at <prefix><username>, not proven', () => {
    expect(radiusIdentity('ada', accept([[1, 'someone-else']]), DEFAULTS)).toEqual({ method: 'radius', subject: 'ada', address: 'radius:ada', verified: false });
  });

  it('keeps the subject as the server accepted it, and escapes it in the default address', () => {
    expect(radiusIdentity('ada@corp.example', accept(), DEFAULTS)).toMatchObject({ subject: 'ada@corp.example', address: 'radius:ada%40corp.example' });
  });

  it('takes the subject from the attribute the settings name, and the address follows it', () => {
    const identity = radiusIdentity('Ada', accept([[1, 'ada.lovelace'], [25, 'employee-1001']]), { ...DEFAULTS, subjectAttribute: 'User-Name' });
    expect(identity).toMatchObject({ subject: 'ada.lovelace', address: 'radius:ada.lovelace' });
    expect(radiusIdentity('ada', accept([[25, 'employee-1001']]), { ...DEFAULTS, subjectAttribute: 'Class' })).toMatchObject({ subject: 'employee-1001' });
  });

  it('takes the address from an attribute, proven only when the operator trusts it', () => {
    const settings: IdentitySettings = { ...DEFAULTS, addressAttribute: 'Filter-Id' };
    expect(radiusIdentity('ada', accept([[11, 'ada@corp.example']]), settings)).toMatchObject({ subject: 'ada', address: 'ada@corp.example', verified: false });
    expect(radiusIdentity('ada', accept([[11, 'ada@corp.example']]), { ...settings, trustAddress: true })).toMatchObject({ verified: true });
  });

  it.each([
    ['missing', []],
    ['empty', [[25, '']]],
    ['not UTF-8', [[25, Buffer.from([0xc3, 0x28])]]],
    ['with a control character', [[25, 'emp\n1001']]],
  ] as Array<[string, Array<[number, Buffer | string]>]>)('says what is wrong when the subject attribute is %s', (_case, attributes) => {
    expect(radiusIdentity('ada', accept(attributes), { ...DEFAULTS, subjectAttribute: 'Class' })).toBe(
      'the Access-Accept has no usable Class attribute (RADIUS_SUBJECT_ATTRIBUTE)',
    );
  });

  it('says what is wrong when the address attribute is missing, or the address would be too long', () => {
    expect(radiusIdentity('ada', accept(), { ...DEFAULTS, addressAttribute: 'Callback-Id' })).toBe(
      'the Access-Accept has no usable Callback-Id attribute (RADIUS_ADDRESS_ATTRIBUTE)',
    );
    const longSubject = 'x'.repeat(250);
    expect(radiusIdentity('ada', accept([[25, longSubject]]), { ...DEFAULTS, subjectAttribute: 'Class' })).toBe(
      'the mesibo address would be longer than 255 characters',
    );
  });
});

describe('addressPart', () => {
  it.each([
    ['ada', 'ada'],
    ['ada.lovelace_1-2', 'ada.lovelace_1-2'],
    ['ada@corp.example', 'ada%40corp.example'],
    ['CORP\\ada', 'CORP%5Cada'],
    ['a,b c', 'a%2Cb%20c'],
    ['Zoë', 'Zo%C3%AB'],
    ['100%', '100%25'],
  ])('writes %j as %j', (subject, part) => {
    expect(addressPart(subject)).toBe(part);
  });

  it('keeps distinct subjects distinct', () => {
    expect(addressPart('a%40b')).not.toBe(addressPart('a@b'));
  });
});

describe('challengePrompt', () => {
  it('joins the Reply-Messages into one line without control characters', () => {
    const challenge: RadiusReply = {
      code: ACCESS_CHALLENGE,
      attributes: [
        [18, Buffer.from('Enter the code\r\n')],
        [24, Buffer.from('state')],
        [18, Buffer.from('from your token\u0007')],
      ],
    };
    expect(challengePrompt(challenge)).toBe('Enter the code from your token');
    expect(challengePrompt({ code: ACCESS_CHALLENGE, attributes: [] })).toBe('');
  });
});
