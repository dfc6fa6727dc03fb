import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { errorMessage } from '../common/errors';
import { DB, Db } from '../database/connection';
import { AuditEventRow } from '../database/schema';

/**
 * `limit.hit` records a refusal by a limit: its kind is the outcome (`…-lockout` when an account's
 * own budget is spent). `identity.*` name the login method; `password.*` are of the email login;
 * `sessions.ended` has why as its outcome (SessionEndReason).
 */
export type AuditEventType =
  | 'login.succeeded'
  | 'login.failed'
  | 'code.requested'
  | 'limit.hit'
  | 'identity.linked'
  | 'identity.removed'
  | 'password.changed'
  | 'password.reset'
  | 'sessions.ended'
  | 'test-number.used'
  | 'webhook.given-up'
  | 'account.deleted'
  | AdminAuditEventType;

/** What operators did (admin API, CLI); `method` names who: `admin-key:<name>` or `cli`. */
export type AdminAuditEventType =
  | 'admin.key-created'
  | 'admin.key-revoked'
  | 'admin.user-disabled'
  | 'admin.user-enabled'
  | 'admin.user-deleted'
  | 'admin.sessions-ended'
  | 'admin.username-created'
  | 'admin.token-issued';

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

/** Events are written in batches: at most this many rows, or this long after the first. */
const BATCH_ROWS = 100;
const BATCH_DELAY_MS = 50;

/**
 * The audit trail (`audit_events`): services record what happened; operators read it (the CLI's
 * `audit:list`, later the admin API). Recording never fails or slows the request it describes:
 * rows are written in batches (one statement for up to BATCH_ROWS rows, within BATCH_DELAY_MS),
 * which on SQLite costs one commit instead of one per event; a batch that cannot be written is a
 * warning in the log. On shutdown the last batch is written; a crash loses at most the last 50 ms.
 */
@Injectable()
export class AuditTrail implements BeforeApplicationShutdown {
  private readonly logger = new Logger('AuditTrail');
  private pending: AuditEventRow[] = [];
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Queues the event; resolves at once. */
  record(event: AuditEvent): Promise<void> {
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
    this.pending.push(row);
    if (this.pending.length >= BATCH_ROWS) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), BATCH_DELAY_MS);
    return Promise.resolve();
  }

  /** Writes what is queued; resolves once every event recorded before the call is written (or given up). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) {
      this.writing = this.writing.then(() =>
        this.db
          .insertInto('audit_events')
          .values(batch)
          .execute()
          .then(
            () => undefined,
            (error: unknown) => this.logger.warn(`Could not record ${batch.length} audit event(s): ${errorMessage(error)}`),
          ),
      );
    }
    return this.writing;
  }

  /** Before any module closes (the database among them), the last batch is written. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  /** Newest first; what was recorded before the call is included. */
  async list(query: AuditQuery = {}): Promise<AuditEventRow[]> {
    await this.flush();
    let select = this.db.selectFrom('audit_events').selectAll();
    if (query.userId !== undefined) select = select.where('user_id', '=', query.userId);
    if (query.type !== undefined) select = select.where('type', '=', query.type);
    if (query.since !== undefined) select = select.where('occurred_at', '>=', query.since);
    return await select
      .orderBy('occurred_at', 'desc')
      .orderBy('id')
      .limit(Math.min(Math.max(query.limit ?? 100, 1), 1000))
      .execute();
  }

  /** Deletes events older than `before` (the retention); returns how many. */
  async deleteBefore(before: number): Promise<number> {
    await this.flush();
    const result = await this.db.deleteFrom('audit_events').where('occurred_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function cut(value: string | undefined, length: number): string | null {
  if (value === undefined || value === '') return null;
  // Never half of a surrogate pair: the database could not store it.
  return value.length <= length ? value : value.slice(0, length).replace(/[\uD800-\uDBFF]$/, '');
}
