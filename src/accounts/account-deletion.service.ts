import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AuditTrail } from '../audit/audit-trail';
import { SessionsService } from '../auth/sessions.service';
import { Clock } from '../common/clock';
import { NotFoundError } from '../common/errors';
import { mesiboAccountsConfig } from '../config';
import { DB, Db } from '../database/connection';
import { WebhookEvents } from '../hooks/webhook-events';
import { AccountRecordsRepository } from './account-records.repository';
import { PendingMesiboDeletions } from './pending-mesibo-deletions';

/** Who asked: the user themselves (REST or op API), or an operator. The `account.deleted` event's outcome. */
export type AccountDeletionReason = 'self' | 'admin';

/**
 * Deletes an account for good: here at once, in one transaction (the user, its identities, the
 * credentials of its login methods, its sessions and pending codes), then at mesibo, best effort:
 * each live session's token is revoked and the mesibo user is deleted (MESIBO_USER_DELETE_OP).
 * When mesibo cannot be reached, the user's deletion there is kept and retried by the clean-up.
 * The audit trail keeps `account.deleted` with the user's id (a random UUID) and nothing else of theirs.
 * Its address is free again: a later login with it makes a new user.
 */
@Injectable()
export class AccountDeletion {
  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly records: AccountRecordsRepository,
    private readonly pending: PendingMesiboDeletions,
    private readonly sessions: SessionsService,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
    private readonly webhookEvents: WebhookEvents,
    @Inject(mesiboAccountsConfig.KEY) private readonly config: ConfigType<typeof mesiboAccountsConfig>,
  ) {}

  /** NotFoundError when there is no such user (never was, or another request deleted it first). */
  async deleteUser(userId: string, reason: AccountDeletionReason): Promise<void> {
    const now = this.clock.nowMs();
    const outcome = await this.db.transaction().execute(async (trx) => {
      const deleted = await this.records.deleteAccount(userId, now, trx);
      if (!deleted) return undefined;
      await this.webhookEvents.record('user.deleted', { userId, address: deleted.user.address, reason }, trx);
      const pendingId = this.config.userDeleteOp === 'none' ? undefined : await this.pending.add(deleted.user, now, trx);
      return { ...deleted, pendingId };
    });
    if (!outcome) throw new NotFoundError('The user');

    if (outcome.liveSessions.length > 0) await this.audit.record({ type: 'sessions.ended', userId, outcome: 'account-deleted' });
    await this.audit.record({ type: 'account.deleted', userId, outcome: reason });
    await this.sessions.revokeEnded(outcome.user, outcome.liveSessions);
    if (outcome.pendingId !== undefined) await this.pending.attempt(outcome.pendingId);
  }
}
