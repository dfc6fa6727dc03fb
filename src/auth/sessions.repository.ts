import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DB, Db } from '../database/connection';
import { SessionRow } from '../database/schema';
import { Executor } from '../users/users.repository';

@Injectable()
export class SessionsRepository {
  constructor(@Inject(DB) private readonly db: Db) {}

  async insert(session: Omit<SessionRow, 'id' | 'revoked_at'>, executor: Executor): Promise<void> {
    await executor
      .insertInto('sessions')
      .values({ ...session, id: randomUUID(), revoked_at: null })
      .execute();
  }

  findLiveByTokenHash(tokenHash: string, now: number): Promise<SessionRow | undefined> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  }

  /** Ends every live session of a user but one (or all); returns how many ended. */
  async revokeAllForUser(userId: string, now: number, exceptSessionId?: string): Promise<number> {
    let query = this.db
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now);
    if (exceptSessionId) query = query.where('id', '!=', exceptSessionId);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Marks a live session revoked; returns it, or undefined when there was none to end. */
  async revokeByTokenHash(tokenHash: string, now: number): Promise<SessionRow | undefined> {
    const session = await this.findLiveByTokenHash(tokenHash, now);
    if (!session) return undefined;
    const result = await this.db
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('id', '=', session.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? session : undefined;
  }
}
