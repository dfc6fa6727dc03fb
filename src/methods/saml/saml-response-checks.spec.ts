import { SamlRefusal } from './saml-refusal';
import { checkSignedAssertion, ResponseEnvelope, ResponseExpectations, Xml2JsNode } from './saml-response-checks';

const IDP = 'https://idp.example.com/saml';
const SP = 'https://chat.example.com/saml';
const ACS = 'https://chat.example.com/v1/auth/saml/acs';
const REQUEST_ID = '_request-of-this-login';
const NOW = Date.parse('2026-06-01T12:00:00Z');
const EXPECTED: ResponseExpectations = { idpEntityId: IDP, spEntityId: SP, acsUrl: ACS, requestId: REQUEST_ID, nowMs: NOW, clockSkewMs: 60_000 };
const ENVELOPE: ResponseEnvelope = { destination: ACS, inResponseTo: REQUEST_ID, issuer: IDP, statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success' };

/** An xsd:dateTime `seconds` from NOW. */
const at = (seconds: number) => new Date(NOW + seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');

type Attributes = Record<string, string | undefined>;
interface Element {
  $: Attributes;
  _?: string;
}
interface Text {
  _: string;
}
/** The shape of the assertions below, so the tests can change them with types. */
interface AssertionShape {
  $: Attributes;
  Issuer: Text[];
  Subject?: Array<{
    NameID: Array<Element & Text>;
    SubjectConfirmation: Array<{ $: Attributes; SubjectConfirmationData: Element[] }>;
  }>;
  Conditions: Array<{ $: Attributes; AudienceRestriction?: Array<{ Audience: Text[] }> }>;
  AuthnStatement?: Element[];
  AttributeStatement: Array<{ Attribute: Array<{ $: Attributes; AttributeValue: Text[] }> }>;
}

/** A signed assertion as node-saml hands it over (xml2js, prefixes stripped), as SimpleSAMLphp writes one. */
function assertion(): AssertionShape {
  return {
    $: { ID: '_assertion-1', Version: '2.0', IssueInstant: at(0) },
    Issuer: [{ _: IDP }],
    Subject: [
      {
        NameID: [{ _: 'alice', $: { Format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', SPNameQualifier: SP } }],
        SubjectConfirmation: [
          {
            $: { Method: 'urn:oasis:names:tc:SAML:2.0:cm:bearer' },
            SubjectConfirmationData: [{ $: { NotOnOrAfter: at(300), Recipient: ACS, InResponseTo: REQUEST_ID } }],
          },
        ],
      },
    ],
    Conditions: [{ $: { NotBefore: at(-30), NotOnOrAfter: at(300) }, AudienceRestriction: [{ Audience: [{ _: SP }] }] }],
    AuthnStatement: [{ $: { AuthnInstant: at(0) } }],
    AttributeStatement: [
      {
        Attribute: [
          { $: { Name: 'urn:oid:0.9.2342.19200300.100.1.3', FriendlyName: 'mail' }, AttributeValue: [{ _: 'alice@example.com' }] },
          { $: { Name: 'groups' }, AttributeValue: [{ _: 'staff' }, { _: 'admins' }] },
        ],
      },
    ],
  };
}

/** An assertion changed by `change`. */
function changed(change: (node: AssertionShape) => void): Xml2JsNode {
  const node = assertion();
  change(node);
  return node as unknown as Xml2JsNode;
}

const signed = (): Xml2JsNode => assertion() as unknown as Xml2JsNode;
const confirmationData = (node: AssertionShape) => node.Subject![0].SubjectConfirmation[0].SubjectConfirmationData[0].$;

function refusal(envelope: ResponseEnvelope, node: Xml2JsNode, expected = EXPECTED): string {
  try {
    checkSignedAssertion(envelope, node, expected);
  } catch (error) {
    expect(error).toBeInstanceOf(SamlRefusal);
    return (error as Error).message;
  }
  throw new Error('expected the assertion to be refused');
}

describe('checkSignedAssertion: the Web Browser SSO profile checks on a signed assertion', () => {
  it('accepts an assertion for this login, and tells its ID, subject, attributes and how long it stays acceptable', () => {
    const accepted = checkSignedAssertion(ENVELOPE, signed(), EXPECTED);
    expect(accepted).toEqual({
      id: '_assertion-1',
      issuer: IDP,
      acceptableUntilMs: NOW + 300_000 + 60_000,
      nameId: 'alice',
      nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      attributes: new Map([
        ['urn:oid:0.9.2342.19200300.100.1.3', ['alice@example.com']],
        ['mail', ['alice@example.com']],
        ['groups', ['staff', 'admins']],
      ]),
    });
  });

  it('remembers the use until the earlier of the two NotOnOrAfter', () => {
    const shortConditions = changed((node) => (node.Conditions[0].$.NotOnOrAfter = at(120)));
    expect(checkSignedAssertion(ENVELOPE, shortConditions, EXPECTED).acceptableUntilMs).toBe(NOW + 180_000);
  });

  it.each<[string, ResponseEnvelope, RegExp]>([
    ['a status other than Success', { ...ENVELOPE, statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder' }, /status is not Success/],
    ['no status', { ...ENVELOPE, statusCode: undefined }, /status is not Success/],
    ['another Destination', { ...ENVELOPE, destination: 'https://elsewhere.example.com/acs' }, /Destination/],
    ['another InResponseTo', { ...ENVELOPE, inResponseTo: '_another-request' }, /InResponseTo/],
    ['no InResponseTo (unsolicited)', { ...ENVELOPE, inResponseTo: undefined }, /InResponseTo/],
    ['another Issuer', { ...ENVELOPE, issuer: 'https://evil.example.com' }, /response Issuer/],
  ])('refuses a Response with %s', (_name, envelope, reason) => {
    expect(refusal(envelope, signed())).toMatch(reason);
  });

  it('accepts a Response without Destination or Issuer (they are optional)', () => {
    expect(() => checkSignedAssertion({ ...ENVELOPE, destination: undefined, issuer: undefined }, signed(), EXPECTED)).not.toThrow();
  });

  it.each<[string, (node: AssertionShape) => void, RegExp]>([
    ['no ID', (node) => delete node.$.ID, /no ID/],
    ['another Issuer', (node) => (node.Issuer[0]._ = 'https://evil.example.com'), /assertion Issuer/],
    ['no AuthnStatement', (node) => delete node.AuthnStatement, /no AuthnStatement/],
    ['no Subject', (node) => delete node.Subject, /no Subject/],
    ['no bearer confirmation', (node) => (node.Subject![0].SubjectConfirmation[0].$.Method = 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key'), /no bearer/],
    ['another Recipient', (node) => (confirmationData(node).Recipient = 'https://elsewhere.example.com/acs'), /Recipient/],
    ['a confirmation for another request', (node) => (confirmationData(node).InResponseTo = '_other'), /SubjectConfirmationData InResponseTo/],
    ['a confirmation without NotOnOrAfter', (node) => delete confirmationData(node).NotOnOrAfter, /no NotOnOrAfter/],
    ['another audience', (node) => (node.Conditions[0].AudienceRestriction![0].Audience[0]._ = 'https://other.example.com'), /another audience/],
    ['no AudienceRestriction', (node) => delete node.Conditions[0].AudienceRestriction, /no AudienceRestriction/],
    ['a second restriction without us', (node) => node.Conditions[0].AudienceRestriction!.push({ Audience: [{ _: 'https://other.example.com' }] }), /another audience/],
    ['two Conditions', (node) => node.Conditions.push(node.Conditions[0]), /more than one Conditions/],
    ['a time that is not one', (node) => (node.Conditions[0].$.NotOnOrAfter = 'tomorrow'), /not a time/],
  ])('refuses an assertion with %s', (_name, change, reason) => {
    expect(refusal(ENVELOPE, changed(change))).toMatch(reason);
  });

  it('takes any bearer confirmation that is for this login', () => {
    const node = changed((n) =>
      n.Subject![0].SubjectConfirmation.unshift({
        $: { Method: 'urn:oasis:names:tc:SAML:2.0:cm:bearer' },
        SubjectConfirmationData: [{ $: { NotOnOrAfter: at(300), Recipient: 'https://elsewhere.example.com/acs', InResponseTo: REQUEST_ID } }],
      }),
    );
    expect(checkSignedAssertion(ENVELOPE, node, EXPECTED).id).toBe('_assertion-1');
  });

  describe('times, with the clock skew allowed', () => {
    const when = (seconds: number) => ({ ...EXPECTED, nowMs: NOW + seconds * 1000 });

    it('accepts up to the skew past NotOnOrAfter, not at it', () => {
      expect(() => checkSignedAssertion(ENVELOPE, signed(), when(359))).not.toThrow();
      expect(refusal(ENVELOPE, signed(), when(360))).toBe('the assertion has expired (SubjectConfirmationData NotOnOrAfter)');
    });

    it('accepts up to the skew before NotBefore, not earlier', () => {
      expect(() => checkSignedAssertion(ENVELOPE, signed(), when(-90))).not.toThrow();
      expect(refusal(ENVELOPE, signed(), when(-91))).toBe('the assertion is not valid yet (Conditions NotBefore)');
    });

    it('without skew, is exact', () => {
      const exact = (seconds: number) => ({ ...when(seconds), clockSkewMs: 0 });
      expect(refusal(ENVELOPE, signed(), exact(300))).toMatch(/expired/);
      expect(refusal(ENVELOPE, signed(), exact(-31))).toMatch(/not valid yet/);
      expect(() => checkSignedAssertion(ENVELOPE, signed(), exact(299))).not.toThrow();
    });

    it('reads offsets and fractions of a second', () => {
      const node = changed((n) => (n.Conditions[0].$.NotOnOrAfter = '2026-06-01T14:01:00.500+02:00'));
      expect(checkSignedAssertion(ENVELOPE, node, EXPECTED).acceptableUntilMs).toBe(NOW + 60_500 + 60_000);
    });
  });
});
