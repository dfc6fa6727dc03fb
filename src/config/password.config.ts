import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { readEnv } from './env';

/** argon2id parameters (defaults: OWASP's 19 MiB, 2 passes, 1 lane) and the wrong-password budget. */
class PasswordEnv {
  @Type(() => Number)
  @IsInt()
  @Min(8192)
  @Max(1048576)
  PASSWORD_MEMORY_KIB: number = 19456;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(20)
  PASSWORD_TIME_COST: number = 2;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(16)
  PASSWORD_PARALLELISM: number = 1;

  /** Wrong passwords per account per window, from all clients together (NIST SP 800-63B: at most 100). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  PASSWORD_MAX_FAILURES_PER_WINDOW: number = 100;

  /** Wrong passwords one client may try against one account per window; spent long before the account's. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PASSWORD_MAX_FAILURES_PER_CLIENT_PER_WINDOW: number = 10;

  /** A client that spends its budget again waits twice as long each time, up to this. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  PASSWORD_MAX_FAILURE_BACKOFF_SECONDS: number = 86400;

  @Type(() => Number)
  @IsInt()
  @Min(60)
  PASSWORD_FAILURE_WINDOW_SECONDS: number = 900;
}

export interface PasswordConfig {
  memoryKib: number;
  timeCost: number;
  parallelism: number;
  maxFailuresPerWindow: number;
  maxFailuresPerClientPerWindow: number;
  maxFailureBackoffSeconds: number;
  failureWindowSeconds: number;
}

export function loadPasswordConfig(env: NodeJS.ProcessEnv = process.env): PasswordConfig {
  const vars = readEnv(PasswordEnv, env);
  return {
    memoryKib: vars.PASSWORD_MEMORY_KIB,
    timeCost: vars.PASSWORD_TIME_COST,
    parallelism: vars.PASSWORD_PARALLELISM,
    maxFailuresPerWindow: vars.PASSWORD_MAX_FAILURES_PER_WINDOW,
    maxFailuresPerClientPerWindow: vars.PASSWORD_MAX_FAILURES_PER_CLIENT_PER_WINDOW,
    maxFailureBackoffSeconds: vars.PASSWORD_MAX_FAILURE_BACKOFF_SECONDS,
    failureWindowSeconds: vars.PASSWORD_FAILURE_WINDOW_SECONDS,
  };
}

export const passwordConfig = registerAs('password', () => loadPasswordConfig());
