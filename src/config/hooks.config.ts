import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';
import { readEnv, splitList, throwIfProblems } from './env';

/** The events an event webhook can carry. */
export const WEBHOOK_EVENT_TYPES = ['user.created', 'login.succeeded', 'user.deleted'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Standard Webhooks secrets: `whsec_` and the base64 of the HMAC key. */
const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The HMAC key of a `whsec_<base64>` secret of 24 to 64 bytes; undefined when it is not one. */
export function parseWebhookSecret(secret: string): Buffer | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return undefined;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length >= 24 && key.length <= 64 ? key : undefined;
}

const HTTP_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

class HooksEnv {
  /** Signs the OTP/SMS webhook (Standard Webhooks); unset, its calls go out unsigned, as before. */
  @IsOptional()
  @IsString()
  OTP_WEBHOOK_SECRET?: string;

  @IsOptional()
  @IsUrl(HTTP_URL, { message: 'EVENT_WEBHOOK_URL must be an http(s) URL' })
  EVENT_WEBHOOK_URL?: string;

  @IsOptional()
  @IsString()
  EVENT_WEBHOOK_SECRET?: string;

  /** Comma-separated; unset, every event. */
  @IsOptional()
  @IsString()
  EVENT_WEBHOOK_EVENTS?: string;

  @Type(() => Number)
  @IsInt({ message: 'EVENT_WEBHOOK_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'EVENT_WEBHOOK_TIMEOUT_MS must be at least 100' })
  @Max(60000, { message: 'EVENT_WEBHOOK_TIMEOUT_MS must be at most 60000' })
  EVENT_WEBHOOK_TIMEOUT_MS: number = 5000;

  /** How often each instance looks for events due for delivery. */
  @Type(() => Number)
  @IsInt({ message: 'EVENT_WEBHOOK_INTERVAL_SECONDS must be a whole number of seconds' })
  @Min(1, { message: 'EVENT_WEBHOOK_INTERVAL_SECONDS must be at least 1' })
  @Max(3600, { message: 'EVENT_WEBHOOK_INTERVAL_SECONDS must be at most 3600' })
  EVENT_WEBHOOK_INTERVAL_SECONDS: number = 5;

  @IsOptional()
  @IsUrl(HTTP_URL, { message: 'BEFORE_TOKEN_HOOK_URL must be an http(s) URL' })
  BEFORE_TOKEN_HOOK_URL?: string;

  @IsOptional()
  @IsString()
  BEFORE_TOKEN_HOOK_SECRET?: string;

  @Type(() => Number)
  @IsInt({ message: 'BEFORE_TOKEN_HOOK_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(50, { message: 'BEFORE_TOKEN_HOOK_TIMEOUT_MS must be at least 50' })
  @Max(30000, { message: 'BEFORE_TOKEN_HOOK_TIMEOUT_MS must be at most 30000' })
  BEFORE_TOKEN_HOOK_TIMEOUT_MS: number = 2000;

  @IsIn(['closed', 'open'], { message: 'BEFORE_TOKEN_HOOK_FAILURE must be closed or open' })
  BEFORE_TOKEN_HOOK_FAILURE: string = 'closed';
}

export interface EventWebhookConfig {
  url: string;
  /** The HMAC key (the base64-decoded part of `whsec_...`). */
  key: Buffer;
  events: ReadonlySet<WebhookEventType>;
  timeoutMs: number;
  intervalSeconds: number;
}

export interface BeforeTokenHookConfig {
  url: string;
  key: Buffer;
  timeoutMs: number;
  /** `closed`: a hook that is down, slow or answers nonsense refuses the login; `open`: lets it through. */
  failure: 'closed' | 'open';
}

export interface HooksConfig {
  /** Undefined: the OTP webhook is not signed. */
  otpWebhookKey?: Buffer;
  /** Undefined: no event webhook, and nothing is written to the outbox. */
  events?: EventWebhookConfig;
  /** Undefined: logins ask no hook. */
  beforeToken?: BeforeTokenHookConfig;
}

export function loadHooksConfig(env: NodeJS.ProcessEnv = process.env): HooksConfig {
  const problems: string[] = [];
  const vars = readEnv(HooksEnv, env, problems);
  const secret = (name: string, value: string | undefined): Buffer | undefined => {
    if (value === undefined) return undefined;
    const key = parseWebhookSecret(value);
    if (!key) problems.push(`${name} must be a Standard Webhooks secret: whsec_ followed by 24 to 64 random bytes in base64`);
    return key;
  };
  const otpWebhookKey = secret('OTP_WEBHOOK_SECRET', vars.OTP_WEBHOOK_SECRET);
  const eventKey = secret('EVENT_WEBHOOK_SECRET', vars.EVENT_WEBHOOK_SECRET);
  const hookKey = secret('BEFORE_TOKEN_HOOK_SECRET', vars.BEFORE_TOKEN_HOOK_SECRET);

  // Unsigned calls could be forged by anyone who finds the receiver: a URL needs its secret.
  if (vars.EVENT_WEBHOOK_URL !== undefined && vars.EVENT_WEBHOOK_SECRET === undefined) {
    problems.push('EVENT_WEBHOOK_SECRET must be set when EVENT_WEBHOOK_URL is (whsec_ followed by base64)');
  }
  if (vars.BEFORE_TOKEN_HOOK_URL !== undefined && vars.BEFORE_TOKEN_HOOK_SECRET === undefined) {
    problems.push('BEFORE_TOKEN_HOOK_SECRET must be set when BEFORE_TOKEN_HOOK_URL is (whsec_ followed by base64)');
  }
  const events = eventTypes(vars.EVENT_WEBHOOK_EVENTS, problems);
  throwIfProblems(problems);

  return {
    otpWebhookKey,
    events:
      vars.EVENT_WEBHOOK_URL !== undefined && eventKey
        ? { url: vars.EVENT_WEBHOOK_URL, key: eventKey, events, timeoutMs: vars.EVENT_WEBHOOK_TIMEOUT_MS, intervalSeconds: vars.EVENT_WEBHOOK_INTERVAL_SECONDS }
        : undefined,
    beforeToken:
      vars.BEFORE_TOKEN_HOOK_URL !== undefined && hookKey
        ? { url: vars.BEFORE_TOKEN_HOOK_URL, key: hookKey, timeoutMs: vars.BEFORE_TOKEN_HOOK_TIMEOUT_MS, failure: vars.BEFORE_TOKEN_HOOK_FAILURE as 'closed' | 'open' }
        : undefined,
  };
}

function eventTypes(value: string | undefined, problems: string[]): ReadonlySet<WebhookEventType> {
  if (value === undefined) return new Set(WEBHOOK_EVENT_TYPES);
  const listed = splitList(value);
  const unknown = listed.filter((name) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(name));
  if (unknown.length > 0 || listed.length === 0) {
    problems.push(`EVENT_WEBHOOK_EVENTS must list events among ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  }
  return new Set(listed.filter((name): name is WebhookEventType => !unknown.includes(name)));
}

export const hooksConfig = registerAs('hooks', () => loadHooksConfig());
