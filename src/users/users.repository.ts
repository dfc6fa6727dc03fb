import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DB, Db } from '../database/connection';
import { PreparedQuery, QueryRunner } from '../database/prepared-query';
import { IdentityRow, UserRow } from '../database/schema';

/** Where a write happens: the database or a transaction of the caller. */
export type Executor = QueryRunner;

export interface IdentityKey {
  method: string;
  subject: string;
}

export interface NewIdentity extends IdentityKey {
  verified: boolean;
}

/** One-time code channels that go to a method's subject (see OtpChannel). */
const PENDING_CODE_CHANNELS: Record<string, string[] | undefined> = {
  phone: ['sms'],
  email: ['email-verify', 'email-reset'],
};

@Injectable()
export class UsersRepository {
  constructor(@Inject(DB) private readonly db: Db) {}

  findById(id: string): Promise<UserRow | undefined> {
    return userById.first(this.db, { id });
  }

  findByAddress(address: string, executor: Executor = this.db): Promise<UserRow | undefined> {
    return userByAddress.first(executor, { address });
  }

  findByIdentity(method: string, subject: string, executor: Executor = this.db): Promise<UserRow | undefined> {
    return userByIdentity.first(executor, { method, subject });
  }

  findIdentity(method: string, subject: string): Promise<IdentityRow | undefined> {
    return this.db
      .selectFrom('identities')
      .selectAll()
      .where('method', '=', method)
      .where('subject', '=', subject)
      .executeTakeFirst();
  }

  /**
   * Deletes an identity of the user unless it is the user's last, with every credential kept for
   * it (an email login's password, pending codes to its address), and remembers that the owner
   * removed it. All in one transaction.
   */
  async deleteIdentityUnlessLast(userId: string, identityId: string, now: number): Promise<IdentityKey | 'last' | 'missing'> {
    return this.db.transaction().execute(async (trx) => {
      // Writing the user row first serializes concurrent removals for this user on every engine,
      // so two of them cannot each see two identities and leave none.
      await trx.updateTable('users').set({ updated_at: now }).where('id', '=', userId).execute();
      const owned = await trx.selectFrom('identities').select(['id', 'method', 'subject']).where('user_id', '=', userId).execute();
      const identity = owned.find((row) => row.id === identityId);
      if (!identity) return 'missing';
      if (owned.length <= 1) return 'last';
      await trx.deleteFrom('identities').where('id', '=', identityId).execute();
      await this.deleteCredentials(identity, trx);
      await this.clearRemoval(userId, identity, trx);
      await trx.insertInto('removed_identities').values({ user_id: userId, method: identity.method, subject: identity.subject, removed_at: now }).execute();
      return { method: identity.method, subject: identity.subject };
    });
  }

  /** Whether the user removed this login method from their account (and has not linked it again). */
  async wasRemovedBy(userId: string, identity: IdentityKey, executor: Executor = this.db): Promise<boolean> {
    const row = await executor
      .selectFrom('removed_identities')
      .select('user_id')
      .where('user_id', '=', userId)
      .where('method', '=', identity.method)
      .where('subject', '=', identity.subject)
      .executeTakeFirst();
    return row !== undefined;
  }

  async clearRemoval(userId: string, identity: IdentityKey, executor: Executor = this.db): Promise<void> {
    await executor
      .deleteFrom('removed_identities')
      .where('user_id', '=', userId)
      .where('method', '=', identity.method)
      .where('subject', '=', identity.subject)
      .execute();
  }

  /** What else proves this identity, so that removing it leaves nothing that still logs in with it. */
  private async deleteCredentials(identity: IdentityKey, executor: Executor): Promise<void> {
    if (identity.method === 'email') {
      await executor.deleteFrom('email_accounts').where('email', '=', identity.subject).execute();
    }
    const channels = PENDING_CODE_CHANNELS[identity.method];
    if (channels) {
      await executor.deleteFrom('otp_challenges').where('channel', 'in', channels).where('destination', '=', identity.subject).execute();
    }
  }

  listIdentities(userId: string): Promise<IdentityRow[]> {
    return this.db
      .selectFrom('identities')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('method')
      .orderBy('subject')
      .execute();
  }

  async insertUser(
    user: { address: string; displayName?: string; mesiboUid: string; now: number },
    executor: Executor,
  ): Promise<UserRow> {
    const row: UserRow = {
      id: randomUUID(),
      address: user.address,
      display_name: user.displayName ?? null,
      mesibo_uid: user.mesiboUid,
      created_at: user.now,
      updated_at: user.now,
      disabled_at: null,
    };
    await insertUser.affected(executor, row);
    return row;
  }

  async insertIdentity(userId: string, identity: NewIdentity, now: number, executor: Executor = this.db): Promise<void> {
    await insertIdentity.affected(executor, {
      id: randomUUID(),
      user_id: userId,
      method: identity.method,
      subject: identity.subject,
      verified: identity.verified ? 1 : 0,
      created_at: now,
      last_login_at: now,
    });
  }

  /**
   * Records a login of the user's identity; false when the identity is no longer the user's
   * (removed meanwhile), and nothing was written.
   */
  async recordLogin(user: UserRow, identity: NewIdentity, mesiboUid: string, now: number, executor: Executor): Promise<boolean> {
    const updated = await recordIdentityLogin.affected(executor, { method: identity.method, subject: identity.subject, userId: user.id, now });
    if (updated !== 1) return false;
    // mesibo keeps a user's uid; write the row only when it did change, which keeps logins light.
    if (user.mesibo_uid !== mesiboUid) {
      await executor.updateTable('users').set({ mesibo_uid: mesiboUid, updated_at: now }).where('id', '=', user.id).execute();
    }
    return true;
  }
}

// The statements of every login, prepared once (see PreparedQuery).

// Also read by every bearer-token request and after every login (the disabled check).
const userById = new PreparedQuery((runner, v: { id: string }) => runner.selectFrom('users').selectAll().where('id', '=', v.id));
const userByAddress = new PreparedQuery((runner, v: { address: string }) => runner.selectFrom('users').selectAll().where('address', '=', v.address));

const userByIdentity = new PreparedQuery((runner, v: IdentityKey) =>
  runner
    .selectFrom('users')
    .innerJoin('identities', 'identities.user_id', 'users.id')
    .selectAll('users')
    .where('identities.method', '=', v.method)
    .where('identities.subject', '=', v.subject),
);

const insertUser = new PreparedQuery((runner, v: UserRow) =>
  runner.insertInto('users').values({
    id: v.id,
    address: v.address,
    display_name: v.display_name,
    mesibo_uid: v.mesibo_uid,
    created_at: v.created_at,
    updated_at: v.updated_at,
  }),
);

const insertIdentity = new PreparedQuery((runner, v: IdentityRow) =>
  runner.insertInto('identities').values({
    id: v.id,
    user_id: v.user_id,
    method: v.method,
    subject: v.subject,
    verified: v.verified,
    created_at: v.created_at,
    last_login_at: v.last_login_at,
  }),
);

const recordIdentityLogin = new PreparedQuery((runner, v: IdentityKey & { userId: string; now: number }) =>
  runner
    .updateTable('identities')
    .set({ last_login_at: v.now })
    .where('method', '=', v.method)
    .where('subject', '=', v.subject)
    .where('user_id', '=', v.userId),
);
