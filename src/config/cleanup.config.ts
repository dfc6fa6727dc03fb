import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { readEnv } from './env';

class CleanupEnv {
  /** How often one of the instances deletes what has expired. */
  @Type(() => Number)
  @IsInt({ message: 'CLEANUP_INTERVAL_SECONDS must be a whole number of seconds' })
  @Min(60, { message: 'CLEANUP_INTERVAL_SECONDS must be at least 60' })
  @Max(86400, { message: 'CLEANUP_INTERVAL_SECONDS must be at most 86400 (a day)' })
  CLEANUP_INTERVAL_SECONDS: number = 300;

  /** Sessions that expired or were ended are kept this long (they show when a device last logged in). */
  @Type(() => Number)
  @IsInt({ message: 'ENDED_SESSIONS_KEPT_DAYS must be a whole number of days' })
  @Min(1, { message: 'ENDED_SESSIONS_KEPT_DAYS must be at least 1' })
  @Max(3650, { message: 'ENDED_SESSIONS_KEPT_DAYS must be at most 3650' })
  ENDED_SESSIONS_KEPT_DAYS: number = 30;

  /** Email registrations whose code never came back are deleted after this many days. */
  @Type(() => Number)
  @IsInt({ message: 'UNCONFIRMED_EMAIL_ACCOUNTS_KEPT_DAYS must be a whole number of days' })
  @Min(1, { message: 'UNCONFIRMED_EMAIL_ACCOUNTS_KEPT_DAYS must be at least 1' })
  @Max(365, { message: 'UNCONFIRMED_EMAIL_ACCOUNTS_KEPT_DAYS must be at most 365' })
  UNCONFIRMED_EMAIL_ACCOUNTS_KEPT_DAYS: number = 7;

  /** Audit events are deleted after this many days. */
  @Type(() => Number)
  @IsInt({ message: 'AUDIT_RETENTION_DAYS must be a whole number of days' })
  @Min(1, { message: 'AUDIT_RETENTION_DAYS must be at least 1' })
  @Max(3650, { message: 'AUDIT_RETENTION_DAYS must be at most 3650' })
  AUDIT_RETENTION_DAYS: number = 90;
}

export interface CleanupConfig {
  intervalSeconds: number;
  endedSessionsKeptDays: number;
  unconfirmedEmailAccountsKeptDays: number;
  auditRetentionDays: number;
}

export function loadCleanupConfig(env: NodeJS.ProcessEnv = process.env): CleanupConfig {
  const vars = readEnv(CleanupEnv, env);
  return {
    intervalSeconds: vars.CLEANUP_INTERVAL_SECONDS,
    endedSessionsKeptDays: vars.ENDED_SESSIONS_KEPT_DAYS,
    unconfirmedEmailAccountsKeptDays: vars.UNCONFIRMED_EMAIL_ACCOUNTS_KEPT_DAYS,
    auditRetentionDays: vars.AUDIT_RETENTION_DAYS,
  };
}

export const cleanupConfig = registerAs('cleanup', () => loadCleanupConfig());
