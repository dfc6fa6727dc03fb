import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Clock } from '../common/clock';
import { InvalidTokenError } from '../common/errors';
import { SessionRow, UserRow } from '../database/schema';
import { MesiboTokenService } from '../mesibo/mesibo-token.service';
import { UsersService } from '../users/users.service';
import { SessionsRepository } from './sessions.repository';

export interface AuthenticatedSession {
  user: UserRow;
  session: SessionRow;
}

/** The token itself is high-entropy, so a plain SHA-256 is a safe lookup key that reveals nothing. */
export function hashUserToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Sessions are mesibo user tokens we handed out; we keep only their hashes. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly users: UsersService,
    private readonly mesiboTokens: MesiboTokenService,
    private readonly clock: Clock,
  ) {}

  /** The live session and user a bearer token belongs to; InvalidTokenError otherwise. */
  async authenticate(token: string): Promise<AuthenticatedSession> {
    const session = await this.sessions.findLiveByTokenHash(hashUserToken(token), this.clock.nowMs());
    const user = session ? await this.users.findById(session.user_id) : undefined;
    if (!session || !user) throw new InvalidTokenError();
    return { user, session };
  }

  /**
   * Ends all of a user's sessions here, but `exceptSessionId` (the caller's own). Only hashes of
   * their tokens are kept, so the tokens themselves cannot be revoked at mesibo; they stop opening
   * this API at once and lapse at mesibo when they expire.
   */
  endAllForUser(userId: string, exceptSessionId?: string): Promise<number> {
    return this.sessions.revokeAllForUser(userId, this.clock.nowMs(), exceptSessionId);
  }

  /**
   * Ends the session of `token` if it is live, then asks mesibo to drop the token (best effort).
   * Unknown, expired and already-ended tokens are not an error: logging out is idempotent.
   */
  async end(token: string): Promise<boolean> {
    const session = await this.sessions.revokeByTokenHash(hashUserToken(token), this.clock.nowMs());
    if (!session) return false;
    const user = await this.users.findById(session.user_id);
    if (user) {
      await this.mesiboTokens.revokeUserToken({ uid: user.mesibo_uid, address: user.address, token, appid: session.app_id });
    }
    return true;
  }
}
