import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { migrateToLatest, openDatabase } from '../src/database/connection';
import { CounterStore, DatabaseCounterStore } from '../src/database/counter-store';
import { RedisCounterStore } from '../src/database/redis-counter-store';
import { FakeClock } from './support/fake-clock';
import { createTestDatabase, TestDatabase } from './support/test-database';


interface Subject {
  store: CounterStore;
  close(): Promise<void>;
  /** Redis: forgets the loaded scripts, as a restart or a failover to a replica does. */
  flushScripts?(): Promise<void>;
}

/** The same contract for both implementations, on real servers. */
const implementations: Array<[string, (clock: FakeClock) => Promise<Subject>]> = [
  [
    'database',
    async (clock) => {
      const database: TestDatabase = await createTestDatabase();
      const db = openDatabase(database.url);
      await migrateToLatest(db);
      return {
        store: new DatabaseCounterStore(db, clock),
        close: async () => {
          await db.destroy();
          await database.drop();
        },
      };
    },
  ],
];
if (process.env.E2E_REDIS_URL) {
  const url = process.env.E2E_REDIS_URL;
  implementations.push([
    'redis',
    (clock) => {
      const redis = new Redis(url);
      const store = new RedisCounterStore(redis, `e2e-${randomBytes(6).toString('hex')}:`, clock);
      return Promise.resolve({ store, close: () => store.close(), flushScripts: async () => void (await redis.script('FLUSH')) });
    },
  ]);
}

describe.each(implementations)('CounterStore on %s', (_name, create) => {
  let clock: FakeClock;
  let subject: Subject;

  beforeEach(async () => {
    clock = new FakeClock();
    subject = await create(clock);
  });
  afterEach(() => subject.close());

  it('counts hits within a window that starts with the first hit', async () => {
    const first = await subject.store.increment('k', 60);
    expect(first).toEqual({ value: 1, expiresAt: clock.nowMs() + 60_000 });
    clock.advance(30);
    expect(await subject.store.increment('k', 60)).toEqual({ value: 2, expiresAt: first.expiresAt });
    expect(await subject.store.get('k')).toEqual({ value: 2, expiresAt: first.expiresAt });
  });

  it('starts over once the window has ended', async () => {
    await subject.store.increment('k', 60);
    await subject.store.increment('k', 60);
    clock.advance(60);
    expect((await subject.store.get('k')).value).toBe(0);
    expect(await subject.store.increment('k', 60)).toEqual({ value: 1, expiresAt: clock.nowMs() + 60_000 });
  });

  it('keeps keys apart, and counts every one of many concurrent hits', async () => {
    await Promise.all(Array.from({ length: 20 }, () => subject.store.increment('a', 60)));
    await subject.store.increment('b', 60);
    expect((await subject.store.get('a')).value).toBe(20);
    expect((await subject.store.get('b')).value).toBe(1);
    expect((await subject.store.get('missing')).value).toBe(0);
  });

  it('grants exactly `max` units of a burst of concurrent claims, and refuses the rest', async () => {
    const claims = await Promise.all(Array.from({ length: 300 }, () => subject.store.take('burst', 7, 60)));
    expect(claims.filter((claim) => claim.granted)).toHaveLength(7);
    const refused = claims.filter((claim) => !claim.granted);
    expect(refused).toHaveLength(293);
    expect(refused.every((claim) => claim.value === 7 && claim.expiresAt === clock.nowMs() + 60_000)).toBe(true);
    expect((await subject.store.get('burst')).value).toBe(7);
  });

  it('gives a refunded unit to the next claim, never goes below zero, and restarts an ended window', async () => {
    expect(await subject.store.take('k', 2, 60)).toEqual({ granted: true, value: 1, expiresAt: clock.nowMs() + 60_000 });
    expect((await subject.store.take('k', 2, 60)).granted).toBe(true);
    expect((await subject.store.take('k', 2, 60)).granted).toBe(false);
    await subject.store.refund('k');
    expect((await subject.store.take('k', 2, 60)).granted).toBe(true);
    await subject.store.refund('k');
    await subject.store.refund('k');
    await subject.store.refund('k');
    expect((await subject.store.get('k')).value).toBe(0);
    // Back at zero, the window is forgotten: the next claim starts a new one.
    clock.advance(10);
    expect(await subject.store.take('k', 2, 60)).toEqual({ granted: true, value: 1, expiresAt: clock.nowMs() + 60_000 });
    await subject.store.refund('k');
    await subject.store.refund('never-taken');
    expect((await subject.store.get('never-taken')).value).toBe(0);
    await subject.store.take('k', 2, 60);
    await subject.store.take('k', 2, 60);
    clock.advance(60);
    expect(await subject.store.take('k', 2, 60)).toEqual({ granted: true, value: 1, expiresAt: clock.nowMs() + 60_000 });
  });

  it('refunds several keys in one call, each by one unit, and concurrent refunds all count', async () => {
    for (let i = 0; i < 3; i++) await subject.store.take('a', 10, 60);
    await subject.store.take('b', 10, 60);
    await subject.store.refund('a', 'b', 'never-taken');
    expect((await subject.store.get('a')).value).toBe(2);
    expect((await subject.store.get('b')).value).toBe(0);
    expect((await subject.store.take('b', 10, 60)).value).toBe(1);

    await Promise.all(Array.from({ length: 40 }, () => subject.store.take('c', 50, 60)));
    await Promise.all(Array.from({ length: 30 }, () => subject.store.refund('c', 'a')));
    expect((await subject.store.get('c')).value).toBe(10);
    expect((await subject.store.get('a')).value).toBe(0);
  });

  it('counts a window restart and a refusal in the one claim that decides them', async () => {
    await subject.store.take('w', 1, 60);
    clock.advance(30);
    const refused = await subject.store.take('w', 1, 60);
    expect(refused).toEqual({ granted: false, value: 1, expiresAt: clock.nowMs() + 30_000 });
    clock.advance(30);
    expect(await subject.store.take('w', 1, 90)).toEqual({ granted: true, value: 1, expiresAt: clock.nowMs() + 90_000 });
    expect(await subject.store.increment('w', 10)).toEqual({ value: 2, expiresAt: clock.nowMs() + 90_000 });
  });

  if (_name === 'redis') {
    it('keeps counting when the server has forgotten its scripts', async () => {
      const flush = (): Promise<void> => subject.flushScripts!();
      await subject.store.take('s', 3, 60);
      await flush();
      expect(await subject.store.take('s', 3, 60)).toMatchObject({ granted: true, value: 2 });
      await flush();
      await subject.store.refund('s');
      await flush();
      expect(await subject.store.increment('s', 60)).toMatchObject({ value: 2 });
    });
  }

  it('refuses every claim on a budget of zero', async () => {
    expect((await subject.store.take('none', 0, 60)).granted).toBe(false);
    expect((await subject.store.get('none')).value).toBe(0);
  });

  if (_name === 'database') {
    it('purges counters whose window has ended, and only those', async () => {
      const store = subject.store as DatabaseCounterStore;
      await store.take('short', 5, 60);
      await store.take('long', 5, 600);
      clock.advance(60);
      expect(await store.purgeExpired()).toBe(1);
      expect((await store.get('long')).value).toBe(1);
      expect((await store.take('short', 5, 60)).value).toBe(1);
    });
  }
});
