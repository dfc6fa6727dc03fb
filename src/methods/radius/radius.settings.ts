import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { isIP } from 'node:net';
import { booleanSetting, IsBooleanSetting, readEnv, settingsFromEnvironment, splitList, throwIfProblems } from '../../config/env';

/** RFC 2865 §3: the shared secret should be at least 16 octets; shorter ones fall to offline guessing. */
const MIN_SECRET_LENGTH = 16;
const DEFAULT_PORT = 1812;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Reply attributes that may carry the subject: the server's spelling of the user name, or its Class. */
export const SUBJECT_ATTRIBUTES = ['User-Name', 'Class'] as const;
/** Text reply attributes of RFC 2865 that may carry the mesibo address of a new user. */
export const ADDRESS_ATTRIBUTES = ['User-Name', 'Class', 'Filter-Id', 'Callback-Id', 'Callback-Number'] as const;
export type SubjectAttribute = (typeof SUBJECT_ATTRIBUTES)[number];
export type AddressAttribute = (typeof ADDRESS_ATTRIBUTES)[number];

class RadiusEnv {
  /** `host:port` list, comma-separated: the first is asked first, the others in turn when it does not answer. Unset: the method is off. */
  @IsOptional()
  @IsString()
  RADIUS_SERVERS?: string;

  @ValidateIf((env: RadiusEnv) => env.RADIUS_SERVERS !== undefined)
  @MinLength(MIN_SECRET_LENGTH, {
    message: ({ value }) =>
      value === undefined
        ? 'RADIUS_SECRET must be set when RADIUS_SERVERS is (the shared secret of this client at the RADIUS servers)'
        : `RADIUS_SECRET must be at least ${MIN_SECRET_LENGTH} characters (RFC 2865 §3)`,
  })
  RADIUS_SECRET?: string;

  @Type(() => Number)
  @IsInt({ message: 'RADIUS_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'RADIUS_TIMEOUT_MS must be at least 100' })
  @Max(30000, { message: 'RADIUS_TIMEOUT_MS must be at most 30000' })
  RADIUS_TIMEOUT_MS: number = 2000;

  @Type(() => Number)
  @IsInt({ message: 'RADIUS_RETRIES must be a whole number' })
  @Min(0, { message: 'RADIUS_RETRIES must be at least 0' })
  @Max(5, { message: 'RADIUS_RETRIES must be at most 5' })
  RADIUS_RETRIES: number = 1;

  @Matches(/^[\x21-\x7e]{1,64}$/, { message: 'RADIUS_NAS_IDENTIFIER must be 1 to 64 printable ASCII characters without spaces' })
  RADIUS_NAS_IDENTIFIER: string = 'mesibo-backend';

  @IsOptional()
  @IsIn(SUBJECT_ATTRIBUTES, { message: `RADIUS_SUBJECT_ATTRIBUTE must be one of ${SUBJECT_ATTRIBUTES.join(', ')}` })
  RADIUS_SUBJECT_ATTRIBUTE?: SubjectAttribute;

  @IsOptional()
  @IsIn(ADDRESS_ATTRIBUTES, { message: `RADIUS_ADDRESS_ATTRIBUTE must be one of ${ADDRESS_ATTRIBUTES.join(', ')}` })
  RADIUS_ADDRESS_ATTRIBUTE?: AddressAttribute;

  // Never all digits nor with `@`: the addresses would look like the phone numbers and emails that codes prove.
  @Matches(/^(?=.*[^0-9])[A-Za-z0-9._:+-]{1,32}$/, {
    message: 'RADIUS_ADDRESS_PREFIX must be 1 to 32 of the characters A-Z a-z 0-9 . _ : + -, not all digits',
  })
  RADIUS_ADDRESS_PREFIX: string = 'radius:';

  @IsOptional()
  @IsBooleanSetting()
  RADIUS_TRUST_ADDRESS?: string;

  @Type(() => Number)
  @IsInt({ message: 'RADIUS_CHALLENGE_TTL_SECONDS must be a whole number of seconds' })
  @Min(30, { message: 'RADIUS_CHALLENGE_TTL_SECONDS must be at least 30' })
  @Max(3600, { message: 'RADIUS_CHALLENGE_TTL_SECONDS must be at most 3600 (an hour)' })
  RADIUS_CHALLENGE_TTL_SECONDS: number = 300;
}

/** One RADIUS server: `label` is how it is written in RADIUS_SERVERS and named in logs. */
export interface RadiusServerAddress {
  host: string;
  port: number;
  label: string;
}

export interface RadiusSettings {
  /** Empty when the method is off. In order: the first is the primary. */
  servers: RadiusServerAddress[];
  /** The shared secret; empty when the method is off. */
  secret: string;
  /** How long to wait for an answer to each packet sent. */
  timeoutMs: number;
  /** Packets sent again to a server that has not answered, before the next server is asked. */
  retries: number;
  nasIdentifier: string;
  /** Where the subject comes from: this reply attribute, or (unset) the user name the server accepted. */
  subjectAttribute?: SubjectAttribute;
  /** Where a new user's mesibo address comes from: this reply attribute, or (unset) `addressPrefix` + the subject. */
  addressAttribute?: AddressAttribute;
  addressPrefix: string;
  /** Whether the address is the user's for sure, so a login may join the user who has it already. */
  trustAddress: boolean;
  /** How long the state of a challenge may be answered. */
  challengeTtlSeconds: number;
}

export function loadRadiusSettings(env: NodeJS.ProcessEnv): RadiusSettings {
  const problems: string[] = [];
  const vars = readEnv(RadiusEnv, env, problems);
  const servers = vars.RADIUS_SERVERS === undefined ? [] : parseServers(vars.RADIUS_SERVERS, problems);
  throwIfProblems(problems);
  return {
    servers,
    secret: servers.length > 0 ? (vars.RADIUS_SECRET ?? '') : '',
    timeoutMs: vars.RADIUS_TIMEOUT_MS,
    retries: vars.RADIUS_RETRIES,
    nasIdentifier: vars.RADIUS_NAS_IDENTIFIER,
    subjectAttribute: vars.RADIUS_SUBJECT_ATTRIBUTE,
    addressAttribute: vars.RADIUS_ADDRESS_ATTRIBUTE,
    addressPrefix: vars.RADIUS_ADDRESS_PREFIX,
    trustAddress: booleanSetting(vars.RADIUS_TRUST_ADDRESS, false),
    challengeTtlSeconds: vars.RADIUS_CHALLENGE_TTL_SECONDS,
  };
}

/** `host:port`, `host` (port 1812), `[v6]:port` or `[v6]`, comma-separated. */
function parseServers(value: string, problems: string[]): RadiusServerAddress[] {
  const entries = splitList(value);
  if (entries.length === 0) problems.push('RADIUS_SERVERS must list at least one host:port');
  const servers: RadiusServerAddress[] = [];
  for (const entry of entries) {
    const server = parseServer(entry);
    if (typeof server === 'string') problems.push(`RADIUS_SERVERS: "${entry}" ${server}`);
    else if (servers.some((known) => known.label === server.label)) problems.push(`RADIUS_SERVERS names ${server.label} twice`);
    else servers.push(server);
  }
  return servers;
}

function parseServer(entry: string): RadiusServerAddress | string {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(entry);
  if (!match) return 'must be host:port (an IPv6 address in brackets: [::1]:1812)';
  const bracketed = match[1];
  const host = bracketed ?? match[2];
  if (bracketed !== undefined ? isIP(host) !== 6 : isIP(host) !== 4 && !HOSTNAME.test(host)) {
    return 'does not name a host (a hostname, an IPv4 address, or an IPv6 address in brackets)';
  }
  const port = match[3] === undefined ? DEFAULT_PORT : Number(match[3]);
  if (port < 1 || port > 65535) return 'has a port outside 1-65535';
  return { host, port, label: bracketed !== undefined ? `[${host}]:${port}` : `${host}:${port}` };
}

export const radiusSettings = settingsFromEnvironment('radius', loadRadiusSettings);
