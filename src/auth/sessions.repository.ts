import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DB, Db } from '../database/connection';
import { PreparedQuery } from '../database/prepared-query';
import { SessionRow } from '../database/schema';
import { Executor, IdentityKey } from '../users/users.repository';

type OptionalColumns = 'token_ciphertext' | 'proven_at' | 'login_method' | 'login_subject' | 'last_used_at';

/** A session as a login writes it; what came with account security is optional (null). */
export type NewSessionRecord = Omit<SessionRow, 'id' | 'revoked_at' | OptionalColumns> & Partial<Pick<SessionRow, OptionalColumns>>;

/** Which live sessions of a user to end. */
export interface SessionsToEnd {
  userId: string;
  /** The caller's own session, kept. */
  exceptSessionId?: string;
  /** Only those opened with this login method. */
  openedWith?: IdentityKey;
  /** Only this one. */
  sessionId?: string;
}

/** A live session as the user's list of devices shows it. */
export type ListedSession = Pick<SessionRow, 'id' | 'device' | 'app_id' | 'created_at' | 'last_used_at' | 'expires_at' | 'login_method'>;

/** What revoking an ended session's token at mesibo needs. */
export type EndedSession = Pick<SessionRow, 'id' | 'token_hash' | 'token_ciphertext' | 'app_id'>;

@Injectable()
export class SessionsRepository {
  constructor(@Inject(DB) private readonly db: Db) {}

  async insert(session: NewSessionRecord, executor: Executor): Promise<void> {
    await insertSession.affected(executor, {
      ...session,
      id: randomUUID(),
      revoked_at: null,
      token_ciphertext: session.token_ciphertext ?? null,
      proven_at: session.proven_at ?? session.created_at,
      login_method: session.login_method ?? null,
      login_subject: session.login_subject ?? null,
      last_used_at: session.last_used_at ?? session.created_at,
    });
  }

  findLiveByTokenHash(tokenHash: string, now: number): Promise<SessionRow | undefined> {
    return liveSessionByTokenHash.first(this.db, { tokenHash, now });
  }

  /** The user's live sessions, the most recently used first. */
  listLive(userId: string, now: number): Promise<ListedSession[]> {
    return this.db
      .selectFrom('sessions')
      .select(['id', 'device', 'app_id', 'created_at', 'last_used_at', 'expires_at', 'login_method'])
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('last_used_at', 'desc')
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
  }

  /**
   * Records a use of a live session unless one was recorded since `staleBefore`. The condition
   * is in the statement, so instances that see the same token at once write it once.
   */
  async markUsed(sessionId: string, now: number, staleBefore: number): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ last_used_at: now })
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('last_used_at', '<', staleBefore), eb('last_used_at', 'is', null)]))
      .execute();
  }

  /** Records a new proof of the account in a live session; false when the session is gone. */
  async markProven(sessionId: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('sessions')
      .set({ proven_at: now })
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Ends live sessions of a user, and returns them with their sealed tokens, which are dropped
   * from the rows: an ended session keeps nothing that could open mesibo.
   */
  async revokeLive(which: SessionsToEnd, now: number): Promise<EndedSession[]> {
    let live = this.db
      .selectFrom('sessions')
      .select(['id', 'token_hash', 'token_ciphertext', 'app_id'])
      .where('user_id', '=', which.userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now);
    if (which.exceptSessionId) live = live.where('id', '!=', which.exceptSessionId);
    if (which.sessionId) live = live.where('id', '=', which.sessionId);
    if (which.openedWith) {
      live = live.where('login_method', '=', which.openedWith.method).where('login_subject', '=', which.openedWith.subject);
    }
    const sessions = await live.execute();
    if (sessions.length === 0) return [];
    const ended = await this.db
      .updateTable('sessions')
      .set({ revoked_at: now, token_ciphertext: null })
      .where(
        'id',
        'in',
        sessions.map((session) => session.id),
      )
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    // Another request ended them meanwhile: it revokes them at mesibo, and says so.
    if (Number(ended.numUpdatedRows) === 0) return [];
    return sessions;
  }

  /** Marks a live session revoked; returns it, or undefined when there was none to end. */
  async revokeByTokenHash(tokenHash: string, now: number): Promise<SessionRow | undefined> {
    const session = await this.findLiveByTokenHash(tokenHash, now);
    if (!session) return undefined;
    const result = await this.db
      .updateTable('sessions')
      .set({ revoked_at: now, token_ciphertext: null })
      .where('id', '=', session.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? session : undefined;
  }

  /** Deletes sessions that expired or ended before `before`; returns how many. */
  async deleteEndedBefore(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

// The statements of every login and every authenticated request, prepared once (see PreparedQuery).

const insertSession = new PreparedQuery((runner, v: SessionRow) =>
  runner.insertInto('sessions').values({
    id: v.id,
    user_id: v.user_id,
    token_hash: v.token_hash,
    token_ciphertext: v.token_ciphertext,
    app_id: v.app_id,
    device: v.device,
    created_at: v.created_at,
    expires_at: v.expires_at,
    revoked_at: v.revoked_at,
    proven_at: v.proven_at,
    login_method: v.login_method,
    login_subject: v.login_subject,
    last_used_at: v.last_used_at,
  }),
);

const liveSessionByTokenHash = new PreparedQuery((runner, v: { tokenHash: string; now: number }) =>
  runner.selectFrom('sessions').selectAll().where('token_hash', '=', v.tokenHash).where('revoked_at', 'is', null).where('expires_at', '>', v.now),
);
