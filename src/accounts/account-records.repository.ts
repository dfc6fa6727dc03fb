import { Injectable } from '@nestjs/common';
import { EndedSession } from '../auth/sessions.repository';
import { UserRow } from '../database/schema';
import { Executor } from '../users/users.repository';

/** What a deleted account leaves to do at mesibo: its user, and the tokens of its live sessions. */
export interface DeletedAccount {
  user: Pick<UserRow, 'id' | 'mesibo_uid' | 'address'>;
  liveSessions: EndedSession[];
}

/** One-time code channels that go to a login method's subject (see OtpChannel). */
const CODE_CHANNELS: Record<string, string[] | undefined> = {
  phone: ['sms'],
  email: ['email-verify', 'email-reset'],
};

/**
 * Every row that belongs to an account, across the tables of the modules that own them: deleting an
 * account must take all of them in one transaction, so this is the one place that knows the list.
 * Its sessions, identities and removed identities go with the user row (ON DELETE CASCADE); the
 * credentials of its login methods are keyed by their subject, and are deleted here by it.
 */
@Injectable()
export class AccountRecordsRepository {
  /**
   * Deletes the user and everything that logs in to it, inside the caller's transaction. Undefined
   * when there is no such user, or another transaction deleted it first (then nothing is written).
   */
  async deleteAccount(userId: string, now: number, trx: Executor): Promise<DeletedAccount | undefined> {
    // A write first: it takes the user's row lock (PostgreSQL, MySQL) or the write lock (SQLite, where
    // a transaction that read first cannot write after another process did) before anything is read,
    // so concurrent deletions of one user queue here and all but the first find no row.
    const claimed = await trx.updateTable('users').set({ updated_at: now }).where('id', '=', userId).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return undefined;
    const user = await trx.selectFrom('users').select(['id', 'mesibo_uid', 'address']).where('id', '=', userId).executeTakeFirstOrThrow();
    const identities = await trx.selectFrom('identities').select(['method', 'subject']).where('user_id', '=', userId).execute();
    const liveSessions = await trx
      .selectFrom('sessions')
      .select(['id', 'token_hash', 'token_ciphertext', 'app_id'])
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .execute();
    await trx.deleteFrom('users').where('id', '=', userId).execute();
    for (const identity of identities) {
      if (identity.method === 'email') await trx.deleteFrom('email_accounts').where('email', '=', identity.subject).execute();
      if (identity.method === 'username') await trx.deleteFrom('username_accounts').where('username', '=', identity.subject).execute();
      const channels = CODE_CHANNELS[identity.method];
      if (channels) {
        await trx.deleteFrom('otp_challenges').where('channel', 'in', channels).where('destination', '=', identity.subject).execute();
      }
    }
    return { user, liveSessions };
  }
}
