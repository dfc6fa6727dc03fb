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
      const store = new RedisCounterStore(new Redis(url), `e2e-${randomBytes(6).toString('hex')}:`, clock);
      return Promise.resolve({ store, close: () => store.close() });
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
});
