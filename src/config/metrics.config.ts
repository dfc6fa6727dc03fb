import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { readEnv, throwIfProblems } from './env';

class MetricsEnv {
  /** The bearer key Prometheus sends to `GET /metrics`; unset, the endpoint does not exist on PORT. */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'METRICS_TOKEN must be at least 32 characters (a random key; Prometheus sends it as a bearer token)' })
  METRICS_TOKEN?: string;

  /** A port of its own for `/metrics`; with several cluster workers, their numbers added up. */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'METRICS_PORT must be a port number' })
  @Min(1, { message: 'METRICS_PORT must be a port number' })
  @Max(65535, { message: 'METRICS_PORT must be a port number' })
  METRICS_PORT?: number;

  @IsString()
  METRICS_HOST: string = '0.0.0.0';

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  PORT?: number;
}

export interface MetricsConfig {
  /** Undefined: `/metrics` on PORT answers 404; on METRICS_PORT no key is asked. */
  token?: string;
  /** Undefined: no metrics port. */
  port?: number;
  host: string;
}

export function loadMetricsConfig(env: NodeJS.ProcessEnv = process.env): MetricsConfig {
  const problems: string[] = [];
  const values = readEnv(MetricsEnv, env, problems);
  if (values.METRICS_PORT !== undefined && values.METRICS_PORT === (values.PORT ?? 3000)) {
    problems.push(`METRICS_PORT must differ from PORT (${values.METRICS_PORT})`);
  }
  throwIfProblems(problems);
  return { token: values.METRICS_TOKEN, port: values.METRICS_PORT, host: values.METRICS_HOST };
}

export const metricsConfig = registerAs('metrics', () => loadMetricsConfig());
