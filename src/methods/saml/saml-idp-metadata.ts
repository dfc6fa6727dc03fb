import { X509Certificate } from 'node:crypto';
import { attributeOf, childElement, childElements, descendantElements, isElement, NS, parseXml, textOf, XmlElement, XmlRefusedError } from './saml-xml';

const SAML2_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const HTTP_REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/** What we need to know of the identity provider, from its metadata. */
export interface IdpDescriptor {
  /** Its `entityID`: the Issuer of its assertions. */
  entityId: string;
  /** Its SingleSignOnService for the HTTP-Redirect binding: where the browser takes our AuthnRequest. */
  ssoUrl: string;
  /** The certificates of the keys it signs with, as PEM; any of them may have signed an answer. */
  signingCerts: string[];
  /** WantAuthnRequestsSigned: it refuses AuthnRequests we do not sign. */
  wantsSignedRequests: boolean;
}

/** Metadata that does not describe a usable SAML 2.0 identity provider; the message says why. */
export class IdpMetadataError extends Error {}

/**
 * Reads the identity provider out of SAML 2.0 metadata: an EntityDescriptor, or an
 * EntitiesDescriptor (a federation's aggregate) from which `entityId` picks one; without it, the
 * metadata must describe exactly one identity provider.
 */
export function parseIdpMetadata(xml: string, entityId?: string): IdpDescriptor {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    throw new IdpMetadataError(error instanceof XmlRefusedError ? error.message : 'the metadata is not XML');
  }
  if (!isElement(root, NS.metadata, 'EntityDescriptor') && !isElement(root, NS.metadata, 'EntitiesDescriptor')) {
    throw new IdpMetadataError('the document is not SAML 2.0 metadata (no EntityDescriptor)');
  }
  const providers = descendantElements(root, NS.metadata, 'EntityDescriptor')
    .map((entity) => ({ entity, idp: samlIdpDescriptor(entity) }))
    .filter((candidate): candidate is { entity: XmlElement; idp: XmlElement } => candidate.idp !== undefined);

  let chosen: { entity: XmlElement; idp: XmlElement } | undefined;
  if (entityId !== undefined) {
    chosen = providers.find((candidate) => attributeOf(candidate.entity, 'entityID') === entityId);
    if (!chosen) throw new IdpMetadataError(`the metadata describes no SAML 2.0 identity provider with entityID ${entityId}`);
  } else if (providers.length === 1) {
    chosen = providers[0];
  } else {
    throw new IdpMetadataError(
      providers.length === 0
        ? 'the metadata describes no SAML 2.0 identity provider (no IDPSSODescriptor for the SAML 2.0 protocol)'
        : `the metadata describes ${providers.length} identity providers: choose one with SAML_IDP_ENTITY_ID`,
    );
  }
  return describe(chosen.entity, chosen.idp);
}

function samlIdpDescriptor(entity: XmlElement): XmlElement | undefined {
  return childElements(entity, NS.metadata, 'IDPSSODescriptor').find((descriptor) =>
    (attributeOf(descriptor, 'protocolSupportEnumeration') ?? '').split(/\s+/).includes(SAML2_PROTOCOL),
  );
}

function describe(entity: XmlElement, idp: XmlElement): IdpDescriptor {
  const entityId = attributeOf(entity, 'entityID') ?? '';
  if (entityId === '') throw new IdpMetadataError('the identity provider has no entityID');
  const sso = childElements(idp, NS.metadata, 'SingleSignOnService').find((service) => attributeOf(service, 'Binding') === HTTP_REDIRECT_BINDING);
  const ssoUrl = (sso && attributeOf(sso, 'Location')) ?? '';
  if (!/^https?:\/\/[^/]/i.test(ssoUrl)) {
    throw new IdpMetadataError(`the identity provider ${entityId} has no SingleSignOnService for the HTTP-Redirect binding`);
  }
  const signingCerts = childElements(idp, NS.metadata, 'KeyDescriptor')
    // A key without `use` serves both signing and encryption.
    .filter((key) => (attributeOf(key, 'use') ?? 'signing') === 'signing')
    .flatMap((key) => {
      const keyInfo = childElement(key, NS.dsig, 'KeyInfo');
      return keyInfo ? descendantElements(keyInfo, NS.dsig, 'X509Certificate') : [];
    })
    .map((certificate) => pemOf(textOf(certificate), entityId));
  if (signingCerts.length === 0) throw new IdpMetadataError(`the identity provider ${entityId} publishes no signing certificate`);
  const wantsSigned = attributeOf(idp, 'WantAuthnRequestsSigned');
  return { entityId, ssoUrl, signingCerts: [...new Set(signingCerts)], wantsSignedRequests: wantsSigned === 'true' || wantsSigned === '1' };
}

/** A certificate of the metadata (base64 DER) as PEM, checked to be one. */
function pemOf(base64: string, entityId: string): string {
  const der = base64.replace(/\s+/g, '');
  try {
    new X509Certificate(Buffer.from(der, 'base64'));
  } catch {
    throw new IdpMetadataError(`a signing certificate of the identity provider ${entityId} is not a valid X.509 certificate`);
  }
  const lines = der.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
