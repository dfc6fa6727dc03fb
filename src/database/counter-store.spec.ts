import { Clock } from '../common/clock';
import { Db, migrateToLatest, openDatabase } from './connection';
import { DatabaseCounterStore } from './counter-store';

class TestClock extends Clock {
  private current = Date.UTC(2026, 0, 1, 12, 0, 0);

  now(): Date {
    return new Date(this.current);
  }

  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}

describe('DatabaseCounterStore', () => {
  let db: Db;
  let clock: TestClock;
  let store: DatabaseCounterStore;

  beforeEach(async () => {
    db = openDatabase('sqlite::memory:');
    await migrateToLatest(db);
    clock = new TestClock();
    store = new DatabaseCounterStore(db, clock);
  });

  afterEach(async () => {
    await db.destroy();
  });

  it('reads a key never incremented as zero', async () => {
    await expect(store.get('missing')).resolves.toMatchObject({ value: 0 });
  });

  it('counts up, with a window that starts at the first hit and is not extended by later ones', async () => {
    const start = clock.nowMs();

    await expect(store.increment('k', 60)).resolves.toEqual({ value: 1, expiresAt: start + 60_000 });
    clock.advance(10);
    await expect(store.increment('k', 60)).resolves.toEqual({ value: 2, expiresAt: start + 60_000 });
    clock.advance(10);
    await expect(store.increment('k', 60)).resolves.toEqual({ value: 3, expiresAt: start + 60_000 });

    await expect(store.get('k')).resolves.toEqual({ value: 3, expiresAt: start + 60_000 });
  });

  it('keeps the count until the window ends, then reads zero', async () => {
    await store.increment('k', 60);
    await store.increment('k', 60);

    clock.advance(59);
    await expect(store.get('k')).resolves.toMatchObject({ value: 2 });

    clock.advance(1);
    await expect(store.get('k')).resolves.toMatchObject({ value: 0 });
  });

  it('starts again at 1, with a new window, once the window has ended', async () => {
    await store.increment('k', 60);
    await store.increment('k', 60);
    await store.increment('k', 60);

    clock.advance(60);
    await expect(store.increment('k', 60)).resolves.toEqual({ value: 1, expiresAt: clock.nowMs() + 60_000 });
    await expect(store.increment('k', 60)).resolves.toMatchObject({ value: 2 });
  });

  it('counts separate keys independently', async () => {
    await store.increment('a', 60);
    await store.increment('a', 60);
    await store.increment('b', 600);

    await expect(store.get('a')).resolves.toMatchObject({ value: 2 });
    await expect(store.get('b')).resolves.toMatchObject({ value: 1 });

    // The end of one key's window leaves the other running.
    clock.advance(60);
    await expect(store.get('a')).resolves.toMatchObject({ value: 0 });
    await expect(store.get('b')).resolves.toMatchObject({ value: 1 });
  });
});
