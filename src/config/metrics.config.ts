import { registerAs } from '@nestjs/config';
import { IsOptional, IsString, MinLength } from 'class-validator';
import { readEnv } from './env';

class MetricsEnv {
  /** The bearer key Prometheus sends to `GET /metrics`; unset, the endpoint does not exist. */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'METRICS_TOKEN must be at least 32 characters (a random key; Prometheus sends it as a bearer token)' })
  METRICS_TOKEN?: string;
}

export interface MetricsConfig {
  /** Undefined: `/metrics` answers 404. */
  token?: string;
}

export function loadMetricsConfig(env: NodeJS.ProcessEnv = process.env): MetricsConfig {
  return { token: readEnv(MetricsEnv, env).METRICS_TOKEN };
}

export const metricsConfig = registerAs('metrics', () => loadMetricsConfig());
