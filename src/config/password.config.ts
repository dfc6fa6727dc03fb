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

  @Type(() => Number)
  @IsInt()
  @Min(1)
  PASSWORD_MAX_FAILURES_PER_WINDOW: number = 10;

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
  failureWindowSeconds: number;
}

export function loadPasswordConfig(env: NodeJS.ProcessEnv = process.env): PasswordConfig {
  const vars = readEnv(PasswordEnv, env);
  return {
    memoryKib: vars.PASSWORD_MEMORY_KIB,
    timeCost: vars.PASSWORD_TIME_COST,
    parallelism: vars.PASSWORD_PARALLELISM,
    maxFailuresPerWindow: vars.PASSWORD_MAX_FAILURES_PER_WINDOW,
    failureWindowSeconds: vars.PASSWORD_FAILURE_WINDOW_SECONDS,
  };
}

export const passwordConfig = registerAs('password', () => loadPasswordConfig());
