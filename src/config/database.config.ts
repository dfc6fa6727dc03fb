import { registerAs } from '@nestjs/config';
import { IsBooleanString, IsOptional, Matches } from 'class-validator';
import { readEnv } from './env';

class DatabaseEnv {
  @Matches(/^sqlite:/, {
    message: 'DATABASE_URL must be a sqlite: URL (for example sqlite:data/backend.db)',
  })
  DATABASE_URL: string = 'sqlite:data/backend.db';

  @IsOptional()
  @IsBooleanString()
  DB_MIGRATE?: string;
}

export interface DatabaseConfig {
  url: string;
  /** Apply pending migrations at start-up. */
  migrateOnStart: boolean;
}

export function loadDatabaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const vars = readEnv(DatabaseEnv, env);
  return { url: vars.DATABASE_URL, migrateOnStart: vars.DB_MIGRATE !== 'false' };
}

export const databaseConfig = registerAs('database', () => loadDatabaseConfig());
