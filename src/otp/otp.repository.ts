import { Inject, Injectable } from '@nestjs/common';
import { MysqlAdapter } from 'kysely';
import { randomUUID } from 'node:crypto';
import { DB, Db } from '../database/connection';
import { OtpChallengeRow } from '../database/schema';
import { isUniqueViolation } from '../common/infrastructure-errors';

/**
 * What a code is for, and so where it goes: a phone login by SMS, or an email that confirms an
 * address or resets a password. Codes of one channel never work for another.
 */
export type OtpChannel = 'sms' | 'email-verify' | 'email-reset';

@Injectable()
export class OtpRepository {
  constructor(@Inject(DB) private readonly db: Db) {}

  findPending(channel: OtpChannel, destination: string): Promise<OtpChallengeRow | undefined> {
    return this.db
      .selectFrom('otp_challenges')
      .selectAll()
      .where('channel', '=', channel)
      .where('destination', '=', destination)
      .executeTakeFirst();
  }

  /**
   * Stores a new challenge in place of any earlier one for the destination, in one upsert: a
   * delete-then-insert would take gap locks on MySQL/MariaDB, and concurrent requests for other
   * destinations would deadlock on them.
   */
  async replace(challenge: Omit<OtpChallengeRow, 'id' | 'attempts'>): Promise<string> {
    const id = randomUUID();
    const row = { ...challenge, id, attempts: 0 };
    const fresh = { id, code_hash: row.code_hash, attempts: 0, created_at: row.created_at, expires_at: row.expires_at };
    const insert = this.db.insertInto('otp_challenges').values(row);
    await (this.db.getExecutor().adapter instanceof MysqlAdapter
      ? insert.onDuplicateKeyUpdate(fresh)
      : insert.onConflict((conflict) => conflict.columns(['channel', 'destination']).doUpdateSet(fresh))
    ).execute();
    return id;
  }

  /**
   * Takes one of the code's tries, before the code is compared; false when they are all taken,
   * so concurrent guesses cannot exceed the limit.
   */
  async claimAttempt(id: string, maxAttempts: number): Promise<boolean> {
    const result = await this.db
      .updateTable('otp_challenges')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .where('attempts', '<', maxAttempts)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Puts back a challenge that was used up by a login that then failed on our side (mesibo or the
   * database), so the user can retry with the same code. A newer code for the destination wins.
   */
  async restore(challenge: OtpChallengeRow): Promise<void> {
    try {
      await this.db.insertInto('otp_challenges').values(challenge).execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }

  /** Deletes the challenge; false when it was already gone (used by a concurrent request). */
  async consume(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('otp_challenges').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
