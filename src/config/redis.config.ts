import { registerAs } from '@nestjs/config';
import { IsOptional, IsString, Matches } from 'class-validator';
import { readEnv } from './env';

class RedisEnv {
  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must look like redis://host:6379/0 (or rediss:// for TLS)' })
  REDIS_URL?: string;

  /** Prefix of every key, so several deployments can share one Redis database. */
  @IsString()
  REDIS_KEY_PREFIX: string = 'mesibo-backend:';
}

export interface RedisConfig {
  /** When set, shared short-lived state (counters) lives in Redis instead of the database. */
  url?: string;
  keyPrefix: string;
}

export function loadRedisConfig(env: NodeJS.ProcessEnv = process.env): RedisConfig {
  const vars = readEnv(RedisEnv, env);
  return { url: vars.REDIS_URL, keyPrefix: vars.REDIS_KEY_PREFIX };
}

export const redisConfig = registerAs('redis', () => loadRedisConfig());
