import type * as NodeSaml from '@node-saml/node-saml';

// node-saml and the XML parser are loaded by the first SAML login (or the start of a service that
// has SAML turned on), never by a service without it. Their types are imported as types only.

/** @node-saml/node-saml: AuthnRequests, signature checks of responses, SP metadata. */
export function nodeSaml(): typeof NodeSaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@node-saml/node-saml') as typeof NodeSaml;
}

/** The part of @xmldom/xmldom (node-saml's own parser) that saml-xml.ts uses. */
export interface XmlDomModule {
  DOMParser: new (options: {
    errorHandler: { warning?: (message: string) => void; error: (message: string) => void; fatalError: (message: string) => void };
  }) => { parseFromString(xml: string, mimeType: string): { documentElement: unknown } };
}

export function xmldom(): XmlDomModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@xmldom/xmldom') as XmlDomModule;
}
