import { loggable, SamlRefusal } from './saml-refusal';

export const SAML_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** What the outer Response says. It may be unsigned: nothing here is trusted unless the assertion repeats it. */
export interface ResponseEnvelope {
  destination?: string;
  inResponseTo?: string;
  issuer?: string;
  statusCode?: string;
}

/** An element as xml2js gives it (node-saml's parse of the signed assertion): attributes in `$`, text in `_`. */
export interface Xml2JsNode {
  $?: Record<string, string | undefined>;
  _?: string;
  [child: string]: unknown;
}

/** The checks' view of the world: who we are, what we asked for, and when it is. */
export interface ResponseExpectations {
  idpEntityId: string;
  spEntityId: string;
  acsUrl: string;
  /** The ID of our AuthnRequest this login started with. */
  requestId: string;
  nowMs: number;
  clockSkewMs: number;
}

/** The facts of a signed assertion that passed every check. */
export interface AcceptedAssertion {
  id: string;
  issuer: string;
  /** Until when (epoch ms, skew included) the assertion would be accepted: how long to remember its use. */
  acceptableUntilMs: number;
  nameId?: string;
  nameIdFormat?: string;
  /** By attribute Name, and by FriendlyName where it has one; values in order. */
  attributes: Map<string, string[]>;
}

/**
 * The checks of the SAML 2.0 Web Browser SSO profile (profiles §4.1.4.3) that node-saml leaves to
 * us, on the assertion whose signature it verified (`assertion`, never the unsigned document):
 * issued by our identity provider, for us (audience), to our ACS (recipient), in answer to the
 * AuthnRequest of this login (InResponseTo), and valid now (NotBefore / NotOnOrAfter, with the
 * clock skew allowed). The outer Response must agree where it speaks.
 */
export function checkSignedAssertion(envelope: ResponseEnvelope, assertion: Xml2JsNode, expected: ResponseExpectations): AcceptedAssertion {
  if (envelope.statusCode !== SAML_SUCCESS) throw new SamlRefusal(`the response status is not Success (${loggable(envelope.statusCode)})`);
  if (envelope.destination !== undefined && envelope.destination !== expected.acsUrl) throw new SamlRefusal('the response Destination is not our ACS URL');
  if (envelope.inResponseTo !== expected.requestId) throw new SamlRefusal("the response's InResponseTo is not the AuthnRequest of this login");
  if (envelope.issuer !== undefined && envelope.issuer !== expected.idpEntityId) throw new SamlRefusal('the response Issuer is not the identity provider');

  const id = assertion.$?.ID;
  if (!id) throw new SamlRefusal('the assertion has no ID');
  const issuer = textOf(first(assertion, 'Issuer'));
  if (issuer !== expected.idpEntityId) throw new SamlRefusal('the assertion Issuer is not the identity provider');
  if (children(assertion, 'AuthnStatement').length === 0) throw new SamlRefusal('the assertion has no AuthnStatement');

  const subject = first(assertion, 'Subject');
  if (!subject) throw new SamlRefusal('the assertion has no Subject');
  const confirmedUntil = bearerConfirmation(subject, expected);

  const conditions = children(assertion, 'Conditions');
  if (conditions.length > 1) throw new SamlRefusal('the assertion has more than one Conditions');
  let acceptableUntilMs = confirmedUntil;
  const condition = conditions[0];
  if (condition) {
    const window = timeWindow(condition, 'Conditions', expected);
    if (window.notOnOrAfter !== undefined) acceptableUntilMs = Math.min(acceptableUntilMs, window.notOnOrAfter);
  }
  checkAudience(conditions, expected.spEntityId);

  const nameIdNode = first(subject, 'NameID');
  const nameId = textOf(nameIdNode);
  return {
    id,
    issuer,
    acceptableUntilMs: acceptableUntilMs + expected.clockSkewMs,
    ...(nameId ? { nameId, nameIdFormat: nameIdNode?.$?.Format } : {}),
    attributes: attributesOf(assertion),
  };
}

/**
 * A bearer SubjectConfirmation for this login: to our ACS, in answer to our request, unexpired.
 * Returns its NotOnOrAfter (epoch ms).
 */
function bearerConfirmation(subject: Xml2JsNode, expected: ResponseExpectations): number {
  const bearers = children(subject, 'SubjectConfirmation').filter((confirmation) => confirmation.$?.Method === BEARER);
  if (bearers.length === 0) throw new SamlRefusal('the assertion has no bearer SubjectConfirmation');
  let refusal = new SamlRefusal('no SubjectConfirmation of the assertion is for this login');
  for (const confirmation of bearers) {
    const data = first(confirmation, 'SubjectConfirmationData');
    try {
      if (!data) throw new SamlRefusal('a SubjectConfirmation has no SubjectConfirmationData');
      if (data.$?.Recipient !== expected.acsUrl) throw new SamlRefusal('the SubjectConfirmationData Recipient is not our ACS URL');
      if (data.$?.InResponseTo !== expected.requestId) throw new SamlRefusal('the SubjectConfirmationData InResponseTo is not the AuthnRequest of this login');
      const window = timeWindow(data, 'SubjectConfirmationData', expected);
      if (window.notOnOrAfter === undefined) throw new SamlRefusal('the SubjectConfirmationData has no NotOnOrAfter');
      return window.notOnOrAfter;
    } catch (error) {
      if (!(error instanceof SamlRefusal)) throw error;
      refusal = error;
    }
  }
  throw refusal;
}

/** Checks NotBefore / NotOnOrAfter of an element against now, with the skew allowed. */
function timeWindow(node: Xml2JsNode, what: string, expected: ResponseExpectations): { notOnOrAfter?: number } {
  const notBefore = instant(node.$?.NotBefore, `${what} NotBefore`);
  const notOnOrAfter = instant(node.$?.NotOnOrAfter, `${what} NotOnOrAfter`);
  if (notBefore !== undefined && expected.nowMs + expected.clockSkewMs < notBefore) throw new SamlRefusal(`the assertion is not valid yet (${what} NotBefore)`);
  if (notOnOrAfter !== undefined && expected.nowMs - expected.clockSkewMs >= notOnOrAfter) throw new SamlRefusal(`the assertion has expired (${what} NotOnOrAfter)`);
  return { notOnOrAfter };
}

/** Each AudienceRestriction must name us (SAML core §2.5.1.4); and there must be one. */
function checkAudience(conditions: Xml2JsNode[], spEntityId: string): void {
  const restrictions = conditions.flatMap((condition) => children(condition, 'AudienceRestriction'));
  if (restrictions.length === 0) throw new SamlRefusal('the assertion has no AudienceRestriction');
  for (const restriction of restrictions) {
    if (!children(restriction, 'Audience').some((audience) => textOf(audience) === spEntityId)) {
      throw new SamlRefusal('the assertion is for another audience');
    }
  }
}

function attributesOf(assertion: Xml2JsNode): Map<string, string[]> {
  const attributes = new Map<string, string[]>();
  for (const statement of children(assertion, 'AttributeStatement')) {
    for (const attribute of children(statement, 'Attribute')) {
      const values = children(attribute, 'AttributeValue')
        .map((value) => (typeof value === 'string' ? value : value._))
        .filter((value): value is string => typeof value === 'string');
      for (const name of [attribute.$?.Name, attribute.$?.FriendlyName]) {
        if (name && !attributes.has(name)) attributes.set(name, values);
      }
    }
  }
  return attributes;
}

/** xsd:dateTime to epoch ms; a value that is not one is a refusal, not "no limit". */
function instant(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new SamlRefusal(`the ${what} is not a time`);
  return ms;
}

function children(node: Xml2JsNode, name: string): Xml2JsNode[] {
  const value = node[name];
  return Array.isArray(value) ? (value as Xml2JsNode[]) : [];
}

function first(node: Xml2JsNode, name: string): Xml2JsNode | undefined {
  return children(node, name)[0];
}

function textOf(node: Xml2JsNode | undefined): string {
  return (typeof node === 'string' ? node : (node?._ ?? '')).trim();
}
