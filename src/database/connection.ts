import { Logger } from '@nestjs/common';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  MysqlDialect,
  MysqlPool,
  MysqlPoolConnection,
  PostgresDialect,
  PostgresPool,
  PostgresPoolClient,
  sql,
  SqliteAdapter,
  SqliteDialect,
} from 'kysely';
import { createPool, PoolConnection } from 'mysql2';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Pool, PoolClient, types } from 'pg';
import { errorMessage } from '../common/errors';
import { isDatabaseUnavailable } from '../common/infrastructure-errors';
import { databaseEngineOf, SqliteSynchronous } from '../config/database.config';
import { migrationProvider } from './migrations';
import { DatabaseSchema } from './schema';
import { CachingSqliteDatabase } from './sqlite-statement-cache';

export type Db = Kysely<DatabaseSchema>;

const logger = new Logger('Database');

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
}

/** After the server's own statement timeout, how long to wait for its answer before giving up on the connection. */
const CLIENT_TIMEOUT_GRACE_MS = 500;

/**
 * Opens the database a `DATABASE_URL` names: `sqlite:<path>` (a file, created with its folder) or
 * `sqlite::memory:`, `postgres://…`, `mysql://…` / `mariadb://…`.
 */
export function openDatabase(url: string, options: OpenOptions = {}): Db {
  const poolMax = options.poolMax ?? 10;
  const acquireTimeoutMs = options.acquireTimeoutMs ?? 5000;
  switch (databaseEngineOf(url)) {
    case 'sqlite':
      return new Kysely<DatabaseSchema>({
        dialect: new SqliteDialect({
          database: new CachingSqliteDatabase(openSqlite(url, acquireTimeoutMs, options.sqliteSynchronous ?? 'normal')),
        }),
      });
    case 'postgres':
      return new Kysely<DatabaseSchema>({
        dialect: new PostgresDialect({ pool: openPostgresPool(url, poolMax, acquireTimeoutMs, options.statementTimeoutMs) }),
      });
    case 'mysql':
      return new Kysely<DatabaseSchema>({
        dialect: new MysqlDialect({ pool: openMysqlPool(url, poolMax, acquireTimeoutMs, options.statementTimeoutMs) }),
      });
  }
}

/**
 * Whether a failed statement leaves its connection unusable: the connection broke, or the
 * statement timed out on our side while the server may still be busy with it (or unreachable).
 */
function breaksConnection(error: unknown): boolean {
  return isDatabaseUnavailable(error) || (error instanceof Error && /query read timeout/i.test(error.message));
}

function openPostgresPool(url: string, poolMax: number, acquireTimeoutMs: number, statementTimeoutMs?: number): PostgresPool {
  const pool = new Pool({
    connectionString: url,
    max: poolMax,
    // pg-pool applies this both to opening a connection and to waiting for a free one.
    connectionTimeoutMillis: acquireTimeoutMs,
    // The server cancels a slow statement itself; the client gives up shortly after, in case the
    // server cannot answer at all (a stalled network).
    ...(statementTimeoutMs
      ? { statement_timeout: statementTimeoutMs, query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS }
      : {}),
    // BIGINT columns hold epoch milliseconds, well inside the safe integer range.
    types: { getTypeParser: int8AsNumber as typeof types.getTypeParser },
  });
  // A connection that breaks emits 'error' on its client, idle or in use; without a listener that
  // is an unhandled 'error' event, which ends the process. The statement in flight fails (503) and
  // the broken connection leaves the pool. Idle ones are reported by the pool too: logged once here.
  pool.on('error', () => undefined);
  pool.on('connect', (client) =>
    client.on('error', (error) => logger.warn(`PostgreSQL connection lost: ${errorMessage(error)}`)),
  );
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let broken: Error | undefined;
      return {
        query: ((...args: Parameters<PoolClient['query']>) => {
          const result = (client.query as (...a: unknown[]) => unknown)(...args);
          if (!(result instanceof Promise)) return result; // a cursor
          return result.catch((error: unknown) => {
            if (breaksConnection(error)) broken = error as Error;
            throw error;
          });
        }) as PostgresPoolClient['query'],
        // A broken connection is closed instead of going back to the pool.
        release: () => client.release(broken),
      };
    },
    end: () => pool.end(),
  };
}

function openMysqlPool(url: string, poolMax: number, acquireTimeoutMs: number, statementTimeoutMs?: number): MysqlPool {
  const pool = createPool({ uri: url.replace(/^mariadb:/, 'mysql:'), connectionLimit: poolMax, connectTimeout: acquireTimeoutMs });
  // mysql2 listens only once for an error of a pooled connection; a second one would be unhandled.
  pool.on('connection', (connection) =>
    connection.on('error', (error: unknown) => logger.warn(`MySQL connection lost: ${errorMessage(error)}`)),
  );
  return {
    // mysql2's pool has no acquire timeout: a caller waits for a free connection as long as it takes.
    getConnection(callback) {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        callback(acquireTimeout(acquireTimeoutMs), undefined as never);
      }, acquireTimeoutMs);
      pool.getConnection((error, connection) => {
        if (settled) {
          connection?.release();
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (error) return callback(error, undefined as never);
        callback(null, timedMysqlConnection(connection, statementTimeoutMs));
      });
    },
    end: (callback) => pool.end(callback),
  };
}

function timedMysqlConnection(connection: PoolConnection, statementTimeoutMs?: number): MysqlPoolConnection {
  let broken = false;
  const query = (sql: string, values: unknown[], callback?: (error: unknown, result: never) => void): unknown => {
    if (!callback) return connection.query(sql, values); // a stream
    connection.query({ sql, values, timeout: statementTimeoutMs }, (error, result) => {
      // After a timeout mysql2 still waits for the answer on that connection: do not reuse it.
      if (error && breaksConnection(error)) broken = true;
      callback(error, result as never);
    });
    return undefined;
  };
  return {
    query: query as MysqlPoolConnection['query'],
    release: () => (broken ? connection.destroy() : connection.release()),
  };
}

function acquireTimeout(ms: number): Error {
  return Object.assign(new Error(`timeout exceeded when trying to connect: no pooled connection within ${ms} ms`), { code: 'ETIMEDOUT' });
}

function int8AsNumber(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === (types.builtins.INT8 as number)) return Number;
  return types.getTypeParser(oid, format) as (value: string) => unknown;
}

function openSqlite(url: string, busyTimeoutMs: number, synchronous: SqliteSynchronous): SqliteDatabase.Database {
  const location = url.replace(/^sqlite:(\/\/)?/, '');
  const filename = location === ':memory:' ? ':memory:' : resolve(location);
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
  const sqlite = new SqliteDatabase(filename);
  // The busy timeout makes a writer wait for the lock (held by another process) instead of failing
  // at once, and no longer (then SQLITE_BUSY, a 503); it comes first, since switching to WAL takes
  // a lock too. WAL lets readers proceed while one writer writes.
  sqlite.pragma(`busy_timeout = ${Math.round(busyTimeoutMs)}`);
  sqlite.pragma('journal_mode = WAL');
  // Set every time: SQLite's own default depends on whether the file was already in WAL mode when
  // opened (NORMAL) or switched just now (FULL). With WAL, NORMAL never loses consistency; a power
  // cut may lose the last commits, a crash of this process loses none.
  sqlite.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
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

async function runMigrator(migrator: Migrator): Promise<string[]> {
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${errorMessage(error)}`);
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
