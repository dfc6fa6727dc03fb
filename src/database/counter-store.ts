import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { isUniqueViolation } from '../common/infrastructure-errors';
import { DB, Db } from './connection';

/**
 * Short-lived counters that every instance of the service must agree on (wrong-try budgets,
 * send limits). Each counter lives for a fixed window that starts with its first hit.
 */
export abstract class CounterStore {
  /** Adds one and returns the new value and when the window ends. */
  abstract increment(key: string, windowSeconds: number): Promise<CounterValue>;
  /** The current value, zero once the window has ended. */
  abstract get(key: string): Promise<CounterValue>;
  /** Forgets the counter. */
  abstract reset(key: string): Promise<void>;
}

export interface CounterValue {
  value: number;
  /** Epoch ms at which the counter resets; meaningless when value is 0. */
  expiresAt: number;
}

/** Counters in the `counters` table; race-safe across processes sharing the database. */
@Injectable()
export class DatabaseCounterStore extends CounterStore {
  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly clock: Clock,
  ) {
    super();
  }

  async increment(key: string, windowSeconds: number): Promise<CounterValue> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.clock.nowMs();
      const updated = await this.db
        .updateTable('counters')
        .set((eb) => ({ value: eb('value', '+', 1) }))
        .where('key', '=', key)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) {
        // No live counter: replace an expired one. Another instance may win the insert, then we retry the update.
        await this.db.deleteFrom('counters').where('key', '=', key).where('expires_at', '<=', now).execute();
        try {
          await this.db
            .insertInto('counters')
            .values({ key, value: 1, expires_at: now + windowSeconds * 1000 })
            .execute();
        } catch (error) {
          if (attempt < 2 && isUniqueViolation(error)) continue;
          throw error;
        }
      }
      return this.get(key);
    }
    throw new Error('counter increment did not settle');
  }

  async reset(key: string): Promise<void> {
    await this.db.deleteFrom('counters').where('key', '=', key).execute();
  }

  async get(key: string): Promise<CounterValue> {
    const row = await this.db
      .selectFrom('counters')
      .select(['value', 'expires_at'])
      .where('key', '=', key)
      .where('expires_at', '>', this.clock.nowMs())
      .executeTakeFirst();
    return row ? { value: Number(row.value), expiresAt: Number(row.expires_at) } : { value: 0, expiresAt: 0 };
  }
}

