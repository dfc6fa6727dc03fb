import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { availableParallelism } from 'node:os';
import { clusterWorkersOf } from './app.config';
import { readEnv } from './env';

/** Limits on work that costs us (or a paid provider) and that anybody can ask for without logging in. */
class ThrottleEnv {
  /** Requests one client may make to the unauthenticated endpoints (`/v1/auth/…`, `POST /`) per window. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  THROTTLE_LIMIT: number = 60;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86400)
  THROTTLE_WINDOW_SECONDS: number = 60;

  /** IPv6 clients are counted per prefix of this length (a subscriber usually owns a whole /64). */
  @Type(() => Number)
  @IsInt()
  @Min(16)
  @Max(128)
  CLIENT_IPV6_PREFIX: number = 64;

  /** Password hashes (argon2id) computed at the same time; default: one per CPU core. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1024)
  PASSWORD_HASH_CONCURRENCY?: number;

  /** Password checks that may wait for a free slot; beyond that the request is refused (503) instead of piling up. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  PASSWORD_HASH_QUEUE_LIMIT?: number;
}

export interface ThrottleConfig {
  limit: number;
  windowSeconds: number;
  ipv6Prefix: number;
  passwordHashConcurrency: number;
  passwordHashQueueLimit: number;
}

export function loadThrottleConfig(env: NodeJS.ProcessEnv = process.env): ThrottleConfig {
  const vars = readEnv(ThrottleEnv, env);
  // The cores, shared by the cluster's workers: each worker hashes on its share.
  const passwordHashConcurrency = vars.PASSWORD_HASH_CONCURRENCY ?? Math.max(1, Math.floor(availableParallelism() / clusterWorkersOf(env)));
  return {
    limit: vars.THROTTLE_LIMIT,
    windowSeconds: vars.THROTTLE_WINDOW_SECONDS,
    ipv6Prefix: vars.CLIENT_IPV6_PREFIX,
    passwordHashConcurrency,
    // About a second of waiting at ~50 ms a hash, per core.
    passwordHashQueueLimit: vars.PASSWORD_HASH_QUEUE_LIMIT ?? passwordHashConcurrency * 16,
  };
}

export const throttleConfig = registerAs('throttle', () => loadThrottleConfig());
