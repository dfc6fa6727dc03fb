// The routes of the SAML web login that other code needs to know, under the service's public base URL.

/** The AssertionConsumerService: the identity provider's answer arrives here as a form POST. */
export const SAML_ACS_PATH = '/v1/auth/saml/acs';
/** Our SP metadata, for the identity provider's administrator. */
export const SAML_METADATA_PATH = '/v1/auth/saml/metadata';
