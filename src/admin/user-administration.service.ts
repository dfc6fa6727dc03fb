import { Inject, Injectable } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail';
import { SessionsService } from '../auth/sessions.service';
import { Clock } from '../common/clock';
import { NotFoundError } from '../common/errors';
import { DB, Db } from '../database/connection';
import { UserRow } from '../database/schema';
import { AdminActor } from './admin-actor';
import { UserDirectory } from './user-directory';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What operators do to a user: disable and enable, end every session. Each change is one
 * `admin.*` event of the audit trail naming who made it. The state lives in the database, so every
 * instance acts on it with its next request: a disabled user's token is refused everywhere at once.
 */
@Injectable()
export class UserAdministration {
  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly directory: UserDirectory,
    private readonly sessions: SessionsService,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  /** A user by id, or (the command line) by its mesibo address as a login would spell it; NotFoundError otherwise. */
  async find(idOrAddress: string): Promise<UserRow> {
    const user = UUID.test(idOrAddress) ? await this.directory.findById(idOrAddress.toLowerCase()) : await this.directory.findByAddress(idOrAddress);
    if (!user) throw new NotFoundError('The user');
    return user;
  }

  /**
   * Refuses the user's logins from now on, ends every session and revokes its tokens at mesibo.
   * Disabling a disabled user changes nothing but ends any session again.
   */
  async disable(userId: string, actor: AdminActor): Promise<UserRow> {
    const target = await this.find(userId);
    const now = this.clock.nowMs();
    // First the flag, then the sessions: a login finishing meanwhile sees the flag after writing its session (AuthService).
    await this.db.updateTable('users').set({ disabled_at: now, updated_at: now }).where('id', '=', target.id).where('disabled_at', 'is', null).execute();
    const user = await this.find(target.id);
    await this.sessions.endAllForUser(user.id, 'account-disabled');
    await this.audit.record({ type: 'admin.user-disabled', userId: user.id, method: actor });
    return user;
  }

  async enable(userId: string, actor: AdminActor): Promise<UserRow> {
    const target = await this.find(userId);
    const now = this.clock.nowMs();
    await this.db.updateTable('users').set({ disabled_at: null, updated_at: now }).where('id', '=', target.id).where('disabled_at', 'is not', null).execute();
    const user = await this.find(target.id);
    await this.audit.record({ type: 'admin.user-enabled', userId: user.id, method: actor });
    return user;
  }

  /** Ends every session of the user and revokes its tokens at mesibo; returns how many ended. */
  async endSessions(userId: string, actor: AdminActor): Promise<number> {
    const user = await this.find(userId);
    const ended = await this.sessions.endAllForUser(user.id, 'ended-by-admin');
    await this.audit.record({ type: 'admin.sessions-ended', userId: user.id, method: actor, outcome: String(ended) });
    return ended;
  }
}
