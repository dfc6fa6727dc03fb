import SqliteDatabase from 'better-sqlite3';
import { Dialect, SqliteDialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SqliteSynchronous } from '../config/database.config';
import { CachingSqliteDatabase } from './sqlite-statement-cache';

/** Kysely's dialect for `sqlite:<path>` (a file, created with its folder) or `sqlite::memory:`. */
export function sqliteDialect(url: string, busyTimeoutMs: number, synchronous: SqliteSynchronous): Dialect {
  return new SqliteDialect({ database: new CachingSqliteDatabase(openSqlite(url, busyTimeoutMs, synchronous)) });
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
