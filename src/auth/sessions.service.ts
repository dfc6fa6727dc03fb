import { Injectable, Logger, Optional } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail';
import { createHash } from 'node:crypto';
import { Clock } from '../common/clock';
import { InvalidTokenError, NotFoundError } from '../common/errors';
import { isDisabled } from './account-disabled';
import { SessionRow, UserRow } from '../database/schema';
import { MesiboTokenService } from '../mesibo/mesibo-token.service';
import { UsersService } from '../users/users.service';
import { Executor, IdentityKey } from '../users/users.repository';
import { EndedSession, ListedSession, SessionsRepository, SessionsToEnd } from './sessions.repository';
import { SessionTokenCipher } from './sessions.token-cipher';

/** Why sessions ended: the outcome of their `sessions.ended` audit event. */
export type SessionEndReason =
  | 'logout'
  | 'logout-everywhere'
  | 'password-changed'
  | 'password-reset'
  | 'email-confirmed'
  | 'method-removed'
  | 'account-disabled'
  | 'ended-by-admin'
  // The user ended one of their sessions, or all but the current one, from the list of their devices.
  | 'logout-device'
  | 'logout-others'
  | 'account-deleted';

export interface AuthenticatedSession {
  user: UserRow;
  session: SessionRow;
}

export interface NewSession {
  userId: string;
  /** The login method that opened it. */
  identity: IdentityKey;
  /** The mesibo user token the login hands out. */
  token: string;
  appid: string;
  device?: string;
  now: number;
  expiresAt: number;
}

/** A session's last use is written at most this often, so a busy client does not write on every request. */
export const LAST_USED_PRECISION_MS = 60_000;

/** The token itself is high-entropy, so a plain SHA-256 is a safe lookup key that reveals nothing. */
export function hashUserToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Sessions are mesibo user tokens we handed out. A token is found by its hash and kept only
 * encrypted, for one purpose: revoking it at mesibo when its session is ended.
 */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly users: UsersService,
    private readonly mesiboTokens: MesiboTokenService,
    private readonly clock: Clock,
    private readonly cipher: SessionTokenCipher,
    @Optional() private readonly audit?: AuditTrail,
  ) {}

  /** Writes the session of a completed login, inside the caller's transaction. */
  async record(session: NewSession, executor: Executor): Promise<void> {
    const tokenHash = hashUserToken(session.token);
    await this.sessions.insert(
      {
        user_id: session.userId,
        token_hash: tokenHash,
        token_ciphertext: this.cipher.seal(session.token, tokenHash),
        app_id: session.appid,
        device: session.device ?? null,
        created_at: session.now,
        expires_at: session.expiresAt,
        // The login itself proved the account.
        proven_at: session.now,
        login_method: session.identity.method,
        login_subject: session.identity.subject,
      },
      executor,
    );
  }

  /** The live session and user a bearer token belongs to; InvalidTokenError otherwise. */
  async authenticate(token: string): Promise<AuthenticatedSession> {
    const session = await this.sessions.findLiveByTokenHash(hashUserToken(token), this.clock.nowMs());
    const user = session ? await this.users.findById(session.user_id) : undefined;
    // A disabled user's sessions were ended; one that slipped past that opens nothing either.
    if (!session || !user || isDisabled(user)) throw new InvalidTokenError();
    await this.recordUse(session);
    return { user, session };
  }

  /** Updates `last_used_at` once it is a minute old; the row read just now tells, so most requests write nothing. */
  private async recordUse(session: SessionRow): Promise<void> {
    const now = this.clock.nowMs();
    const staleBefore = now - LAST_USED_PRECISION_MS;
    if (Number(session.last_used_at ?? session.created_at) >= staleBefore) return;
    await this.sessions.markUsed(session.id, now, staleBefore);
    session.last_used_at = now;
  }

  /** The user's live sessions, the most recently used first. */
  listLive(userId: string): Promise<ListedSession[]> {
    return this.sessions.listLive(userId, this.clock.nowMs());
  }

  /**
   * Ends one live session of the user and revokes its token at mesibo. NotFoundError for an id
   * that is not a live session of this user, whoever's it is.
   */
  async endOne(userId: string, sessionId: string, reason: SessionEndReason = 'logout-device'): Promise<void> {
    if ((await this.endLive({ userId, sessionId }, reason)) === 0) throw new NotFoundError('The session');
  }

  /**
   * Revokes at mesibo the tokens of sessions already ended here (their rows may be gone with their
   * user: account deletion). Best effort, like every revocation.
   */
  async revokeEnded(user: Pick<UserRow, 'mesibo_uid' | 'address'>, ended: EndedSession[]): Promise<void> {
    await Promise.all(ended.map((session) => this.revokeAtMesibo(user, session)));
  }

  /** Records that the account was proven again in this session (a password or a code). */
  async markProven(sessionId: string): Promise<number> {
    const now = this.clock.nowMs();
    if (!(await this.sessions.markProven(sessionId, now))) throw new InvalidTokenError();
    return now;
  }

  /**
   * Ends all of a user's sessions but `exceptSessionId` (the caller's own, or none), and revokes
   * each one's token at mesibo (best effort). Returns how many ended. Sessions from before tokens
   * were kept encrypted cannot be revoked at mesibo; they stop opening this API at once and lapse
   * at mesibo when they expire.
   */
  endAllForUser(userId: string, reason: SessionEndReason, exceptSessionId?: string): Promise<number> {
    return this.endLive({ userId, exceptSessionId }, reason);
  }

  /** Ends the sessions a login method opened (it was removed), but the caller's; as endAllForUser. */
  endOpenedWith(userId: string, identity: IdentityKey, exceptSessionId?: string): Promise<number> {
    return this.endLive({ userId, openedWith: identity, exceptSessionId }, 'method-removed');
  }

  private async endLive(which: SessionsToEnd, reason: SessionEndReason): Promise<number> {
    const ended = await this.sessions.revokeLive(which, this.clock.nowMs());
    if (ended.length === 0) return 0;
    await this.audit?.record({ type: 'sessions.ended', userId: which.userId, outcome: reason });
    const user = await this.users.findById(which.userId);
    if (user) await Promise.all(ended.map((session) => this.revokeAtMesibo(user, session)));
    return ended.length;
  }

  /**
   * Ends the session of `token` if it is live, then asks mesibo to drop the token (best effort).
   * Unknown, expired and already-ended tokens are not an error: logging out is idempotent.
   */
  async end(token: string): Promise<boolean> {
    const session = await this.sessions.revokeByTokenHash(hashUserToken(token), this.clock.nowMs());
    if (!session) return false;
    await this.audit?.record({ type: 'sessions.ended', userId: session.user_id, outcome: 'logout', appId: session.app_id });
    const user = await this.users.findById(session.user_id);
    if (user) {
      await this.mesiboTokens.revokeUserToken({ uid: user.mesibo_uid, address: user.address, token, appid: session.app_id });
    }
    return true;
  }

  private async revokeAtMesibo(user: Pick<UserRow, 'mesibo_uid' | 'address'>, session: EndedSession): Promise<void> {
    const token = session.token_ciphertext === null ? undefined : this.cipher.open(session.token_ciphertext, session.token_hash);
    if (token === undefined) {
      // Never the token or its hash: the session id is enough to find the row.
      this.logger.warn(`Session ${session.id} ended here; its mesibo token was not kept (or the key changed) and stays valid at mesibo until it expires`);
      return;
    }
    await this.mesiboTokens.revokeUserToken({ uid: user.mesibo_uid, address: user.address, token, appid: session.app_id });
  }
}
