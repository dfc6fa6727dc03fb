import { Kysely, Migrator, MysqlAdapter, sql, SqliteAdapter } from 'kysely';
import { errorMessage } from '../common/errors';
import { databaseEngineOf, SqliteSynchronous } from '../config/database.config';
import { ConfigError } from '../config/env';
import { migrationProvider } from './migrations';
import { PoolUsage } from './pool-usage';
import { DatabaseSchema } from './schema';

export type Db = Kysely<DatabaseSchema>;

/**
 * Whether the engine answers INSERT/UPDATE … RETURNING (SQLite and PostgreSQL), so that a claim and
 * the read of what it claimed are one statement; MySQL/MariaDB have no RETURNING.
 */
export function supportsReturning(db: Pick<Db, 'getExecutor'>): boolean {
  return !(db.getExecutor().adapter instanceof MysqlAdapter);
}

/** Injection token of the Kysely instance. */
export const DB = Symbol('DB');

export interface OpenOptions {
  /** Pool size for PostgreSQL and MySQL/MariaDB. */
  poolMax?: number;
  /**
   * Longest one statement may take (PostgreSQL, MySQL/MariaDB); unset = no limit, as migrations
   * and scripts need. A statement that takes longer fails, and its connection is dropped.
   */
  statementTimeoutMs?: number;
  /** Longest a caller waits for a pooled connection, including opening one (SQLite: for a lock). Default 5000. */
  acquireTimeoutMs?: number;
  /** SQLite only: `normal` (default) syncs the write-ahead log at checkpoints, `full` at every commit. */
  sqliteSynchronous?: SqliteSynchronous;
  /** Counts the pool's connections in use and its waiting callers (PostgreSQL, MySQL/MariaDB). */
  poolUsage?: PoolUsage;
}

/**
 * Opens the database a `DATABASE_URL` names: `sqlite:<path>` (a file, created with its folder) or
 * `sqlite::memory:`, `postgres://…`, `mysql://…` / `mariadb://…`.
 */
export function openDatabase(url: string, options: OpenOptions = {}): Db {
  const poolMax = options.poolMax ?? 10;
  const acquireTimeoutMs = options.acquireTimeoutMs ?? 5000;
  // Each engine's module, and so its driver, is loaded only when used: a service on SQLite never
  // loads pg or mysql2, and no start pays for drivers it does not use.
  switch (databaseEngineOf(url)) {
    case 'sqlite': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { sqliteDialect } = require('./sqlite') as typeof import('./sqlite');
      return new Kysely<DatabaseSchema>({ dialect: sqliteDialect(url, acquireTimeoutMs, options.sqliteSynchronous ?? 'normal') });
    }
    case 'postgres': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { postgresDialect } = require('./postgres') as typeof import('./postgres');
      return new Kysely<DatabaseSchema>({ dialect: postgresDialect(url, poolMax, acquireTimeoutMs, options.statementTimeoutMs, options.poolUsage) });
    }
    case 'mysql': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { mysqlDialect } = require('./mysql') as typeof import('./mysql');
      return new Kysely<DatabaseSchema>({ dialect: mysqlDialect(url, poolMax, acquireTimeoutMs, options.statementTimeoutMs, options.poolUsage) });
    }
  }
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
    // Another process may hold the lock for a whole migration run: wait longer than a request would.
    const { rows } = await sql<{ timeout: number }>`PRAGMA busy_timeout`.execute(connection);
    await sql.raw(`PRAGMA busy_timeout = ${MIGRATION_LOCK_WAIT_MS}`).execute(connection);
    try {
      await sql`BEGIN IMMEDIATE`.execute(connection);
      try {
        const applied = await runMigrator(new Migrator({ db: connection, provider: migrationProvider, disableTransactions: true }));
        await sql`COMMIT`.execute(connection);
        return applied;
      } catch (error) {
        await sql`ROLLBACK`.execute(connection);
        throw error;
      }
    } finally {
      await sql.raw(`PRAGMA busy_timeout = ${Number(rows[0]?.timeout ?? 5000)}`).execute(connection);
    }
  });
}

/** How long a SQLite migration run waits for another process's run to finish. */
const MIGRATION_LOCK_WAIT_MS = 60_000;

/** The migrations of this build that the database has not applied yet, by name. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const migrations = await new Migrator({ db, provider: migrationProvider }).getMigrations();
  return migrations.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}

/**
 * What a start does to the schema: applies the pending migrations (returns their names), or, when
 * `migrate` is off (DB_MIGRATE=false), refuses a database that lacks some of this build's, since
 * requests would fail on it.
 */
export async function prepareSchema(db: Db, migrate: boolean): Promise<string[]> {
  if (migrate) return migrateToLatest(db);
  const pending = await pendingMigrations(db);
  if (pending.length > 0) {
    throw new ConfigError(
      `DB_MIGRATE=false, but the database lacks ${pending.length} migration(s) of this build: ${pending.join(', ')}; ` +
        'apply them with `npm run migrate` (or `node dist/database/migrate.js`), or start with DB_MIGRATE=true',
    );
  }
  return [];
}

async function runMigrator(migrator: Migrator): Promise<string[]> {
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${errorMessage(error)}`);
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
