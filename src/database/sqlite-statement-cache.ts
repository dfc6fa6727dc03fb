import type { Database, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * How many prepared statements to keep. The whole e2e suite runs about a hundred distinct SQL
 * texts; the rest of the room is for texts that vary with their input (`IN (?, ?, …)` lists,
 * multi-row inserts), which must not grow the cache without end. A statement holds its compiled
 * program, about 3 KB for ours: the full cache costs under 2 MB.
 */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * better-sqlite3's Database as Kysely's SqliteDialect uses it (`prepare` and `close`), with
 * `prepare` answering from a cache of statements by SQL text, least recently used dropped first.
 * Kysely prepares every statement it runs, and compiling one costs far more than running it.
 *
 * Reusing a statement is safe because Kysely's SQLite driver has a single connection behind a
 * mutex: one statement runs at a time, and `all`/`run` reset it when they return. Only a
 * statement whose `iterate` is still open (a stream) is busy; then a fresh one is prepared.
 */
export class CachingSqliteDatabase implements SqliteDatabase {
  /** In order of use, most recent last (a Map keeps insertion order). */
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly sqlite: Database,
    private readonly capacity = STATEMENT_CACHE_SIZE,
  ) {}

  prepare(sql: string): Statement {
    const cached = this.statements.get(sql);
    if (cached !== undefined) {
      if (cached.busy) return this.sqlite.prepare(sql);
      this.statements.delete(sql);
      this.statements.set(sql, cached);
      return cached;
    }
    const statement = this.sqlite.prepare(sql);
    this.statements.set(sql, statement);
    if (this.statements.size > this.capacity) this.statements.delete(this.statements.keys().next().value as string);
    return statement;
  }

  /** Closing the database finalizes its statements, cached or not. */
  close(): void {
    this.statements.clear();
    this.sqlite.close();
  }

  /** Statements held now (for tests). */
  get size(): number {
    return this.statements.size;
  }
}
