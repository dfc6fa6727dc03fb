/**
 * Seeds a database with users as the service itself would have created them: per user one `users`
 * row, one verified `phone` identity and one live session. Batched multi-row INSERTs inside
 * transactions, so a million users take a minute or two on SQLite and PostgreSQL.
 *
 *   npm run bench:seed -- --url sqlite:/tmp/bench.db --users 1000000
 *   npm run bench:seed -- --url postgres://postgres@127.0.0.1:5432/bench --users 1000000
 *
 * Migrations are applied first. The database must have no users yet.
 */
import { CompiledQuery, PostgresAdapter, sql } from 'kysely';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Db, migrateToLatest, openDatabase } from '../src/database/connection';

/**
 * Phone numbers the benchmarks can use: Australian mobiles +61 40… to +61 43…. libphonenumber's
 * full metadata takes every national number 4[0-36]\d{7} as a mobile, so all 40 million of these
 * are valid and normalize to themselves, and the service accepts them as they are. Not every
 * 614… number is: about 9% of 61400000000–61499999999 are not valid (61441…–61443…, 61445…,
 * 61446…, 61453…, 61471… and parts of 6147…–6149…). Nor is 10000000000 + i: +1 000… is not valid.
 */
export const FIRST_VALID_PHONE = 61_400_000_000;
export const LAST_VALID_PHONE = 61_439_999_999;

/** Seeded user `i` has FIRST_SEEDED_PHONE + i. */
export const FIRST_SEEDED_PHONE = FIRST_VALID_PHONE;
/** Numbers from here on are never seeded: logins of new users use them, up to LAST_VALID_PHONE. */
export const FIRST_UNSEEDED_PHONE = 61_410_000_000;
/** The most users seedUsers() writes, so that seeded numbers stay below FIRST_UNSEEDED_PHONE. */
export const MAX_SEEDED_USERS = FIRST_UNSEEDED_PHONE - FIRST_SEEDED_PHONE;

export function seededPhone(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_SEEDED_USERS) throw new Error(`no seeded phone number for user ${index}`);
  return String(FIRST_SEEDED_PHONE + index);
}

export interface SeedOptions {
  /** Rows per INSERT statement (default per engine, capped by its limit on bound parameters). */
  rowsPerStatement?: number;
  /** Users per transaction (default per engine). */
  usersPerTransaction?: number;
  /** Transactions running at once on PostgreSQL / MySQL (default 2); SQLite always writes with one. */
  connections?: number;
  /** Called after every transaction with the number of users written so far. */
  onProgress?: (users: number, elapsedMs: number) => void;
}

export interface SeedResult {
  users: number;
  /** users + identities + sessions rows. */
  rows: number;
  elapsedMs: number;
  rowsPerSecond: number;
  rowsPerStatement: number;
}

type Engine = 'sqlite' | 'postgres' | 'mysql';

/** Bound parameters one statement may carry: SQLite's SQLITE_MAX_VARIABLE_NUMBER, the wire protocols' 16-bit count. */
const MAX_PARAMETERS: Record<Engine, number> = { sqlite: 32_766, postgres: 65_535, mysql: 65_535 };
/**
 * Measured on a 2-core machine, 1,000,000 users (3,000,000 rows). SQLite, 250,000 users per
 * transaction: 500 rows per statement ~46k rows/s, 1,000 ~46-55k, 4,000 ~56k; 25,000 users per
 * transaction instead: ~32k (every transaction rewrites the index pages it touched). PostgreSQL,
 * 25,000 users per transaction: 500 rows ~30k rows/s, 2,000 ~29k, 8,000 ~33k on one connection;
 * its cost is per row (eight indexes, foreign-key triggers), so two connections at once give ~47k.
 */
const DEFAULT_ROWS_PER_STATEMENT: Record<Engine, number> = { sqlite: 4_000, postgres: 2_000, mysql: 2_000 };

/** SQLite rewrites a page of an index each time a transaction touches it: fewer, larger transactions write less. */
const DEFAULT_USERS_PER_TRANSACTION: Record<Engine, number> = { sqlite: 250_000, postgres: 25_000, mysql: 25_000 };

const USER_COLUMNS = ['id', 'address', 'display_name', 'mesibo_uid', 'created_at', 'updated_at'];
const IDENTITY_COLUMNS = ['id', 'user_id', 'method', 'subject', 'verified', 'created_at', 'last_login_at'];
const SESSION_COLUMNS = ['id', 'user_id', 'token_hash', 'app_id', 'device', 'created_at', 'expires_at', 'revoked_at'];

const YEAR_MS = 365 * 24 * 3600 * 1000;

export function engineOf(db: Db): Engine {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  return adapter.constructor.name.toLowerCase().startsWith('mysql') ? 'mysql' : 'sqlite';
}

/**
 * Inserts `count` users with phones seededPhone(0) … seededPhone(count - 1), each with one phone
 * identity (subject = address = the phone digits) and one session (token_hash = SHA-256 hex of a
 * random token), exactly the rows a first login writes.
 */
export async function seedUsers(db: Db, count: number, options: SeedOptions = {}): Promise<SeedResult> {
  if (count > MAX_SEEDED_USERS) throw new Error(`at most ${MAX_SEEDED_USERS} users: their phone numbers would run into those of new users`);
  const engine = engineOf(db);
  const rowsPerStatement = Math.max(
    1,
    Math.min(
      options.rowsPerStatement ?? DEFAULT_ROWS_PER_STATEMENT[engine],
      Math.floor(MAX_PARAMETERS[engine] / SESSION_COLUMNS.length),
    ),
  );
  const usersPerTransaction = Math.max(rowsPerStatement, options.usersPerTransaction ?? DEFAULT_USERS_PER_TRANSACTION[engine]);
  const statements = new StatementCache(engine);

  // Random UUID keys land all over six indexes; better-sqlite3's default 16 MB page cache would
  // re-read their pages from the OS for every batch. Give the seeding connection 1 GB meanwhile.
  const previousCacheSize = engine === 'sqlite' ? await sqliteCacheSize(db) : undefined;
  if (engine === 'sqlite') await sql`PRAGMA cache_size = -1048576`.execute(db);

  const started = performance.now();
  // Spread creation times over the past year, like a real population.
  const now = Date.now();
  let nextChunk = 0;
  let written = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const first = nextChunk;
      if (first >= count) return;
      nextChunk = Math.min(count, first + usersPerTransaction);
      const last = nextChunk;
      await db.transaction().execute(async (trx) => {
        for (let from = first; from < last; from += rowsPerStatement) {
          const to = Math.min(last, from + rowsPerStatement);
          const [users, identities, sessions] = buildRows(from, to, count, now);
          const rows = to - from;
          await trx.executeQuery(CompiledQuery.raw(statements.insert('users', USER_COLUMNS, rows), users));
          await trx.executeQuery(CompiledQuery.raw(statements.insert('identities', IDENTITY_COLUMNS, rows), identities));
          await trx.executeQuery(CompiledQuery.raw(statements.insert('sessions', SESSION_COLUMNS, rows), sessions));
        }
      });
      written += last - first;
      options.onProgress?.(written, performance.now() - started);
    }
  };
  // SQLite has one connection (and one writer); a server takes a transaction per connection at once.
  const workers = engine === 'sqlite' ? 1 : Math.max(1, options.connections ?? 2);
  await Promise.all(Array.from({ length: workers }, () => worker()));
  const elapsedMs = performance.now() - started;
  if (previousCacheSize !== undefined) await sql.raw(`PRAGMA cache_size = ${previousCacheSize}`).execute(db);
  const rows = count * 3;
  return { users: count, rows, elapsedMs, rowsPerSecond: rows / (elapsedMs / 1000), rowsPerStatement };
}

/**
 * Brings a freshly seeded database to the state a long-running one settles in: PostgreSQL's
 * autovacuum would have analyzed and vacuumed the new rows (we do it now, not in the middle of a
 * measurement) and a checkpoint flushes the load; SQLite's WAL is checkpointed into the file.
 */
export async function settle(db: Db): Promise<void> {
  if (engineOf(db) === 'postgres') {
    await sql`VACUUM ANALYZE`.execute(db);
    await sql`CHECKPOINT`.execute(db);
  } else if (engineOf(db) === 'sqlite') {
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
  }
}

/** The parameters of one INSERT per table for users from … to-1: their rows, flattened. */
function buildRows(from: number, to: number, count: number, now: number): [unknown[], unknown[], unknown[]] {
  const users: unknown[] = [];
  const identities: unknown[] = [];
  const sessions: unknown[] = [];
  const tokens = randomBytes(32 * (to - from));
  for (let i = from; i < to; i++) {
    const userId = randomUUID();
    const phone = seededPhone(i);
    const createdAt = now - Math.floor(((count - i) / count) * YEAR_MS);
    const token = tokens.subarray(32 * (i - from), 32 * (i - from + 1)).toString('hex');
    users.push(userId, phone, null, String(1_000_000 + i), createdAt, createdAt);
    identities.push(randomUUID(), userId, 'phone', phone, 1, createdAt, createdAt);
    sessions.push(
      randomUUID(),
      userId,
      createHash('sha256').update(token, 'utf8').digest('hex'),
      'com.mesibo.bench',
      null,
      createdAt,
      createdAt + YEAR_MS,
      null,
    );
  }
  return [users, identities, sessions];
}

async function sqliteCacheSize(db: Db): Promise<number> {
  const result = await sql<{ cache_size: number }>`PRAGMA cache_size`.execute(db);
  return Number(result.rows[0]?.cache_size ?? -2000);
}

class StatementCache {
  private readonly cache = new Map<string, string>();

  constructor(private readonly engine: Engine) {}

  insert(table: string, columns: string[], rows: number): string {
    const key = `${table}:${rows}`;
    let text = this.cache.get(key);
    if (!text) {
      const quote = (name: string) => (this.engine === 'mysql' ? `\`${name}\`` : `"${name}"`);
      const tuples: string[] = [];
      let n = 0;
      for (let row = 0; row < rows; row++) {
        const marks = columns.map(() => (this.engine === 'postgres' ? `$${++n}` : '?'));
        tuples.push(`(${marks.join(',')})`);
      }
      text = `insert into ${quote(table)} (${columns.map(quote).join(',')}) values ${tuples.join(',')}`;
      this.cache.set(key, text);
    }
    return text;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      users: { type: 'string', default: '1000000' },
      'rows-per-statement': { type: 'string' },
      'users-per-transaction': { type: 'string' },
      connections: { type: 'string' },
    },
  });
  if (!values.url) throw new Error('usage: npm run bench:seed -- --url <DATABASE_URL> [--users 1000000] [--rows-per-statement N]');
  const count = Number(values.users);
  if (!Number.isInteger(count) || count < 1) throw new Error('--users must be a positive integer');

  const db = openDatabase(values.url, { poolMax: 4 });
  try {
    await migrateToLatest(db);
    const existing = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    if (Number(existing.n) > 0) throw new Error(`the database already has ${existing.n} users: seed an empty one`);

    console.log(`seeding ${count.toLocaleString('en-US')} users into ${redact(values.url)} (${engineOf(db)})`);
    const result = await seedUsers(db, count, {
      rowsPerStatement: values['rows-per-statement'] ? Number(values['rows-per-statement']) : undefined,
      usersPerTransaction: values['users-per-transaction'] ? Number(values['users-per-transaction']) : undefined,
      connections: values.connections ? Number(values.connections) : undefined,
      onProgress: (done, ms) => {
        if (done === count || done % 100_000 === 0) {
          console.log(`  ${done.toLocaleString('en-US')} users, ${Math.round((done * 3) / (ms / 1000)).toLocaleString('en-US')} rows/s`);
        }
      },
    });
    const settleStarted = performance.now();
    await settle(db);
    console.log(
      `seeded ${result.users.toLocaleString('en-US')} users (${result.rows.toLocaleString('en-US')} rows) in ` +
        `${(result.elapsedMs / 1000).toFixed(1)} s: ${Math.round(result.rowsPerSecond).toLocaleString('en-US')} rows/s, ` +
        `${result.rowsPerStatement} rows per statement; settled (vacuum/analyze/checkpoint) in ` +
        `${((performance.now() - settleStarted) / 1000).toFixed(1)} s`,
    );
  } finally {
    await db.destroy();
  }
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
