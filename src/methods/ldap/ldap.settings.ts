import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';
import { booleanSetting, ConfigError, IsBooleanSetting, readEnv, settingsFromEnvironment } from '../../config/env';
import { filterTemplateProblem, GroupMatch, USERNAME_PLACEHOLDER } from './ldap-escape';

/** An attribute name (`mail`, `objectGUID`, `msDS-PrincipalName`) or an OID. */
const ATTRIBUTE = /^([A-Za-z][A-Za-z0-9-]{0,63}|\d+(\.\d+)+)$/;
/** Attribute names whose values are addresses of a known kind, when LDAP_ADDRESS_KIND is not set. */
const EMAIL_ATTRIBUTES = ['mail', 'email', 'userprincipalname'];
const PHONE_ATTRIBUTES = ['telephonenumber', 'mobile', 'homephone', 'ipphone', 'othermobile', 'pager'];

class LdapEnv {
  /** One URL or several (failover, in order), separated by spaces or commas; the method is off while unset. */
  @IsOptional()
  @IsString()
  LDAP_URL?: string;

  @IsOptional()
  @IsBooleanSetting()
  LDAP_STARTTLS?: string;

  @IsOptional()
  @IsString()
  LDAP_CA_FILE?: string;

  @IsOptional()
  @IsBooleanSetting()
  LDAP_ALLOW_PLAINTEXT?: string;

  @IsOptional()
  @IsString()
  LDAP_USER_DN_TEMPLATE?: string;

  @IsOptional()
  @IsString()
  LDAP_BIND_DN?: string;

  @IsOptional()
  @IsString()
  LDAP_BIND_PASSWORD?: string;

  @IsOptional()
  @IsString()
  LDAP_SEARCH_BASE?: string;

  @IsString()
  LDAP_USER_FILTER: string = `(uid=${USERNAME_PLACEHOLDER})`;

  @IsOptional()
  @IsString()
  LDAP_REQUIRED_GROUP?: string;

  @IsIn(['direct', 'nested'], { message: 'LDAP_GROUP_MATCH must be direct or nested (nested: Active Directory only)' })
  LDAP_GROUP_MATCH: string = 'direct';

  @Matches(ATTRIBUTE, { message: 'LDAP_ID_ATTRIBUTE must be an attribute name such as entryUUID or objectGUID' })
  LDAP_ID_ATTRIBUTE: string = 'entryUUID';

  @Matches(ATTRIBUTE, { message: 'LDAP_ADDRESS_ATTRIBUTE must be an attribute name such as mail or mobile' })
  LDAP_ADDRESS_ATTRIBUTE: string = 'mail';

  @IsOptional()
  @IsIn(['email', 'phone', 'text'], { message: 'LDAP_ADDRESS_KIND must be email, phone or text' })
  LDAP_ADDRESS_KIND?: string;

  @Matches(ATTRIBUTE, { message: 'LDAP_NAME_ATTRIBUTE must be an attribute name such as cn or displayName' })
  LDAP_NAME_ATTRIBUTE: string = 'cn';

  @IsOptional()
  @IsBooleanSetting()
  LDAP_TRUST_ADDRESS?: string;

  @Type(() => Number)
  @IsInt({ message: 'LDAP_CONNECT_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'LDAP_CONNECT_TIMEOUT_MS must be at least 100' })
  @Max(60000, { message: 'LDAP_CONNECT_TIMEOUT_MS must be at most 60000' })
  LDAP_CONNECT_TIMEOUT_MS: number = 5000;

  @Type(() => Number)
  @IsInt({ message: 'LDAP_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'LDAP_TIMEOUT_MS must be at least 100' })
  @Max(60000, { message: 'LDAP_TIMEOUT_MS must be at most 60000' })
  LDAP_TIMEOUT_MS: number = 5000;

  @Type(() => Number)
  @IsInt({ message: 'LDAP_MAX_CONNECTIONS must be a whole number' })
  @Min(1, { message: 'LDAP_MAX_CONNECTIONS must be at least 1' })
  @Max(1000, { message: 'LDAP_MAX_CONNECTIONS must be at most 1000' })
  LDAP_MAX_CONNECTIONS: number = 10;
}

export interface LdapServer {
  url: string;
  host: string;
  port: number;
  /** `ldaps://`: TLS from the first byte. */
  secure: boolean;
}

export type AddressKind = 'email' | 'phone' | 'text';

/**
 * How a login finds the user's entry: `search` with the service account (or anonymously) under a
 * base with a filter, then a bind as the entry found; or `template`: a bind to the DN made from
 * the username, then a read of that entry as the user.
 */
export type LdapLookup =
  | { mode: 'search'; bindDn?: string; bindPassword?: string; searchBase: string; userFilter: string }
  | { mode: 'template'; userDnTemplate: string };

export interface LdapSettings {
  /** Empty when the method is off. In the order they are tried. */
  servers: LdapServer[];
  startTls: boolean;
  /** PEM of the certificate authorities to trust; the system's when undefined. */
  caFile?: string;
  lookup: LdapLookup;
  requiredGroup?: { dn: string; match: GroupMatch };
  attributes: { id: string; address: string; name: string };
  addressKind: AddressKind;
  /** The directory's address attribute is proof the user controls that address (VerifiedIdentity.verified). */
  trustAddress: boolean;
  connectTimeoutMs: number;
  timeoutMs: number;
  /** Connections open at once; a login uses one from start to end (see ldap-directory.ts). */
  maxConnections: number;
}

export function loadLdapSettings(env: NodeJS.ProcessEnv): LdapSettings {
  const vars = readEnv(LdapEnv, env);
  const problems: string[] = [];
  const servers = (vars.LDAP_URL ?? '')
    .split(/[\s,]+/)
    .filter((url) => url !== '')
    .map((url) => parseServer(url, problems));
  const startTls = booleanSetting(vars.LDAP_STARTTLS, false);
  const settings: LdapSettings = {
    servers,
    startTls,
    caFile: vars.LDAP_CA_FILE,
    lookup: lookupOf(vars, servers.length > 0, problems),
    requiredGroup: vars.LDAP_REQUIRED_GROUP ? { dn: vars.LDAP_REQUIRED_GROUP, match: vars.LDAP_GROUP_MATCH as GroupMatch } : undefined,
    attributes: { id: vars.LDAP_ID_ATTRIBUTE, address: vars.LDAP_ADDRESS_ATTRIBUTE, name: vars.LDAP_NAME_ATTRIBUTE },
    addressKind: (vars.LDAP_ADDRESS_KIND as AddressKind | undefined) ?? inferAddressKind(vars.LDAP_ADDRESS_ATTRIBUTE),
    trustAddress: booleanSetting(vars.LDAP_TRUST_ADDRESS, false),
    connectTimeoutMs: vars.LDAP_CONNECT_TIMEOUT_MS,
    timeoutMs: vars.LDAP_TIMEOUT_MS,
    maxConnections: vars.LDAP_MAX_CONNECTIONS,
  };
  if (servers.length > 0) checkTransport(settings, booleanSetting(vars.LDAP_ALLOW_PLAINTEXT, false), problems);
  if (settings.requiredGroup && !settings.requiredGroup.dn.includes('=')) {
    problems.push('LDAP_REQUIRED_GROUP must be the DN of a group, e.g. cn=messenger,ou=groups,dc=example,dc=org');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

/** The address kind an attribute's name suggests: email for mail, phone for telephoneNumber and mobile, else text. */
export function inferAddressKind(attribute: string): AddressKind {
  const name = attribute.toLowerCase();
  if (EMAIL_ATTRIBUTES.includes(name)) return 'email';
  if (PHONE_ATTRIBUTES.includes(name)) return 'phone';
  return 'text';
}

function parseServer(url: string, problems: string[]): LdapServer {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const scheme = parsed?.protocol;
  if (!parsed || (scheme !== 'ldap:' && scheme !== 'ldaps:') || parsed.hostname === '') {
    problems.push(`LDAP_URL: "${url}" must be an ldap:// or ldaps:// URL with a host, e.g. ldaps://ldap.example.org`);
    return { url, host: '', port: 0, secure: false };
  }
  if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.username !== '') {
    problems.push(`LDAP_URL: "${url}" must be only a scheme, a host and a port (the search base is LDAP_SEARCH_BASE)`);
  }
  const secure = scheme === 'ldaps:';
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { url: `${scheme}//${parsed.host}`, host, port: parsed.port ? Number(parsed.port) : secure ? 636 : 389, secure };
}

function lookupOf(vars: LdapEnv, enabled: boolean, problems: string[]): LdapLookup {
  const template = vars.LDAP_USER_DN_TEMPLATE;
  if (template !== undefined) {
    if (vars.LDAP_SEARCH_BASE !== undefined || vars.LDAP_BIND_DN !== undefined) {
      problems.push('LDAP_USER_DN_TEMPLATE cannot be set with LDAP_SEARCH_BASE or LDAP_BIND_DN: use a DN template or a search, not both');
    }
    if (!template.includes(USERNAME_PLACEHOLDER) || !template.includes('=')) {
      problems.push(`LDAP_USER_DN_TEMPLATE must be a DN containing ${USERNAME_PLACEHOLDER}, e.g. uid=${USERNAME_PLACEHOLDER},ou=people,dc=example,dc=org`);
    }
    return { mode: 'template', userDnTemplate: template };
  }
  if (enabled && vars.LDAP_SEARCH_BASE === undefined) {
    problems.push('LDAP_SEARCH_BASE must be set when LDAP_URL is (or set LDAP_USER_DN_TEMPLATE to bind without a search)');
  }
  if (vars.LDAP_BIND_DN !== undefined && vars.LDAP_BIND_PASSWORD === undefined) {
    problems.push('LDAP_BIND_PASSWORD must be set when LDAP_BIND_DN is');
  }
  if (vars.LDAP_BIND_DN === undefined && vars.LDAP_BIND_PASSWORD !== undefined) {
    problems.push('LDAP_BIND_DN must be set when LDAP_BIND_PASSWORD is');
  }
  const filterProblem = filterTemplateProblem(vars.LDAP_USER_FILTER);
  if (filterProblem) problems.push(`LDAP_USER_FILTER ${filterProblem}`);
  return {
    mode: 'search',
    bindDn: vars.LDAP_BIND_DN,
    bindPassword: vars.LDAP_BIND_PASSWORD,
    searchBase: vars.LDAP_SEARCH_BASE ?? '',
    userFilter: vars.LDAP_USER_FILTER,
  };
}

/**
 * Passwords travel to the server in a simple bind, so they must be encrypted on the way: ldaps://
 * or StartTLS, unless the server is on this machine or the operator says otherwise.
 */
function checkTransport(settings: LdapSettings, allowPlaintext: boolean, problems: string[]): void {
  if (settings.startTls && settings.servers.some((server) => server.secure)) {
    problems.push('LDAP_STARTTLS is for ldap:// URLs; an ldaps:// URL is encrypted already');
  }
  if (!settings.startTls && !allowPlaintext) {
    const exposed = settings.servers.find((server) => !server.secure && !isLoopback(server.host));
    if (exposed) {
      problems.push(
        `LDAP_URL: ${exposed.url} would send passwords unencrypted; use ldaps://, or LDAP_STARTTLS=true, or LDAP_ALLOW_PLAINTEXT=true to accept that`,
      );
    }
  }
  if (settings.caFile !== undefined) {
    try {
      accessSync(settings.caFile, constants.R_OK);
    } catch {
      problems.push(`LDAP_CA_FILE: ${settings.caFile} cannot be read`);
    }
  }
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export const ldapSettings = settingsFromEnvironment('ldap', loadLdapSettings);
