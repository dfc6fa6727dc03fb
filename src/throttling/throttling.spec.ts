import { ExecutionContext } from '@nestjs/common';
import { FakeClock } from '../../test/support/fake-clock';
import { Db, migrateToLatest, openDatabase } from '../database/connection';
import { DatabaseCounterStore } from '../database/counter-store';
import { AuthController } from '../auth/auth.controller';
import { EmailAuthController } from '../auth/email/email-auth.controller';
import { IdentitiesController } from '../auth/identities.controller';
import { MeController } from '../auth/me.controller';
import { HealthController } from '../health/health.controller';
import { LegacyController } from '../legacy/legacy.controller';
import { OidcAuthController } from '../oidc/oidc-auth.controller';
import { OidcLinkController } from '../oidc/oidc-link.controller';
import { CounterThrottlerStorage } from './counter-throttler.storage';
import { isUnauthenticatedRoute } from './unauthenticated-throttler.guard';

describe('CounterThrottlerStorage', () => {
  let db: Db;
  let clock: FakeClock;
  let storage: CounterThrottlerStorage;

  beforeEach(async () => {
    db = openDatabase('sqlite::memory:');
    await migrateToLatest(db);
    clock = new FakeClock();
    storage = new CounterThrottlerStorage(new DatabaseCounterStore(db, clock), clock);
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('lets `limit` hits through per window, then blocks until the window ends, in seconds', async () => {
    expect(await storage.increment('k', 60_000, 2, 60_000, 'default')).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    clock.advance(10);
    expect(await storage.increment('k', 60_000, 2, 60_000, 'default')).toEqual({ totalHits: 2, timeToExpire: 50, isBlocked: false, timeToBlockExpire: 0 });
    clock.advance(5);
    expect(await storage.increment('k', 60_000, 2, 60_000, 'default')).toEqual({ totalHits: 3, timeToExpire: 45, isBlocked: true, timeToBlockExpire: 45 });
    // Another key has its own budget.
    expect((await storage.increment('other', 60_000, 2, 60_000, 'default')).isBlocked).toBe(false);

    clock.advance(45);
    expect(await storage.increment('k', 60_000, 2, 60_000, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('never lets more than `limit` of a concurrent burst through', async () => {
    const records = await Promise.all(Array.from({ length: 100 }, () => storage.increment('burst', 60_000, 7, 60_000, 'default')));
    expect(records.filter((record) => !record.isBlocked)).toHaveLength(7);
  });
});

describe('isUnauthenticatedRoute', () => {
  const routeOf = (controller: new (...args: never[]) => unknown) => ({ getClass: () => controller }) as unknown as ExecutionContext;

  it.each([AuthController, EmailAuthController, OidcAuthController, LegacyController])('counts %p', (controller) => {
    expect(isUnauthenticatedRoute(routeOf(controller))).toBe(true);
  });

  it.each([HealthController, MeController, IdentitiesController, OidcLinkController])('leaves %p alone', (controller) => {
    expect(isUnauthenticatedRoute(routeOf(controller))).toBe(false);
  });
});
