import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { booleanSetting, IsBooleanSetting, readEnv } from './env';

class DatabaseEnv {
  @Matches(/^(sqlite:|postgres(ql)?:\/\/|mysql:\/\/|mariadb:\/\/)/, {
    message:
      'DATABASE_URL must be sqlite:<file>, postgres://user@host:port/db or mysql://user@host:port/db (mariadb:// also works)',
  })
  DATABASE_URL: string = 'sqlite:data/backend.db';

  @IsOptional()
  @IsBooleanSetting()
  DB_MIGRATE?: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  DB_POOL_MAX: number = 10;

  /** Longest one statement may run before it fails (503), so a stalled database does not hold requests. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600000)
  DB_STATEMENT_TIMEOUT_MS: number = 5000;

  /** Longest a request waits for a pooled connection (SQLite: for the write lock) before it fails (503). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600000)
  DB_ACQUIRE_TIMEOUT_MS: number = 3000;

  /** When a SQLite commit reaches the disk: `normal` at checkpoints, `full` at every commit. */
  @IsIn(['normal', 'full'])
  SQLITE_SYNCHRONOUS: string = 'normal';
}

export type DatabaseEngine = 'sqlite' | 'postgres' | 'mysql';

/** SQLite's `synchronous` pragma, in WAL mode: `full` syncs every commit, `normal` only at checkpoints. */
export type SqliteSynchronous = 'normal' | 'full';

export interface DatabaseConfig {
  url: string;
  engine: DatabaseEngine;
  /** Apply pending migrations at start-up. */
  migrateOnStart: boolean;
  /** Connections per instance (PostgreSQL and MySQL/MariaDB; SQLite has one). */
  poolMax: number;
  statementTimeoutMs: number;
  acquireTimeoutMs: number;
  sqliteSynchronous: SqliteSynchronous;
}

export function databaseEngineOf(url: string): DatabaseEngine {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:/.test(url)) return 'postgres';
  return 'mysql';
}

export function loadDatabaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const vars = readEnv(DatabaseEnv, env);
  return {
    url: vars.DATABASE_URL,
    engine: databaseEngineOf(vars.DATABASE_URL),
    migrateOnStart: booleanSetting(vars.DB_MIGRATE, true),
    poolMax: vars.DB_POOL_MAX,
    statementTimeoutMs: vars.DB_STATEMENT_TIMEOUT_MS,
    acquireTimeoutMs: vars.DB_ACQUIRE_TIMEOUT_MS,
    sqliteSynchronous: vars.SQLITE_SYNCHRONOUS as SqliteSynchronous,
  };
}

export const databaseConfig = registerAs('database', () => loadDatabaseConfig());
