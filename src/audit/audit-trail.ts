import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { errorMessage } from '../common/errors';
import { DB, Db } from '../database/connection';
import { AuditEventRow } from '../database/schema';

/** `limit.hit` records a refusal by a limit: its kind is the outcome (`…-lockout` when an account's own budget is spent). */
export type AuditEventType = 'login.succeeded' | 'login.failed' | 'code.requested' | 'limit.hit';

export interface AuditEvent {
  type: AuditEventType;
  method?: string;
  outcome?: string;
  userId?: string;
  client?: string;
  appId?: string;
  device?: string;
}

export interface AuditQuery {
  userId?: string;
  type?: string;
  /** Epoch ms; events at or after it. */
  since?: number;
  /** Newest first; at most 1000. */
  limit?: number;
}

/** Values longer than their columns are cut: the trail records, it never refuses. */
const LIMITS = { method: 64, outcome: 64, user_id: 36, client: 64, app_id: 255, device: 255 } as const;

/**
 * The audit trail (`audit_events`): services record what happened; operators read it (the CLI's
 * `audit:list`, later the admin API). Recording never fails the request it describes: a row that
 * cannot be written is a warning in the log.
 */
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger('AuditTrail');

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async record(event: AuditEvent): Promise<void> {
    const row: AuditEventRow = {
      id: randomUUID(),
      occurred_at: this.clock.nowMs(),
      type: event.type,
      method: cut(event.method, LIMITS.method),
      outcome: cut(event.outcome, LIMITS.outcome),
      user_id: cut(event.userId, LIMITS.user_id),
      client: cut(event.client, LIMITS.client),
      app_id: cut(event.appId, LIMITS.app_id),
      device: cut(event.device, LIMITS.device),
    };
    try {
      await this.db.insertInto('audit_events').values(row).execute();
    } catch (error) {
      this.logger.warn(`Could not record a ${event.type} event: ${errorMessage(error)}`);
    }
  }

  list(query: AuditQuery = {}): Promise<AuditEventRow[]> {
    let select = this.db.selectFrom('audit_events').selectAll();
    if (query.userId !== undefined) select = select.where('user_id', '=', query.userId);
    if (query.type !== undefined) select = select.where('type', '=', query.type);
    if (query.since !== undefined) select = select.where('occurred_at', '>=', query.since);
    return select
      .orderBy('occurred_at', 'desc')
      .orderBy('id')
      .limit(Math.min(Math.max(query.limit ?? 100, 1), 1000))
      .execute();
  }

  /** Deletes events older than `before` (the retention); returns how many. */
  async deleteBefore(before: number): Promise<number> {
    const result = await this.db.deleteFrom('audit_events').where('occurred_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function cut(value: string | undefined, length: number): string | null {
  if (value === undefined || value === '') return null;
  // Never half of a surrogate pair: the database could not store it.
  return value.length <= length ? value : value.slice(0, length).replace(/[\uD800-\uDBFF]$/, '');
}
