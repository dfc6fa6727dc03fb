import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { booleanSetting, IsBooleanSetting, readEnv, settingsFromEnvironment, splitList, throwIfProblems } from '../../config/env';
import { KERBEROS_PACKAGE, kerberosLibraryProblem, KerberosLibraryLoader, loadKerberosLibrary } from './kerberos-library';

/** `HTTP/host.example.org@EXAMPLE.ORG`, `HTTP/host.example.org` or the GSS-API form `HTTP@host.example.org`. */
const SERVICE_PRINCIPAL = /^(?<service>[^/@\s]+)(?:\/(?<host>[^/@\s]+)(?:@[^/@\s]+)?|@(?<gssHost>[^/@\s]+))$/;
const REALM = /^[^/@\s\\]+$/;
const DEFAULT_TIMEOUT_MS = 5000;

/** The settings that turn the method on: set one, and all three are needed. */
const SWITCHES = ['KERBEROS_KEYTAB', 'KERBEROS_SERVICE_PRINCIPAL', 'KERBEROS_REALMS'] as const;

class KerberosEnv {
  /** The service's keytab (from kadmin `ktadd` or Active Directory's `ktpass`). */
  @IsOptional()
  @IsString()
  KERBEROS_KEYTAB?: string;

  @IsOptional()
  @Matches(SERVICE_PRINCIPAL, {
    message: 'KERBEROS_SERVICE_PRINCIPAL must be a service principal such as HTTP/host.example.org@EXAMPLE.ORG or HTTP@host.example.org',
  })
  KERBEROS_SERVICE_PRINCIPAL?: string;

  /** Comma-separated realms whose users may log in, e.g. `EXAMPLE.ORG`. */
  @IsOptional()
  @IsString()
  KERBEROS_REALMS?: string;

  /** A krb5.conf for libkrb5 instead of /etc/krb5.conf (accepting tickets with a keytab needs little of it). */
  @IsOptional()
  @IsString()
  KERBEROS_KRB5_CONFIG?: string;

  @Matches(/\{user\}/, { message: 'KERBEROS_ADDRESS_TEMPLATE must contain {user}, e.g. {user} or {user}@example.org' })
  KERBEROS_ADDRESS_TEMPLATE: string = '{user}';

  @IsOptional()
  @IsBooleanSetting()
  KERBEROS_TRUST_ADDRESS?: string;

  @IsOptional()
  @IsBooleanSetting()
  KERBEROS_ALLOW_INSTANCES?: string;

  @Type(() => Number)
  @IsInt({ message: 'KERBEROS_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'KERBEROS_TIMEOUT_MS must be at least 100' })
  @Max(60000, { message: 'KERBEROS_TIMEOUT_MS must be at most 60000' })
  KERBEROS_TIMEOUT_MS: number = DEFAULT_TIMEOUT_MS;
}

export interface KerberosSettings {
  /** Off unless KERBEROS_KEYTAB, KERBEROS_SERVICE_PRINCIPAL and KERBEROS_REALMS are set. */
  enabled: boolean;
  /** Absolute path of the keytab. */
  keytab: string;
  /** Absolute path of a krb5.conf, when one is set. */
  krb5Config?: string;
  /** The acceptor's name in GSS-API host-based form, `HTTP@host.example.org`. */
  acceptorName: string;
  realms: string[];
  addressTemplate: string;
  trustAddress: boolean;
  allowInstances: boolean;
  timeoutMs: number;
}

export interface KerberosSettingsOptions {
  /** How the kerberos package is loaded; tests pass one that fails. */
  loadLibrary?: KerberosLibraryLoader;
}

export function loadKerberosSettings(env: NodeJS.ProcessEnv, options: KerberosSettingsOptions = {}): KerberosSettings {
  const problems: string[] = [];
  const vars = readEnv(KerberosEnv, env, problems);
  const realms = splitList(vars.KERBEROS_REALMS);
  const turnedOnBy = SWITCHES.find((name) => vars[name] !== undefined);
  const settings: KerberosSettings = {
    enabled: turnedOnBy !== undefined,
    keytab: vars.KERBEROS_KEYTAB === undefined ? '' : resolve(vars.KERBEROS_KEYTAB),
    krb5Config: vars.KERBEROS_KRB5_CONFIG === undefined ? undefined : resolve(vars.KERBEROS_KRB5_CONFIG),
    acceptorName: acceptorName(vars.KERBEROS_SERVICE_PRINCIPAL) ?? '',
    realms,
    addressTemplate: vars.KERBEROS_ADDRESS_TEMPLATE,
    trustAddress: booleanSetting(vars.KERBEROS_TRUST_ADDRESS, false),
    allowInstances: booleanSetting(vars.KERBEROS_ALLOW_INSTANCES, false),
    timeoutMs: vars.KERBEROS_TIMEOUT_MS,
  };
  if (turnedOnBy !== undefined) {
    for (const name of SWITCHES) {
      if (vars[name] === undefined) problems.push(`${name} must be set when ${turnedOnBy} is (the kerberos login needs ${SWITCHES.join(', ')})`);
    }
    for (const realm of realms.filter((entry) => !REALM.test(entry))) {
      problems.push(`KERBEROS_REALMS: "${realm}" is not a realm name (such as EXAMPLE.ORG)`);
    }
    if (!settings.trustAddress && settings.addressTemplate.replace(/\{(user|realm)\}/g, '').includes('@')) {
      problems.push(
        'KERBEROS_ADDRESS_TEMPLATE makes addresses with @, which only a login that proved them may take: ' +
          'set KERBEROS_TRUST_ADDRESS=true if they are the users\' own (then a first Kerberos login joins the account that has it), or use a template without @',
      );
    }
    if (settings.keytab) problems.push(...unreadable('KERBEROS_KEYTAB', settings.keytab));
    if (settings.krb5Config) problems.push(...unreadable('KERBEROS_KRB5_CONFIG', settings.krb5Config));
    const libraryProblem = kerberosLibraryProblem(options.loadLibrary ?? loadKerberosLibrary);
    if (libraryProblem !== undefined) {
      problems.push(
        `${turnedOnBy} is set, which turns the kerberos login on, but the optional package "${KERBEROS_PACKAGE}" cannot be loaded ` +
          `(${libraryProblem}): install libkrb5 and its headers (Debian: apt-get install libkrb5-dev) and run npm install again, ` +
          `or unset ${SWITCHES.join(', ')}`,
      );
    }
  }
  throwIfProblems(problems);
  return settings;
}

/** The GSS-API host-based name of a service principal; the realm is the keytab's business. */
export function acceptorName(servicePrincipal: string | undefined): string | undefined {
  const parts = SERVICE_PRINCIPAL.exec(servicePrincipal ?? '')?.groups;
  if (!parts) return undefined;
  return `${parts.service}@${parts.host ?? parts.gssHost}`;
}

function unreadable(name: string, path: string): string[] {
  try {
    accessSync(path, constants.R_OK);
    return [];
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    return [`${name}: ${path} cannot be read by this process (${code})`];
  }
}

/**
 * libkrb5 takes its keytab and its configuration from the environment: KRB5_KTNAME and
 * KRB5_CONFIG. They are set here, once at start-up, from KERBEROS_KEYTAB and KERBEROS_KRB5_CONFIG;
 * nothing else in the service writes them.
 */
export function pointLibkrb5AtSettings(settings: KerberosSettings, env: NodeJS.ProcessEnv): void {
  if (!settings.enabled) return;
  env.KRB5_KTNAME = `FILE:${settings.keytab}`;
  if (settings.krb5Config) env.KRB5_CONFIG = settings.krb5Config;
}

export const kerberosSettings = settingsFromEnvironment('kerberos', (env) => {
  const settings = loadKerberosSettings(env);
  pointLibkrb5AtSettings(settings, env);
  return settings;
});
