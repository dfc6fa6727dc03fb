import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { migrationProvider } from './migrations';
import { DatabaseSchema } from './schema';
import { errorMessage } from '../common/errors';

export type Db = Kysely<DatabaseSchema>;

/** Injection token of the Kysely instance. */
export const DB = Symbol('DB');

/**
 * Opens the database a `DATABASE_URL` names. `sqlite:<path>` is a file (created with its folder),
 * `sqlite::memory:` an in-memory database.
 */
export function openDatabase(url: string): Db {
  const location = url.replace(/^sqlite:(\/\/)?/, '');
  const filename = location === ':memory:' ? ':memory:' : resolve(location);
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });

  const sqlite = new SqliteDatabase(filename);
  // WAL lets readers proceed while one writer writes; the busy timeout makes a second
  // process wait for the write lock instead of failing at once.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  return new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
}

/** Applies pending migrations; returns the names applied. Throws if one fails. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${errorMessage(error)}`);
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
