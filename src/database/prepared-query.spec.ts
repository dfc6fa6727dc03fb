import { sql } from 'kysely';
import { Db, migrateToLatest, openDatabase } from './connection';
import { PreparedQuery } from './prepared-query';

describe('PreparedQuery', () => {
  let db: Db;

  beforeEach(async () => {
    db = openDatabase('sqlite::memory:');
    await migrateToLatest(db);
  });
  afterEach(() => db.destroy());

  const insertCounter = new PreparedQuery((runner, v: { key: string; value: number; expiresAt: number }) =>
    runner.insertInto('counters').values({ key: v.key, value: v.value, expires_at: v.expiresAt }),
  );

  it('builds once, and runs each time with the values of the call in their places', async () => {
    let builds = 0;
    const live = new PreparedQuery((runner, v: { key: string; now: number }) => {
      builds++;
      // 5 is a constant of the query, kept in every run.
      return runner.selectFrom('counters').select(['key', 'value']).where('key', '=', v.key).where('expires_at', '>', v.now).where('value', '<', 5);
    });
    await insertCounter.affected(db, { key: 'a', value: 1, expiresAt: 100 });
    await insertCounter.affected(db, { key: 'b', value: 7, expiresAt: 100 });

    expect(await live.first(db, { key: 'a', now: 50 })).toEqual({ key: 'a', value: 1 });
    expect(await live.first(db, { key: 'a', now: 100 })).toBeUndefined();
    expect(await live.first(db, { key: 'b', now: 50 })).toBeUndefined();
    expect(await live.rows(db, { key: 'nope', now: 0 })).toEqual([]);
    expect(builds).toBe(1);
  });

  it('counts the rows an update changes, and runs inside a transaction', async () => {
    const bump = new PreparedQuery((runner, v: { key: string }) =>
      runner.updateTable('counters').set((eb) => ({ value: eb('value', '+', 1) })).where('key', '=', v.key),
    );
    await insertCounter.affected(db, { key: 'a', value: 1, expiresAt: 100 });
    await expect(
      db.transaction().execute(async (trx) => {
        expect(await bump.affected(trx, { key: 'a' })).toBe(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await bump.affected(db, { key: 'missing' })).toBe(0);
    expect(await db.selectFrom('counters').select('value').where('key', '=', 'a').executeTakeFirst()).toEqual({ value: 1 });
  });

  it('prepares raw SQL too', async () => {
    const doubled = new PreparedQuery((runner, v: { key: string }) => ({
      compile: () => sql<{ twice: number }>`select value * 2 as twice from counters where ${sql.ref('key')} = ${v.key}`.compile(runner),
    }));
    await insertCounter.affected(db, { key: 'a', value: 21, expiresAt: 100 });
    expect(await doubled.first(db, { key: 'a' })).toEqual({ twice: 42 });
  });

  it('refuses a builder that computes with a value instead of placing it', async () => {
    const computing = new PreparedQuery((runner, v: { now: number }) => runner.selectFrom('counters').selectAll().where('expires_at', '>', v.now + 1000));
    await expect(computing.rows(db, { now: 1 })).rejects.toThrow('compute "now" before running it');
  });
});
