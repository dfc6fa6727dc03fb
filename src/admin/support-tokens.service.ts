import { Inject, Injectable } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail';
import { isDisabled } from '../auth/account-disabled';
import { SessionsService } from '../auth/sessions.service';
import { Clock } from '../common/clock';
import { AccountDisabledError } from '../common/errors';
import { DB, Db } from '../database/connection';
import { UserRow } from '../database/schema';
import { MesiboTokenService } from '../mesibo/mesibo-token.service';
import { AdminActor } from './admin-actor';
import { UserDirectory } from './user-directory';

/** The login method a support session is recorded with: what the user's list of devices shows. */
export const SUPPORT_LOGIN_METHOD = 'admin';

export interface SupportToken {
  userId: string;
  address: string;
  token: string;
  expiresAt: Date;
}

/**
 * A mesibo token for an existing user, made by an operator for support. It is not a login (no
 * identity was proven, no user is created, no login hook or event runs), but it takes the token
 * path of one: minted by MesiboTokenService, recorded by SessionsService as a session opened with
 * the method `admin` (its subject names the operator), so the user sees it among their devices and
 * it ends, and is revoked at mesibo, like any other session.
 */
@Injectable()
export class SupportTokens {
  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly directory: UserDirectory,
    private readonly mesiboTokens: MesiboTokenService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  /** A disabled user gets none (AccountDisabledError). */
  async issue(user: UserRow, appid: string, actor: AdminActor): Promise<SupportToken> {
    if (isDisabled(user)) throw new AccountDisabledError();
    const issued = await this.mesiboTokens.issueUserToken({ address: user.address, appid, name: user.display_name ?? undefined });
    const now = this.clock.nowMs();
    await this.sessions.record(
      { userId: user.id, identity: { method: SUPPORT_LOGIN_METHOD, subject: actor }, token: issued.token, appid, device: 'support', now, expiresAt: issued.expiresAt.getTime() },
      this.db,
    );
    // As for a login: a disable that happened meanwhile may have missed this session.
    if (isDisabled(await this.directory.findById(user.id))) {
      await this.sessions.end(issued.token);
      throw new AccountDisabledError();
    }
    await this.audit.record({ type: 'admin.token-issued', userId: user.id, method: actor, appId: appid });
    return { userId: user.id, address: user.address, token: issued.token, expiresAt: issued.expiresAt };
  }
}
