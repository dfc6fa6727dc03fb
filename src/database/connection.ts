import { Logger } from '@nestjs/common';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, MysqlDialect, PostgresDialect, sql, SqliteAdapter, SqliteDialect } from 'kysely';
import { createPool } from 'mysql2';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Pool, types } from 'pg';
import { errorMessage } from '../common/errors';
import { databaseEngineOf } from '../config/database.config';
import { migrationProvider } from './migrations';
import { DatabaseSchema } from './schema';

export type Db = Kysely<DatabaseSchema>;

const logger = new Logger('Database');

/** Injection token of the Kysely instance. */
export const DB = Symbol('DB');

export interface OpenOptions {
  /** Pool size for PostgreSQL and MySQL/MariaDB. */
  poolMax?: number;
}

/**
 * Opens the database a `DATABASE_URL` names: `sqlite:<path>` (a file, created with its folder) or
 * `sqlite::memory:`, `postgres://…`, `mysql://…` / `mariadb://…`.
 */
export function openDatabase(url: string, options: OpenOptions = {}): Db {
  const poolMax = options.poolMax ?? 10;
  switch (databaseEngineOf(url)) {
    case 'sqlite':
      return new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: openSqlite(url) }) });
    case 'postgres': {
      const pool = new Pool({
        connectionString: url,
        max: poolMax,
        connectionTimeoutMillis: 5000,
        // BIGINT columns hold epoch milliseconds, well inside the safe integer range.
        types: { getTypeParser: int8AsNumber as typeof types.getTypeParser },
      });
      // An idle connection that breaks (database restart) is dropped from the pool; without a
      // listener, pg would raise it as an unhandled 'error' event and end the process.
      pool.on('error', (error) => logger.warn(`PostgreSQL connection lost: ${errorMessage(error)}`));
      return new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
    }
    case 'mysql':
      return new Kysely<DatabaseSchema>({
        dialect: new MysqlDialect({
          pool: createPool({ uri: url.replace(/^mariadb:/, 'mysql:'), connectionLimit: poolMax, connectTimeout: 5000 }),
        }),
      });
  }
}

function int8AsNumber(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === (types.builtins.INT8 as number)) return Number;
  return types.getTypeParser(oid, format) as (value: string) => unknown;
}

function openSqlite(url: string): SqliteDatabase.Database {
  const location = url.replace(/^sqlite:(\/\/)?/, '');
  const filename = location === ':memory:' ? ':memory:' : resolve(location);
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
  const sqlite = new SqliteDatabase(filename);
  // The busy timeout makes a second process wait for a lock instead of failing at once; it comes
  // first, since switching to WAL takes a lock too. WAL lets readers proceed while one writer writes.
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  return sqlite;
}

/**
 * Applies pending migrations; returns the names applied. Throws if one fails. Instances starting
 * together apply each migration once: Kysely's migrator holds an advisory lock on PostgreSQL and
 * GET_LOCK on MySQL; on SQLite, whose Kysely adapter takes no lock, the whole run happens inside
 * one BEGIN IMMEDIATE transaction, which other processes wait for (busy_timeout).
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return runMigrator(new Migrator({ db, provider: migrationProvider }));
  return db.connection().execute(async (connection) => {
    await sql`BEGIN IMMEDIATE`.execute(connection);
    try {
      const applied = await runMigrator(new Migrator({ db: connection, provider: migrationProvider, disableTransactions: true }));
      await sql`COMMIT`.execute(connection);
      return applied;
    } catch (error) {
      await sql`ROLLBACK`.execute(connection);
      throw error;
    }
  });
}

async function runMigrator(migrator: Migrator): Promise<string[]> {
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${errorMessage(error)}`);
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
