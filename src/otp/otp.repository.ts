import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DB, Db } from '../database/connection';
import { OtpChallengeRow } from '../database/schema';

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

  /** Stores a new challenge in place of any earlier one for the destination. */
  async replace(challenge: Omit<OtpChallengeRow, 'id' | 'attempts'>): Promise<string> {
    const id = randomUUID();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('otp_challenges')
        .where('channel', '=', challenge.channel)
        .where('destination', '=', challenge.destination)
        .execute();
      await trx
        .insertInto('otp_challenges')
        .values({ ...challenge, id, attempts: 0 })
        .execute();
    });
    return id;
  }

  /**
   * Counts a wrong try, unless the budget is already spent. Returns false when another request
   * used the last try first, so concurrent guesses cannot exceed the limit.
   */
  async recordWrongAttempt(id: string, maxAttempts: number): Promise<boolean> {
    const result = await this.db
      .updateTable('otp_challenges')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .where('attempts', '<', maxAttempts)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Deletes the challenge; false when it was already gone (used by a concurrent request). */
  async consume(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('otp_challenges').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
