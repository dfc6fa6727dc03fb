import { parseIdpMetadata } from './saml-idp-metadata';
import { CERT } from '../../../test/support/saml-test-certificate';

const DER = CERT.replace(/-----[^-]+-----|\s/g, '');
const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

function keyDescriptor(use?: string, der = DER): string {
  return `<md:KeyDescriptor${use ? ` use="${use}"` : ''}><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
    <ds:X509Certificate>
      ${der.match(/.{1,64}/g)!.join('\n      ')}
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
}

function entity(entityId: string, inside = keyDescriptor('signing'), attributes = ''): string {
  return `<md:EntityDescriptor xmlns:md="${MD}" entityID="${entityId}">
    <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"${attributes}>
      ${inside}
      <md:SingleSignOnService Binding="${POST}" Location="https://idp.example.com/sso/post"/>
      <md:SingleSignOnService Binding="${REDIRECT}" Location="https://idp.example.com/sso/redirect"/>
    </md:IDPSSODescriptor>
  </md:EntityDescriptor>`;
}

describe('parseIdpMetadata: the identity provider out of SAML 2.0 metadata', () => {
  it('reads the entityID, the HTTP-Redirect SSO URL and the signing certificate as PEM', () => {
    expect(parseIdpMetadata(`<?xml version="1.0"?>${entity('https://idp.example.com/saml')}`)).toEqual({
      entityId: 'https://idp.example.com/saml',
      ssoUrl: 'https://idp.example.com/sso/redirect',
      signingCerts: [`${CERT}\n`],
      wantsSignedRequests: false,
    });
  });

  it('takes keys without `use` (both uses) and leaves encryption-only keys out', () => {
    expect(parseIdpMetadata(entity('https://idp.example.com/saml', keyDescriptor())).signingCerts).toHaveLength(1);
    expect(() => parseIdpMetadata(entity('https://idp.example.com/saml', keyDescriptor('encryption')))).toThrow(/publishes no signing certificate/);
  });

  it('reads WantAuthnRequestsSigned', () => {
    expect(parseIdpMetadata(entity('https://idp.example.com/saml', keyDescriptor('signing'), ' WantAuthnRequestsSigned="true"')).wantsSignedRequests).toBe(true);
  });

  it('picks one identity provider of an aggregate by entityID, and requires the choice when there are several', () => {
    const aggregate = `<md:EntitiesDescriptor xmlns:md="${MD}">${entity('https://a.example.com/idp')}${entity('https://b.example.com/idp')}
      <md:EntityDescriptor entityID="https://sp.example.com"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>
    </md:EntitiesDescriptor>`;
    expect(parseIdpMetadata(aggregate, 'https://b.example.com/idp').entityId).toBe('https://b.example.com/idp');
    expect(() => parseIdpMetadata(aggregate)).toThrow('the metadata describes 2 identity providers: choose one with SAML_IDP_ENTITY_ID');
    expect(() => parseIdpMetadata(aggregate, 'https://sp.example.com')).toThrow(/no SAML 2.0 identity provider with entityID/);
  });

  it.each([
    ['not XML', 'this is not XML <', /not well-formed|not SAML 2.0 metadata/],
    ['another document', '<html><body>login</body></html>', /not SAML 2.0 metadata/],
    ['a DTD (no entity is ever expanded)', `<!DOCTYPE x [<!ENTITY e "x">]>${entity('https://idp.example.com/saml')}`, /DTD/],
    ['no identity provider', `<md:EntityDescriptor xmlns:md="${MD}" entityID="https://sp.example.com"/>`, /no SAML 2.0 identity provider/],
    ['no HTTP-Redirect SSO', entity('https://idp.example.com/saml').replace(`Binding="${REDIRECT}"`, `Binding="${POST}"`), /no SingleSignOnService for the HTTP-Redirect binding/],
    ['a certificate that is not one', entity('https://idp.example.com/saml', keyDescriptor('signing', 'bm90IGEgY2VydGlmaWNhdGU=')), /not a valid X.509 certificate/],
  ])('refuses %s', (_name, xml, message) => {
    expect(() => parseIdpMetadata(xml)).toThrow(message);
  });
});
