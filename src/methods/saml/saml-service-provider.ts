import { Injectable } from '@nestjs/common';
import type { SAML, SamlConfig } from '@node-saml/node-saml';
import { Clock } from '../../common/clock';
import { IdpDescriptor } from './saml-idp-metadata';
import { SamlIdentityProvider } from './saml-identity-provider';
import { nodeSaml } from './saml-libraries';
import { loggable, SamlRefusal } from './saml-refusal';
import { AcceptedAssertion, checkSignedAssertion, ResponseEnvelope, SAML_SUCCESS, Xml2JsNode } from './saml-response-checks';
import { attributeOf, childElement, childElements, isElement, NS, parseXml, textOf, XmlRefusedError } from './saml-xml';
import { SamlOnSettings } from './saml.settings';

const BASE64 = /^[A-Za-z0-9+/\s]+={0,2}\s*$/;

/**
 * Our side of SAML 2.0 Web Browser SSO, with node-saml: the AuthnRequest (HTTP-Redirect binding,
 * signed when we have a key), the check of the identity provider's answer (HTTP-POST binding), and
 * our SP metadata.
 *
 * node-saml verifies the signatures and hands back only what was signed: the assertion must be
 * signed (a signature on the Response alone does not do), and a Response signature, when there is
 * one, must verify too. Its own checks of times and InResponseTo are off: ours (saml-response-checks.ts)
 * run on the service's clock and against the login states every instance shares.
 */
@Injectable()
export class SamlServiceProvider {
  constructor(
    private readonly idp: SamlIdentityProvider,
    private readonly clock: Clock,
  ) {}

  /** Where to send the browser: the identity provider's SSO URL with our AuthnRequest (ID `requestId`) and RelayState. */
  async authnRequestUrl(requestId: string, relayState: string): Promise<string> {
    const client = this.client(this.idp.settingsOn(), await this.idp.descriptor(), { requestId, responseSigned: false });
    return client.getAuthorizeUrlAsync(relayState, undefined, {});
  }

  /**
   * The assertion of a base64 `SAMLResponse`, once its signatures verified and every check of
   * the profile passed for the login that sent AuthnRequest `requestId`. Throws SamlRefusal (or
   * node-saml's error) otherwise.
   */
  async accept(samlResponse: string, requestId: string): Promise<AcceptedAssertion> {
    const settings = this.idp.settingsOn();
    const idp = await this.idp.descriptor();
    if (!BASE64.test(samlResponse)) throw new SamlRefusal('the SAMLResponse is not base64');
    const envelope = readEnvelope(Buffer.from(samlResponse, 'base64').toString('utf8'));
    // Said before node-saml, whose error would quote the identity provider's StatusMessage into the log.
    if (envelope.statusCode !== SAML_SUCCESS) throw new SamlRefusal(`the identity provider did not log the user in (status ${loggable(envelope.statusCode)})`);
    const client = this.client(settings, idp, { requestId, responseSigned: envelope.signed });
    const { profile } = await client.validatePostResponseAsync({ SAMLResponse: samlResponse });
    const signed = profile?.getAssertion?.() as { Assertion?: Xml2JsNode } | undefined;
    if (!signed?.Assertion) throw new SamlRefusal('the response holds no assertion');
    return checkSignedAssertion(envelope, signed.Assertion, {
      idpEntityId: idp.entityId,
      spEntityId: settings.spEntityId,
      acsUrl: settings.acsUrl,
      requestId,
      nowMs: this.clock.nowMs(),
      clockSkewMs: settings.clockSkewSeconds * 1000,
    });
  }

  /** Our SP metadata: entityID, the ACS (HTTP-POST), the NameID format we ask for, our signing certificate. */
  metadataXml(): string {
    const settings = this.idp.settingsOn();
    return nodeSaml().generateServiceProviderMetadata({
      issuer: settings.spEntityId,
      callbackUrl: settings.acsUrl,
      identifierFormat: settings.nameIdFormat,
      wantAssertionsSigned: true,
      ...(settings.signing
        ? { privateKey: settings.signing.privateKey, publicCerts: settings.signing.certificate, signatureAlgorithm: 'sha256' as const }
        : {}),
    });
  }

  private client(settings: SamlOnSettings, idp: IdpDescriptor, login: { requestId: string; responseSigned: boolean }): SAML {
    const config: SamlConfig = {
      entryPoint: idp.ssoUrl,
      issuer: settings.spEntityId,
      callbackUrl: settings.acsUrl,
      audience: settings.spEntityId,
      idpCert: idp.signingCerts,
      idpIssuer: idp.entityId,
      identifierFormat: settings.nameIdFormat,
      // The identity provider decides how the user authenticates.
      disableRequestedAuthnContext: true,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: login.responseSigned,
      // -1 turns node-saml's time checks off; ours use the service's clock.
      acceptedClockSkewMs: -1,
      validateInResponseTo: nodeSaml().ValidateInResponseTo.never,
      authnRequestBinding: 'HTTP-Redirect',
      generateUniqueId: () => login.requestId,
      ...(settings.signing ? { privateKey: settings.signing.privateKey, signatureAlgorithm: 'sha256' as const } : {}),
    };
    return new (nodeSaml().SAML)(config);
  }
}

/** The outer Response, read before node-saml runs: whether it is signed, and what it says. */
function readEnvelope(xml: string): ResponseEnvelope & { signed: boolean } {
  let root;
  try {
    root = parseXml(xml);
  } catch (error) {
    throw new SamlRefusal(error instanceof XmlRefusedError ? `the SAMLResponse: ${error.message}` : 'the SAMLResponse is not XML');
  }
  if (!isElement(root, NS.protocol, 'Response')) throw new SamlRefusal('the SAMLResponse is not a SAML 2.0 Response');
  const status = childElement(root, NS.protocol, 'Status');
  const statusCode = status && childElement(status, NS.protocol, 'StatusCode');
  const issuer = childElement(root, NS.assertion, 'Issuer');
  return {
    signed: childElements(root, NS.dsig, 'Signature').length > 0,
    destination: attributeOf(root, 'Destination'),
    inResponseTo: attributeOf(root, 'InResponseTo'),
    issuer: issuer ? textOf(issuer) : undefined,
    statusCode: statusCode && attributeOf(statusCode, 'Value'),
  };
}
