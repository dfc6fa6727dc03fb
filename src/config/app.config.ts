import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { booleanSetting, IsBooleanSetting, isProduction, readEnv, splitList, throwIfProblems } from './env';

class AppEnv {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: string = 'development';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  @IsString()
  HOST: string = '0.0.0.0';

  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  /** Refuse requests that make us send a code when they come from a browser origin not in CORS_ORIGINS. */
  @IsOptional()
  @IsBooleanSetting()
  CORS_ENFORCE_ON_SENDS?: string;

  @Matches(/^\d+(b|kb|mb)?$/i, { message: 'BODY_LIMIT must look like 100kb or 1mb' })
  BODY_LIMIT: string = '100kb';

  /**
   * Express's `trust proxy`: which proxies' X-Forwarded-For to believe for the client IP (used by
   * the send limits). `false` (default), `true`, a hop count, or comma-separated addresses/subnets.
   */
  @IsString()
  TRUST_PROXY: string = 'false';

  /** ISO 3166 region used for phone numbers typed without a country code; empty = international only. */
  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'PHONE_DEFAULT_REGION must be a two-letter region code such as US' })
  PHONE_DEFAULT_REGION?: string;

  /** Swagger UI at /docs and the OpenAPI document; default: on outside production, off in production. */
  @IsOptional()
  @IsBooleanSetting()
  API_DOCS?: string;

  /** Lets the console senders print codes although a real App Token is set (never in production). */
  @IsOptional()
  @IsBooleanSetting()
  DEV_PRINT_CODES?: string;

  /**
   * After SIGTERM, how long /health/ready answers 503 while requests are still served, so the load
   * balancer stops sending new ones before the server stops accepting them.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(120000)
  SHUTDOWN_DELAY_MS: number = 0;

  /** Worker processes sharing the port (node:cluster): 1 to 64, or `auto` for one per CPU core. */
  @IsString()
  CLUSTER_WORKERS: string = '1';
}

export interface AppConfig {
  production: boolean;
  port: number;
  host: string;
  /** `true` allows any origin; otherwise the exact origins allowed. */
  corsOrigins: true | string[];
  /**
   * Requests that send a code (SMS or email) with an `Origin` not in `corsOrigins` are refused.
   * CORS alone does not stop them: a form or text/plain POST needs no preflight.
   */
  corsEnforceOnSends: boolean;
  bodyLimit: string;
  phoneDefaultRegion?: string;
  trustProxy: boolean | number | string[];
  /** Serve Swagger UI at /docs and the OpenAPI document at /docs/openapi.json. */
  apiDocs: boolean;
  shutdownDelayMs: number;
  /** Worker processes serving the port; 1 is a single process without a cluster. */
  clusterWorkers: number;
}

export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const vars = readEnv(AppEnv, env, problems);
  const production = isProduction(env);
  // Any origin by default while developing; in production only what the owner lists.
  const origins = vars.CORS_ORIGINS !== undefined ? splitList(vars.CORS_ORIGINS) : production ? [] : ['*'];
  problems.push(...origins.filter((origin) => origin !== '*' && !isOrigin(origin)).map(corsProblem));
  const trustProxy = parseTrustProxy(vars.TRUST_PROXY, problems);
  const clusterWorkers = parseClusterWorkers(vars.CLUSTER_WORKERS, problems);
  if (production && booleanSetting(vars.DEV_PRINT_CODES, false)) {
    problems.push('DEV_PRINT_CODES=true is refused in production: codes are never printed there');
  }
  throwIfProblems(problems);
  return {
    production,
    port: vars.PORT,
    host: vars.HOST,
    corsOrigins: origins.includes('*') ? true : origins,
    corsEnforceOnSends: booleanSetting(vars.CORS_ENFORCE_ON_SENDS, true),
    bodyLimit: vars.BODY_LIMIT,
    phoneDefaultRegion: vars.PHONE_DEFAULT_REGION,
    trustProxy,
    apiDocs: booleanSetting(vars.API_DOCS, !production),
    shutdownDelayMs: vars.SHUTDOWN_DELAY_MS,
    clusterWorkers,
  };
}

export const appConfig = registerAs('app', () => loadAppConfig());

/** An origin as browsers send it: scheme://host[:port], nothing after (no path, not even `/`). */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.toLowerCase();
  } catch {
    return false;
  }
}

function corsProblem(origin: string): string {
  return `CORS_ORIGINS has "${origin}", which is not an origin such as https://chat.example.com (scheme://host[:port], no path; separate several with commas)`;
}

const MAX_CLUSTER_WORKERS = 64;

/** The CLUSTER_WORKERS a configuration asks for (1 when it is not valid: validation reports that). */
export function clusterWorkersOf(env: NodeJS.ProcessEnv = process.env): number {
  return parseClusterWorkers(env.CLUSTER_WORKERS ?? '1', []);
}

function parseClusterWorkers(value: string, problems: string[]): number {
  const trimmed = value.trim().toLowerCase();
  // One per core; past 64 workers the database connections (DB_POOL_MAX each) run out before the cores do.
  if (trimmed === 'auto') return Math.min(MAX_CLUSTER_WORKERS, availableParallelism());
  const count = /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (count >= 1 && count <= MAX_CLUSTER_WORKERS) return count;
  problems.push(`CLUSTER_WORKERS must be a whole number from 1 to ${MAX_CLUSTER_WORKERS}, or auto (one worker per CPU core)`);
  return 1;
}

/** Names proxy-addr (Express) knows for groups of addresses. */
const NAMED_SUBNETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(value: string, problems: string[]): boolean | number | string[] {
  const lower = value.trim().toLowerCase();
  // Digits are a hop count here, so of the boolean spellings only the words are accepted.
  if (['true', 'yes'].includes(lower)) return true;
  if (['false', 'no'].includes(lower)) return false;
  if (/^\d+$/.test(lower)) return Number(lower);
  const entries = splitList(value);
  const bad = entries.filter((entry) => !NAMED_SUBNETS.has(entry) && !isAddressOrSubnet(entry));
  if (bad.length > 0 || entries.length === 0) {
    problems.push(
      `TRUST_PROXY has "${bad.join(', ') || value}": use true, false, a hop count, or comma-separated addresses, subnets (10.0.0.0/8) and loopback, linklocal, uniquelocal`,
    );
    return false;
  }
  return entries;
}

function isAddressOrSubnet(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  // A prefix length, or (IPv4) a netmask such as 255.255.255.0.
  if (/^\d+$/.test(prefix)) return Number(prefix) <= (version === 4 ? 32 : 128);
  return version === 4 && isIP(prefix) === 4;
}
