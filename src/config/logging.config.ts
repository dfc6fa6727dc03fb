import { registerAs } from '@nestjs/config';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { isProduction, readEnv } from './env';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevelSetting = (typeof LOG_LEVELS)[number];

class LoggingEnv {
  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL?: string;

  @IsOptional()
  @IsIn(['json', 'pretty'], { message: 'LOG_FORMAT must be json or pretty' })
  LOG_FORMAT?: string;

  /** The informal standard (no-color.org): any value turns colours off. */
  @IsOptional()
  @IsString()
  NO_COLOR?: string;
}

export interface LoggingConfig {
  level: LogLevelSetting;
  /** `json`: one JSON object per line (production); `pretty`: readable lines (development). */
  format: 'json' | 'pretty';
  /** Colour codes in pretty lines: only when the output is a terminal and NO_COLOR is unset. */
  colour: boolean;
}

export function loadLoggingConfig(env: NodeJS.ProcessEnv = process.env): LoggingConfig {
  const values = readEnv(LoggingEnv, env);
  return {
    level: (values.LOG_LEVEL as LogLevelSetting | undefined) ?? 'info',
    format: (values.LOG_FORMAT as 'json' | 'pretty' | undefined) ?? (isProduction(env) ? 'json' : 'pretty'),
    colour: process.stdout.isTTY === true && (values.NO_COLOR ?? '') === '',
  };
}

export const loggingConfig = registerAs('logging', () => loadLoggingConfig());
