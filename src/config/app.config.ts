import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { isProduction, readEnv, splitList } from './env';

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
}

export interface AppConfig {
  production: boolean;
  port: number;
  host: string;
  /** `true` allows any origin; otherwise the exact origins allowed. */
  corsOrigins: true | string[];
  bodyLimit: string;
  phoneDefaultRegion?: string;
  trustProxy: boolean | number | string[];
}

export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const vars = readEnv(AppEnv, env);
  const production = isProduction(env);
  // Any origin by default while developing; in production only what the owner lists.
  const origins = vars.CORS_ORIGINS !== undefined ? splitList(vars.CORS_ORIGINS) : production ? [] : ['*'];
  return {
    production,
    port: vars.PORT,
    host: vars.HOST,
    corsOrigins: origins.includes('*') ? true : origins,
    bodyLimit: vars.BODY_LIMIT,
    phoneDefaultRegion: vars.PHONE_DEFAULT_REGION,
    trustProxy: parseTrustProxy(vars.TRUST_PROXY),
  };
}

export const appConfig = registerAs('app', () => loadAppConfig());

function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return splitList(value);
}
