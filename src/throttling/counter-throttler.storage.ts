import { Injectable } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { Clock } from '../common/clock';
import { CounterStore, secondsUntil } from '../database/counter-store';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * The throttler's storage on the shared CounterStore (the database or Redis), so every instance
 * counts a client in the same budget. A request is a unit claimed with `take` before it runs: a
 * burst of concurrent requests gets exactly `limit` through, never more.
 */
@Injectable()
export class CounterThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly counters: CounterStore,
    private readonly clock: Clock,
  ) {}

  /**
   * `ttl` in milliseconds (the throttler's unit); the times returned are in seconds. A spent budget
   * blocks until its window ends, so `blockDuration` is the window.
   */
  async increment(key: string, ttl: number, limit: number, _blockDuration: number, _throttlerName: string): Promise<ThrottlerStorageRecord> {
    const claim = await this.counters.take(key, limit, Math.max(1, Math.ceil(ttl / 1000)));
    const timeToExpire = secondsUntil(claim.expiresAt, this.clock.nowMs());
    return {
      totalHits: claim.granted ? claim.value : limit + 1,
      timeToExpire,
      isBlocked: !claim.granted,
      timeToBlockExpire: claim.granted ? 0 : timeToExpire,
    };
  }
}
