import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsBooleanString, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { readEnv } from './env';

class DatabaseEnv {
  @Matches(/^(sqlite:|postgres(ql)?:\/\/|mysql:\/\/|mariadb:\/\/)/, {
    message:
      'DATABASE_URL must be sqlite:<file>, postgres://user@host:port/db or mysql://user@host:port/db (mariadb:// also works)',
  })
  DATABASE_URL: string = 'sqlite:data/backend.db';

  @IsOptional()
  @IsBooleanString()
  DB_MIGRATE?: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  DB_POOL_MAX: number = 10;
}

export type DatabaseEngine = 'sqlite' | 'postgres' | 'mysql';

export interface DatabaseConfig {
  url: string;
  engine: DatabaseEngine;
  /** Apply pending migrations at start-up. */
  migrateOnStart: boolean;
  /** Connections per instance (PostgreSQL and MySQL/MariaDB; SQLite has one). */
  poolMax: number;
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
    migrateOnStart: vars.DB_MIGRATE !== 'false',
    poolMax: vars.DB_POOL_MAX,
  };
}

export const databaseConfig = registerAs('database', () => loadDatabaseConfig());
