import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min } from 'class-validator';
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { booleanSetting, IsBooleanSetting, readEnv, settingsFromEnvironment, splitList, throwIfProblems } from '../../config/env';
import { IdpDescriptor, IdpMetadataError, parseIdpMetadata } from './saml-idp-metadata';
import { SAML_ACS_PATH, SAML_METADATA_PATH } from './saml-routes';

const HTTP_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
export const PERSISTENT_NAMEID = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
/** The subject attribute that means the assertion's NameID rather than an attribute. */
export const NAMEID = 'NameID';
const ATTRIBUTE_NAME = { message: '$property must be an attribute name (at most 1024 characters)' };

class SamlEnv {
  /** Where to fetch the identity provider's metadata; turns SAML login on. */
  @IsOptional()
  @IsUrl(HTTP_URL, { message: 'SAML_IDP_METADATA_URL must be the http(s) URL of the identity provider metadata' })
  SAML_IDP_METADATA_URL?: string;

  /** Or a file holding it; turns SAML login on. */
  @IsOptional()
  @IsString()
  SAML_IDP_METADATA_FILE?: string;

  /** Which identity provider, when the metadata lists several (a federation's aggregate). */
  @IsOptional()
  @IsString()
  SAML_IDP_ENTITY_ID?: string;

  /** Our entityID: the Issuer of our AuthnRequests and the Audience the assertions must name. */
  @IsOptional()
  @IsString()
  @MaxLength(1024, { message: 'SAML_SP_ENTITY_ID must be at most 1024 characters' })
  SAML_SP_ENTITY_ID?: string;

  /** The public base URL of this service: the ACS is `<base>/v1/auth/saml/acs`. */
  @IsOptional()
  @IsUrl(HTTP_URL, { message: 'SAML_CALLBACK_BASE_URL must be the public http(s) URL of this service' })
  SAML_CALLBACK_BASE_URL?: string;

  /** Comma-separated URLs the web login may return to; `return_to` must be one of them exactly. */
  @IsOptional()
  @IsString()
  SAML_RETURN_URLS?: string;

  /** PEM private key that signs our AuthnRequests (with SAML_SP_CERT_FILE). */
  @IsOptional()
  @IsString()
  SAML_SP_PRIVATE_KEY_FILE?: string;

  /** PEM certificate of that key, published in our metadata. */
  @IsOptional()
  @IsString()
  SAML_SP_CERT_FILE?: string;

  @Matches(/^urn:\S+$/, { message: 'SAML_NAMEID_FORMAT must be a NameID format URN' })
  SAML_NAMEID_FORMAT: string = PERSISTENT_NAMEID;

  @IsString()
  @MaxLength(1024, ATTRIBUTE_NAME)
  SAML_SUBJECT_ATTRIBUTE: string = NAMEID;

  @IsOptional()
  @IsString()
  @MaxLength(1024, ATTRIBUTE_NAME)
  SAML_ADDRESS_ATTRIBUTE?: string;

  @IsOptional()
  @IsString()
  @MaxLength(1024, ATTRIBUTE_NAME)
  SAML_DISPLAY_NAME_ATTRIBUTE?: string;

  /** Whether the address attribute proves its owner (lets a login join the account that has that address). */
  @IsOptional()
  @IsBooleanSetting()
  SAML_TRUST_ADDRESS?: string;

  @Type(() => Number)
  @IsInt({ message: 'SAML_CLOCK_SKEW_SECONDS must be a whole number of seconds' })
  @Min(0, { message: 'SAML_CLOCK_SKEW_SECONDS must be at least 0' })
  @Max(300, { message: 'SAML_CLOCK_SKEW_SECONDS must be at most 300 (five minutes)' })
  SAML_CLOCK_SKEW_SECONDS: number = 60;
}

export interface SamlSigningKey {
  privateKey: string;
  certificate: string;
}

export interface SamlOnSettings {
  enabled: true;
  /** The metadata is read at start-up from a file, or fetched (and refreshed) from a URL. */
  idp: { metadata: IdpDescriptor } | { metadataUrl: string };
  idpEntityId?: string;
  spEntityId: string;
  /** `<SAML_CALLBACK_BASE_URL>/v1/auth/saml/acs`: the Recipient and Destination of the answers. */
  acsUrl: string;
  metadataUrl: string;
  returnUrls: string[];
  /** Signs our AuthnRequests when set. */
  signing?: SamlSigningKey;
  nameIdFormat: string;
  attributes: { subject: string; address?: string; displayName?: string };
  trustAddress: boolean;
  clockSkewSeconds: number;
}

export type SamlSettings = { enabled: false } | SamlOnSettings;

export function loadSamlSettings(env: NodeJS.ProcessEnv): SamlSettings {
  const problems: string[] = [];
  const vars = readEnv(SamlEnv, env, problems);
  const on = vars.SAML_IDP_METADATA_URL !== undefined || vars.SAML_IDP_METADATA_FILE !== undefined;
  if (!on) {
    for (const name of ['SAML_SP_ENTITY_ID', 'SAML_CALLBACK_BASE_URL'] as const) {
      if (vars[name] !== undefined) {
        problems.push(`${name} is set, but neither SAML_IDP_METADATA_URL nor SAML_IDP_METADATA_FILE is: set one to turn SAML login on`);
      }
    }
    throwIfProblems(problems);
    return { enabled: false };
  }

  if (vars.SAML_IDP_METADATA_URL !== undefined && vars.SAML_IDP_METADATA_FILE !== undefined) {
    problems.push('SAML_IDP_METADATA_URL and SAML_IDP_METADATA_FILE are both set: set one');
  }
  if (vars.SAML_SP_ENTITY_ID === undefined) problems.push('SAML_SP_ENTITY_ID must be set when SAML login is on (our entityID at the identity provider)');
  if (vars.SAML_CALLBACK_BASE_URL === undefined) problems.push('SAML_CALLBACK_BASE_URL must be set when SAML login is on (the public URL of this service)');
  const signing = readSigningKey(vars, problems);
  const returnUrls = splitList(vars.SAML_RETURN_URLS).filter((url) => checkReturnUrl(url, problems));
  let idp: SamlOnSettings['idp'] = { metadataUrl: vars.SAML_IDP_METADATA_URL ?? '' };
  if (vars.SAML_IDP_METADATA_FILE !== undefined) {
    const metadata = readMetadataFile(vars.SAML_IDP_METADATA_FILE, vars.SAML_IDP_ENTITY_ID, problems);
    if (metadata?.wantsSignedRequests && !signing) {
      problems.push('SAML_IDP_METADATA_FILE: the identity provider wants signed AuthnRequests: set SAML_SP_PRIVATE_KEY_FILE and SAML_SP_CERT_FILE');
    }
    if (metadata) idp = { metadata };
  }
  throwIfProblems(problems);

  const base = vars.SAML_CALLBACK_BASE_URL!.replace(/\/+$/, '');
  return {
    enabled: true,
    idp,
    idpEntityId: vars.SAML_IDP_ENTITY_ID,
    spEntityId: vars.SAML_SP_ENTITY_ID!,
    acsUrl: `${base}${SAML_ACS_PATH}`,
    metadataUrl: `${base}${SAML_METADATA_PATH}`,
    returnUrls,
    signing,
    nameIdFormat: vars.SAML_NAMEID_FORMAT,
    attributes: {
      subject: vars.SAML_SUBJECT_ATTRIBUTE,
      address: vars.SAML_ADDRESS_ATTRIBUTE,
      displayName: vars.SAML_DISPLAY_NAME_ATTRIBUTE,
    },
    trustAddress: booleanSetting(vars.SAML_TRUST_ADDRESS, false),
    clockSkewSeconds: vars.SAML_CLOCK_SKEW_SECONDS,
  };
}

function readMetadataFile(path: string, entityId: string | undefined, problems: string[]): IdpDescriptor | undefined {
  let xml: string;
  try {
    xml = readFileSync(path, 'utf8');
  } catch {
    problems.push(`SAML_IDP_METADATA_FILE: ${path} cannot be read`);
    return undefined;
  }
  try {
    return parseIdpMetadata(xml, entityId);
  } catch (error) {
    if (!(error instanceof IdpMetadataError)) throw error;
    problems.push(`SAML_IDP_METADATA_FILE: ${error.message}`);
    return undefined;
  }
}

function readSigningKey(vars: SamlEnv, problems: string[]): SamlSigningKey | undefined {
  const keyFile = vars.SAML_SP_PRIVATE_KEY_FILE;
  const certFile = vars.SAML_SP_CERT_FILE;
  if (keyFile === undefined && certFile === undefined) return undefined;
  if (keyFile === undefined || certFile === undefined) {
    problems.push('SAML_SP_PRIVATE_KEY_FILE and SAML_SP_CERT_FILE go together: set both, or neither');
    return undefined;
  }
  const privateKey = readPem(keyFile, 'SAML_SP_PRIVATE_KEY_FILE', problems);
  const certificate = readPem(certFile, 'SAML_SP_CERT_FILE', problems);
  if (privateKey === undefined || certificate === undefined) return undefined;
  let key: KeyObject;
  let cert: X509Certificate;
  try {
    key = createPrivateKey(privateKey);
  } catch {
    problems.push(`SAML_SP_PRIVATE_KEY_FILE: ${keyFile} is not a PEM private key`);
    return undefined;
  }
  try {
    cert = new X509Certificate(certificate);
  } catch {
    problems.push(`SAML_SP_CERT_FILE: ${certFile} is not a PEM certificate`);
    return undefined;
  }
  if (!cert.checkPrivateKey(key)) {
    problems.push('SAML_SP_CERT_FILE is not the certificate of the key in SAML_SP_PRIVATE_KEY_FILE');
    return undefined;
  }
  return { privateKey, certificate };
}

function readPem(path: string, variable: string, problems: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    problems.push(`${variable}: ${path} cannot be read`);
    return undefined;
  }
}

/** The rules of OIDC_RETURN_URLS: absolute, no fragment of its own (the result goes there), no script or data URL. */
function checkReturnUrl(url: string, problems: string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    problems.push(`SAML_RETURN_URLS: "${url}" is not an absolute URL`);
    return false;
  }
  if (parsed.hash !== '' || url.includes('#')) {
    problems.push(`SAML_RETURN_URLS: "${url}" must not have a #fragment`);
    return false;
  }
  if (['javascript:', 'data:', 'file:'].includes(parsed.protocol)) {
    problems.push(`SAML_RETURN_URLS: "${url}" must be a web or app URL`);
    return false;
  }
  return true;
}

export const samlSettings = settingsFromEnvironment('saml', loadSamlSettings);
