import { Inject, Injectable } from '@nestjs/common';
import { Selectable } from 'kysely';
import { DB, Db } from '../database/connection';
import { QueryRunner } from '../database/prepared-query';
import { WebhookOutboxTable } from '../database/schema';

export type OutboxRow = Selectable<WebhookOutboxTable>;

/** The rows of `webhook_outbox` (migration 0010). */
@Injectable()
export class WebhookOutboxRepository {
  constructor(@Inject(DB) private readonly db: Db) {}

  /** Adds a pending event, due at once; inside the caller's transaction when given one. */
  async add(event: { id: string; type: string; payload: string; now: number }, executor: QueryRunner = this.db): Promise<void> {
    await executor
      .insertInto('webhook_outbox')
      .values({
        id: event.id,
        type: event.type,
        payload: event.payload,
        status: 'pending',
        attempts: 0,
        created_at: event.now,
        next_attempt_at: event.now,
        finished_at: null,
        last_error: null,
      })
      .execute();
  }

  /** Pending rows due by `now`, oldest due first. */
  due(now: number, limit: number): Promise<OutboxRow[]> {
    return this.db
      .selectFrom('webhook_outbox')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
  }

  /**
   * Takes a due row for one attempt, until `leaseUntil`: true for exactly one of the workers that
   * try at the same time (the row must still be due as they saw it). A worker that dies mid-attempt
   * leaves the row to be taken again when the lease ends.
   */
  async claim(row: OutboxRow, leaseUntil: number): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_outbox')
      .set({ next_attempt_at: leaseUntil })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', row.next_attempt_at)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async markDelivered(id: string, attempts: number, now: number): Promise<void> {
    await this.db.updateTable('webhook_outbox').set({ status: 'delivered', attempts, finished_at: now, last_error: null }).where('id', '=', id).execute();
  }

  /** A failed attempt: due again at `nextAttemptAt`, or, without one, given up (`dead`). */
  async markFailed(id: string, attempts: number, error: string, now: number, nextAttemptAt: number | undefined): Promise<void> {
    const lastError = error.slice(0, 255);
    await this.db
      .updateTable('webhook_outbox')
      .set(
        nextAttemptAt === undefined
          ? { status: 'dead', attempts, finished_at: now, last_error: lastError }
          : { attempts, next_attempt_at: nextAttemptAt, last_error: lastError },
      )
      .where('id', '=', id)
      .execute();
  }

  /** Deletes delivered and dead rows finished before `before`; returns how many. */
  async deleteFinishedBefore(before: number): Promise<number> {
    const result = await this.db.deleteFrom('webhook_outbox').where('finished_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  get(id: string): Promise<OutboxRow | undefined> {
    return this.db.selectFrom('webhook_outbox').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(): Promise<OutboxRow[]> {
    return this.db.selectFrom('webhook_outbox').selectAll().orderBy('created_at').orderBy('id').execute();
  }
}
