import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { codePrintingAllowed, isProduction, readEnv, throwIfProblems } from './env';

class OtpEnv {
  /** Key of the HMAC under which codes are stored; required in production. */
  @IsOptional()
  @IsString()
  @MinLength(32)
  OTP_SECRET?: string;

  @Type(() => Number)
  @IsInt()
  @Min(4)
  @Max(10)
  OTP_LENGTH: number = 6;

  @Type(() => Number)
  @IsInt()
  @Min(30)
  OTP_TTL_SECONDS: number = 300;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  OTP_MAX_ATTEMPTS: number = 5;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  OTP_RESEND_COOLDOWN_SECONDS: number = 30;

  /** Wrong codes per destination per window, from all clients together (NIST SP 800-63B: at most 100). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  OTP_MAX_FAILURES_PER_WINDOW: number = 100;

  /** Wrong codes one client may try against one destination per window; spent long before the destination's. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  OTP_MAX_FAILURES_PER_CLIENT_PER_WINDOW: number = 10;

  /** A client that spends its budget again waits twice as long each time, up to this. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  OTP_MAX_FAILURE_BACKOFF_SECONDS: number = 86400;

  @Type(() => Number)
  @IsInt()
  @Min(60)
  OTP_FAILURE_WINDOW_SECONDS: number = 3600;

  /** Codes sent to one destination per window, whatever the cooldown allows (stops message bombing). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  OTP_MAX_SENDS_PER_WINDOW: number = 5;

  /** Codes one client IP may have sent per window, to any destination (stops SMS pumping). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  OTP_MAX_SENDS_PER_IP_PER_WINDOW: number = 20;

  @Type(() => Number)
  @IsInt()
  @Min(60)
  OTP_SEND_WINDOW_SECONDS: number = 3600;

  @IsIn(['console', 'webhook'])
  OTP_SENDER: string = 'console';

  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  OTP_WEBHOOK_URL?: string;

  /** Sent as the Authorization header of webhook calls, if set. */
  @IsOptional()
  @IsString()
  OTP_WEBHOOK_AUTHORIZATION?: string;

  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60000)
  OTP_WEBHOOK_TIMEOUT_MS: number = 5000;

  @IsString()
  OTP_MESSAGE: string = 'Your verification code is {code}';
}

export type OtpSenderKind = 'console' | 'webhook';

export interface OtpConfig {
  secret: Buffer;
  /** True when no OTP_SECRET was set and a random one is used for this process only. */
  ephemeralSecret: boolean;
  length: number;
  ttlSeconds: number;
  maxAttempts: number;
  resendCooldownSeconds: number;
  maxFailuresPerWindow: number;
  maxFailuresPerClientPerWindow: number;
  maxFailureBackoffSeconds: number;
  failureWindowSeconds: number;
  maxSendsPerWindow: number;
  maxSendsPerRequesterPerWindow: number;
  sendWindowSeconds: number;
  sender: OtpSenderKind;
  webhook: { url?: string; authorization?: string; timeoutMs: number };
  messageTemplate: string;
}

export function loadOtpConfig(env: NodeJS.ProcessEnv = process.env): OtpConfig {
  // Every problem is collected, then reported together.
  const problems: string[] = [];
  const vars = readEnv(OtpEnv, env, problems);
  const production = isProduction(env);
  if (production && vars.OTP_SECRET === undefined) {
    problems.push('OTP_SECRET must be set in production (32 or more characters)');
  }
  if (production && vars.OTP_SENDER === 'console') {
    problems.push('OTP_SENDER=console only prints codes to the log and is refused in production; set OTP_SENDER=webhook');
  } else if (vars.OTP_SENDER === 'console' && !codePrintingAllowed(env)) {
    problems.push(
      'OTP_SENDER=console prints codes to the log, and MESIBO_APP_TOKEN is a real App Token: set OTP_SENDER=webhook, or DEV_PRINT_CODES=true if this is a development machine',
    );
  }
  if (vars.OTP_SENDER === 'webhook' && vars.OTP_WEBHOOK_URL === undefined) {
    problems.push('OTP_WEBHOOK_URL must be set when OTP_SENDER=webhook');
  }
  if (typeof vars.OTP_MESSAGE === 'string' && !vars.OTP_MESSAGE.includes('{code}')) {
    problems.push('OTP_MESSAGE must contain {code}');
  }
  throwIfProblems(problems);
  return {
    secret: vars.OTP_SECRET !== undefined ? Buffer.from(vars.OTP_SECRET, 'utf8') : randomBytes(32),
    ephemeralSecret: vars.OTP_SECRET === undefined,
    length: vars.OTP_LENGTH,
    ttlSeconds: vars.OTP_TTL_SECONDS,
    maxAttempts: vars.OTP_MAX_ATTEMPTS,
    resendCooldownSeconds: vars.OTP_RESEND_COOLDOWN_SECONDS,
    maxFailuresPerWindow: vars.OTP_MAX_FAILURES_PER_WINDOW,
    maxFailuresPerClientPerWindow: vars.OTP_MAX_FAILURES_PER_CLIENT_PER_WINDOW,
    maxFailureBackoffSeconds: vars.OTP_MAX_FAILURE_BACKOFF_SECONDS,
    failureWindowSeconds: vars.OTP_FAILURE_WINDOW_SECONDS,
    maxSendsPerWindow: vars.OTP_MAX_SENDS_PER_WINDOW,
    maxSendsPerRequesterPerWindow: vars.OTP_MAX_SENDS_PER_IP_PER_WINDOW,
    sendWindowSeconds: vars.OTP_SEND_WINDOW_SECONDS,
    sender: vars.OTP_SENDER as OtpSenderKind,
    webhook: {
      url: vars.OTP_WEBHOOK_URL,
      authorization: vars.OTP_WEBHOOK_AUTHORIZATION,
      timeoutMs: vars.OTP_WEBHOOK_TIMEOUT_MS,
    },
    messageTemplate: vars.OTP_MESSAGE,
  };
}

export const otpConfig = registerAs('otp', () => loadOtpConfig());
