import { Inject, Injectable } from '@nestjs/common';
import { MysqlAdapter } from 'kysely';
import { randomUUID } from 'node:crypto';
import { DB, Db, supportsReturning } from '../database/connection';
import { PreparedQuery } from '../database/prepared-query';
import { OtpChallengeRow } from '../database/schema';
import { isUniqueViolation } from '../common/infrastructure-errors';

/**
 * What a code is for, and so where it goes: a phone login by SMS, or an email that confirms an
 * address or resets a password. Codes of one channel never work for another.
 */
export type OtpChannel = 'sms' | 'email-verify' | 'email-reset';

export type AttemptClaim =
  | { outcome: 'claimed' | 'expired'; challenge: OtpChallengeRow }
  | { outcome: 'none_pending' | 'used_up' };

@Injectable()
export class OtpRepository {
  constructor(@Inject(DB) private readonly db: Db) {}

  /**
   * Takes one try of the destination's pending code, before it is compared, so that concurrent
   * guesses cannot exceed `maxAttempts`; says why when there is nothing to compare.
   */
  async claimAttempt(channel: OtpChannel, destination: string, maxAttempts: number, now: number): Promise<AttemptClaim> {
    if (supportsReturning(this.db)) {
      // The claim and the read in one statement.
      const claimed = await claimLiveAttempt.first(this.db, { channel, destination, maxAttempts, now });
      if (claimed) return { outcome: 'claimed', challenge: claimed };
    }
    const pending = await this.db
      .selectFrom('otp_challenges')
      .selectAll()
      .where('channel', '=', channel)
      .where('destination', '=', destination)
      .executeTakeFirst();
    if (!pending) return { outcome: 'none_pending' };
    if (Number(pending.expires_at) <= now) return { outcome: 'expired', challenge: pending };
    const result = await this.db
      .updateTable('otp_challenges')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', pending.id)
      .where('attempts', '<', maxAttempts)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return { outcome: 'used_up' };
    return { outcome: 'claimed', challenge: { ...pending, attempts: Number(pending.attempts) + 1 } };
  }

  /**
   * Stores a new challenge in place of any earlier one for the destination, in one upsert: a
   * delete-then-insert would take gap locks on MySQL/MariaDB, and concurrent requests for other
   * destinations would deadlock on them.
   */
  async replace(challenge: Omit<OtpChallengeRow, 'id' | 'attempts'>): Promise<string> {
    const id = randomUUID();
    await upsertChallenge.affected(this.db, { ...challenge, id });
    return id;
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
    return (await deleteChallenge.affected(this.db, { id })) === 1;
  }

  /** Deletes codes that expired before `now` (used codes are deleted when used); returns how many. */
  async deleteExpired(now: number): Promise<number> {
    const result = await this.db.deleteFrom('otp_challenges').where('expires_at', '<', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

// The statements of every login, prepared once (see PreparedQuery).

const claimLiveAttempt = new PreparedQuery((runner, v: { channel: OtpChannel; destination: string; maxAttempts: number; now: number }) =>
  runner
    .updateTable('otp_challenges')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('channel', '=', v.channel)
    .where('destination', '=', v.destination)
    .where('attempts', '<', v.maxAttempts)
    .where('expires_at', '>', v.now)
    .returningAll(),
);

const upsertChallenge = new PreparedQuery((runner, v: Omit<OtpChallengeRow, 'attempts'>) => {
  const fresh = { id: v.id, code_hash: v.code_hash, attempts: 0, created_at: v.created_at, expires_at: v.expires_at };
  const insert = runner.insertInto('otp_challenges').values({ ...fresh, channel: v.channel, destination: v.destination });
  return runner.getExecutor().adapter instanceof MysqlAdapter
    ? insert.onDuplicateKeyUpdate(fresh)
    : insert.onConflict((conflict) => conflict.columns(['channel', 'destination']).doUpdateSet(fresh));
});

const deleteChallenge = new PreparedQuery((runner, v: { id: string }) => runner.deleteFrom('otp_challenges').where('id', '=', v.id));
