import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { createHash } from 'node:crypto';
import { Clock } from '../common/clock';
import { isUniqueViolation } from '../common/infrastructure-errors';
import { DB, Db, supportsReturning } from './connection';
import { PreparedQuery } from './prepared-query';

/**
 * Short-lived counters that every instance of the service must agree on (wrong-try budgets,
 * send limits). Each counter lives for a fixed window that starts with its first hit.
 *
 * Limits are enforced with `take`: a unit is claimed in one atomic step before the work it guards
 * (a code compared, an SMS sent, a password checked), so no number of concurrent requests or
 * instances can get past the limit; `refund` gives the unit back when the work turned out not to
 * count (a right code, an undelivered SMS).
 */
export abstract class CounterStore {
  /** Adds one and returns the new value and when the window ends. */
  abstract increment(key: string, windowSeconds: number): Promise<CounterValue>;
  /**
   * Adds one only while the value is below `max`, atomically. `granted` says whether the unit was
   * taken; `value` and `expiresAt` describe the counter afterwards (for Retry-After).
   */
  abstract take(key: string, max: number, windowSeconds: number): Promise<BudgetClaim>;
  /**
   * Gives back one unit of each key, taken in the current window; never below zero, a no-op once
   * it ended. A counter back at zero is forgotten, window and all.
   */
  abstract refund(...keys: string[]): Promise<void>;
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

export interface BudgetClaim extends CounterValue {
  granted: boolean;
}

/** Whole seconds until a counter's window ends (at least one): the Retry-After of a refusal. */
export function secondsUntil(expiresAt: number, nowMs: number): number {
  return Math.max(1, Math.ceil((expiresAt - nowMs) / 1000));
}

/** The `counters.key` column holds 255 characters. */
const MAX_COLUMN_KEY = 255;

/**
 * The key as stored in the `counters` table: as given while it fits, else its start and a SHA-256
 * of the whole. Keys hold identifiers as long as their fields allow (a 254-character email and an
 * IPv6 client in one key), and a key the column cannot hold must still count, not fail.
 */
export function columnKey(key: string): string {
  if (key.length <= MAX_COLUMN_KEY) return key;
  // Never half of a surrogate pair: the database could not encode it.
  const head = key.slice(0, 160).replace(/[\uD800-\uDBFF]$/, '');
  return `${head}#${createHash('sha256').update(key, 'utf8').digest('base64url')}`;
}

/** Counters in the `counters` table; race-safe across processes sharing the database. */
@Injectable()
export class DatabaseCounterStore extends CounterStore {
  /** SQLite and PostgreSQL claim in one upsert that returns the row (see supportsReturning). */
  private readonly upserts: boolean;

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly clock: Clock,
  ) {
    super();
    this.upserts = supportsReturning(db);
  }

  async increment(anyKey: string, windowSeconds: number): Promise<CounterValue> {
    const key = columnKey(anyKey);
    if (this.upserts) {
      const counted = await this.upsert(key, windowSeconds);
      if (!counted) throw new Error('counter increment returned no row');
      return counted;
    }
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

  async take(anyKey: string, max: number, windowSeconds: number): Promise<BudgetClaim> {
    const key = columnKey(anyKey);
    if (max < 1) return { granted: false, value: 0, expiresAt: this.clock.nowMs() + windowSeconds * 1000 };
    if (!this.upserts) return this.takeStepwise(key, max, windowSeconds);
    const claimed = await this.upsert(key, windowSeconds, max);
    if (claimed) return { granted: true, ...claimed };
    // Refused: the row was live and spent when the upsert locked it. Read when its window ends.
    const spent = await this.get(key);
    return { granted: false, value: spent.value, expiresAt: spent.value > 0 ? spent.expiresAt : this.clock.nowMs() + 1000 };
  }

  /**
   * One statement, so the database serializes concurrent claims on the row: a new counter is
   * inserted, an ended window restarts, a live one counts up, and with `max` only while below it.
   * Returns the counter afterwards, or undefined when `max` refused (no row was written).
   */
  private async upsert(key: string, windowSeconds: number, max?: number): Promise<CounterValue | undefined> {
    const now = this.clock.nowMs();
    const values = { key, now, expiresAt: now + windowSeconds * 1000, max };
    const row = max === undefined ? await countUp.first(this.db, values) : await claimUnit.first(this.db, values);
    return row && { value: Number(row.value), expiresAt: Number(row.expires_at) };
  }

  /**
   * MySQL/MariaDB: each step is one conditional statement, so the database serializes concurrent
   * claims on the row: the guarded UPDATE re-checks `value < max` on the latest row version.
   */
  private async takeStepwise(key: string, max: number, windowSeconds: number): Promise<BudgetClaim> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = this.clock.nowMs();
      const claimed = await this.db
        .updateTable('counters')
        .set((eb) => ({ value: eb('value', '+', 1) }))
        .where('key', '=', key)
        .where('expires_at', '>', now)
        .where('value', '<', max)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 1) return { granted: true, ...(await this.get(key)) };

      const current = await this.db.selectFrom('counters').select(['value', 'expires_at']).where('key', '=', key).executeTakeFirst();
      if (current && Number(current.expires_at) > now) {
        // Live and spent (or spent between our two statements: the next loop decides).
        if (Number(current.value) >= max) return { granted: false, value: Number(current.value), expiresAt: Number(current.expires_at) };
        continue;
      }
      const expiresAt = now + windowSeconds * 1000;
      if (current) {
        // An ended window: restart it, unless another request restarted it first.
        const restarted = await this.db
          .updateTable('counters')
          .set({ value: 1, expires_at: expiresAt })
          .where('key', '=', key)
          .where('expires_at', '<=', now)
          .executeTakeFirst();
        if (Number(restarted.numUpdatedRows) === 1) return { granted: true, value: 1, expiresAt };
        continue;
      }
      try {
        await this.db.insertInto('counters').values({ key, value: 1, expires_at: expiresAt }).execute();
        return { granted: true, value: 1, expiresAt };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    throw new Error('counter claim did not settle');
  }

  /** Two statements for any number of keys. */
  async refund(...anyKeys: string[]): Promise<void> {
    if (anyKeys.length === 0) return;
    const keys = anyKeys.map(columnKey);
    const { giveBack, forgetEmpty } = refundsOf(keys.length);
    const values = { ...keys, now: this.clock.nowMs() };
    await giveBack.affected(this.db, values);
    // Back at zero, the window is forgotten too: its end would tell when someone last tried.
    await forgetEmpty.affected(this.db, values);
  }

  /** Deletes counters whose window has ended (per-client and one-use keys pile up otherwise). */
  async purgeExpired(): Promise<number> {
    const result = await this.db.deleteFrom('counters').where('expires_at', '<=', this.clock.nowMs()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async reset(anyKey: string): Promise<void> {
    await this.db.deleteFrom('counters').where('key', '=', columnKey(anyKey)).execute();
  }

  async get(anyKey: string): Promise<CounterValue> {
    const row = await liveCounter.first(this.db, { key: columnKey(anyKey), now: this.clock.nowMs() });
    return row ? { value: Number(row.value), expiresAt: Number(row.expires_at) } : { value: 0, expiresAt: 0 };
  }
}

// The statements of every login, prepared once (see PreparedQuery).

interface UpsertValues {
  key: string;
  now: number;
  expiresAt: number;
  max?: number;
}

/**
 * One statement, so the database serializes concurrent claims on the row: a new counter is
 * inserted, an ended window restarts, a live one counts up, and with `max` only while below it.
 * Returns the counter afterwards, or no row when `max` refused (nothing was written).
 */
function upsertCounter(withMax: boolean): PreparedQuery<UpsertValues, { value: number; expires_at: number }> {
  return new PreparedQuery((runner, v: UpsertValues) => {
    const ended = sql<boolean>`counters.expires_at <= ${v.now}`;
    return {
      compile: () =>
        sql<{ value: number; expires_at: number }>`
          insert into counters (${sql.ref('key')}, value, expires_at) values (${v.key}, 1, ${v.expiresAt})
          on conflict (${sql.ref('key')}) do update set
            value = case when ${ended} then 1 else counters.value + 1 end,
            expires_at = case when ${ended} then excluded.expires_at else counters.expires_at end
          ${withMax ? sql`where ${ended} or counters.value < ${v.max}` : sql``}
          returning value, expires_at`.compile(runner),
    };
  });
}
const countUp = upsertCounter(false);
const claimUnit = upsertCounter(true);

const liveCounter = new PreparedQuery((runner, v: { key: string; now: number }) =>
  runner.selectFrom('counters').select(['value', 'expires_at']).where('key', '=', v.key).where('expires_at', '>', v.now),
);

type RefundValues = Record<number, string> & { now: number };
const refundsByCount = new Map<number, { giveBack: PreparedQuery<RefundValues, unknown>; forgetEmpty: PreparedQuery<RefundValues, unknown> }>();

/** The refund statements for `count` keys (values 0 … count-1). */
function refundsOf(count: number): { giveBack: PreparedQuery<RefundValues, unknown>; forgetEmpty: PreparedQuery<RefundValues, unknown> } {
  let refunds = refundsByCount.get(count);
  if (!refunds) {
    const keysOf = (v: RefundValues): string[] => Array.from({ length: count }, (_, i) => v[i]);
    refunds = {
      giveBack: new PreparedQuery((runner, v: RefundValues) =>
        runner
          .updateTable('counters')
          .set((eb) => ({ value: eb('value', '-', 1) }))
          .where('key', 'in', keysOf(v))
          .where('value', '>', 0)
          .where('expires_at', '>', v.now),
      ),
      forgetEmpty: new PreparedQuery((runner, v: RefundValues) => runner.deleteFrom('counters').where('key', 'in', keysOf(v)).where('value', '<=', 0)),
    };
    refundsByCount.set(count, refunds);
  }
  return refunds;
}
