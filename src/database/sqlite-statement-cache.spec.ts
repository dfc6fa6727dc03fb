import SqliteDatabase from 'better-sqlite3';
import { Generated, Kysely, sql, SqliteDialect } from 'kysely';
import { CachingSqliteDatabase } from './sqlite-statement-cache';

interface TestSchema {
  t: { id: Generated<number>; name: string };
}

describe('CachingSqliteDatabase', () => {
  let sqlite: SqliteDatabase.Database;
  let prepared: string[];

  beforeEach(() => {
    sqlite = new SqliteDatabase(':memory:');
    sqlite.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)');
    prepared = [];
    const prepare = sqlite.prepare.bind(sqlite);
    jest.spyOn(sqlite, 'prepare').mockImplementation((source: string) => {
      prepared.push(source);
      return prepare(source);
    });
  });

  afterEach(() => {
    if (sqlite.open) sqlite.close();
  });

  it('prepares a SQL text once and answers the same statement after', () => {
    const cache = new CachingSqliteDatabase(sqlite);
    const first = cache.prepare('SELECT name FROM t WHERE id = ?');
    expect(cache.prepare('SELECT name FROM t WHERE id = ?')).toBe(first);
    expect(cache.prepare('SELECT id FROM t')).not.toBe(first);
    expect(prepared).toEqual(['SELECT name FROM t WHERE id = ?', 'SELECT id FROM t']);
  });

  it('keeps at most its capacity, dropping the least recently used', () => {
    const cache = new CachingSqliteDatabase(sqlite, 2);
    const a = cache.prepare('SELECT 1');
    cache.prepare('SELECT 2');
    expect(cache.prepare('SELECT 1')).toBe(a); // now 'SELECT 2' is the least recently used
    cache.prepare('SELECT 3');
    expect(cache.size).toBe(2);

    expect(cache.prepare('SELECT 1')).toBe(a);
    cache.prepare('SELECT 2');
    expect(prepared).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 3', 'SELECT 2']);
  });

  it('prepares a fresh statement while the cached one is still being iterated', () => {
    const cache = new CachingSqliteDatabase(sqlite);
    sqlite.exec("INSERT INTO t (name) VALUES ('a'), ('b')");
    const cached = cache.prepare('SELECT name FROM t ORDER BY id');
    const rows = cached.iterate();
    expect(rows.next().value).toEqual({ name: 'a' });

    const other = cache.prepare('SELECT name FROM t ORDER BY id');
    expect(other).not.toBe(cached);
    expect(other.all()).toEqual([{ name: 'a' }, { name: 'b' }]);
    expect(rows.next().value).toEqual({ name: 'b' });
    expect(rows.next().done).toBe(true);
    expect(cache.prepare('SELECT name FROM t ORDER BY id')).toBe(cached);
  });

  describe('under Kysely', () => {
    let db: Kysely<TestSchema>;
    beforeEach(() => (db = new Kysely<TestSchema>({ dialect: new SqliteDialect({ database: new CachingSqliteDatabase(sqlite) }) })));
    afterEach(() => db.destroy());

    it('gives each run of a reused statement its own parameters and results', async () => {
      for (const name of ['ann', 'bob', 'cy']) await db.insertInto('t').values({ name }).execute();
      const nameOf = (id: number) => db.selectFrom('t').select('name').where('id', '=', id).executeTakeFirst();

      expect(await nameOf(2)).toEqual({ name: 'bob' });
      expect(await nameOf(1)).toEqual({ name: 'ann' });
      expect(await nameOf(9)).toBeUndefined();
      const inserts = prepared.filter((text) => text.startsWith('insert'));
      expect(inserts).toHaveLength(1);
      expect(prepared.filter((text) => text.startsWith('select'))).toHaveLength(1);
    });

    it('reuses a statement whose last run failed', async () => {
      await db.insertInto('t').values({ name: 'ann' }).execute();
      // By message: the driver's error class is the one of whichever test file loaded it first.
      await expect(db.insertInto('t').values({ name: 'ann' }).execute()).rejects.toMatchObject({ message: expect.stringMatching(/UNIQUE/) });
      const { insertId, numInsertedOrUpdatedRows } = await db.insertInto('t').values({ name: 'bob' }).executeTakeFirstOrThrow();
      expect([insertId, numInsertedOrUpdatedRows]).toEqual([2n, 1n]);
      expect(prepared.filter((text) => text.startsWith('insert'))).toHaveLength(1);
    });

    it('streams through a cached statement, as often as asked', async () => {
      await db.insertInto('t').values([{ name: 'ann' }, { name: 'bob' }]).execute();
      for (let round = 0; round < 2; round++) {
        const names: string[] = [];
        for await (const row of db.selectFrom('t').select('name').orderBy('id').stream()) names.push(row.name);
        expect(names).toEqual(['ann', 'bob']);
      }
      // A stream left early is reset, and its statement serves the next caller.
      for await (const row of db.selectFrom('t').select('name').orderBy('id').stream()) {
        expect(row.name).toBe('ann');
        break;
      }
      expect(await db.selectFrom('t').select('name').orderBy('id').execute()).toHaveLength(2);
      expect(prepared.filter((text) => text.startsWith('select'))).toHaveLength(1);
    });

    it('runs transactions (begin, commit, rollback) from the cache too', async () => {
      await db.transaction().execute((trx) => trx.insertInto('t').values({ name: 'ann' }).execute());
      await expect(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('t').values({ name: 'bob' }).execute();
          throw new Error('give up');
        }),
      ).rejects.toThrow('give up');
      await db.transaction().execute((trx) => trx.insertInto('t').values({ name: 'cy' }).execute());

      const { rows } = await sql<{ name: string }>`SELECT name FROM t ORDER BY id`.execute(db);
      expect(rows.map((row) => row.name)).toEqual(['ann', 'cy']);
      expect(prepared.filter((text) => text === 'begin')).toHaveLength(1);
    });
  });
});
