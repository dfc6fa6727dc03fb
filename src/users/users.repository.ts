import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DB, Db } from '../database/connection';
import { IdentityRow, UserRow } from '../database/schema';

/** Where a write happens: the database or a transaction of the caller. */
export type Executor = Pick<Db, 'selectFrom' | 'insertInto' | 'updateTable' | 'deleteFrom'>;

export interface NewIdentity {
  method: string;
  subject: string;
  verified: boolean;
}

@Injectable()
export class UsersRepository {
  constructor(@Inject(DB) private readonly db: Db) {}

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByAddress(address: string, executor: Executor = this.db): Promise<UserRow | undefined> {
    return executor.selectFrom('users').selectAll().where('address', '=', address).executeTakeFirst();
  }

  findByIdentity(method: string, subject: string, executor: Executor = this.db): Promise<UserRow | undefined> {
    return executor
      .selectFrom('users')
      .innerJoin('identities', 'identities.user_id', 'users.id')
      .selectAll('users')
      .where('identities.method', '=', method)
      .where('identities.subject', '=', subject)
      .executeTakeFirst();
  }

  listIdentities(userId: string): Promise<IdentityRow[]> {
    return this.db
      .selectFrom('identities')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
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
    };
    await executor.insertInto('users').values(row).execute();
    return row;
  }

  async insertIdentity(userId: string, identity: NewIdentity, now: number, executor: Executor): Promise<void> {
    await executor
      .insertInto('identities')
      .values({
        id: randomUUID(),
        user_id: userId,
        method: identity.method,
        subject: identity.subject,
        verified: identity.verified ? 1 : 0,
        created_at: now,
        last_login_at: now,
      })
      .execute();
  }

  async recordLogin(userId: string, identity: NewIdentity, mesiboUid: string, now: number, executor: Executor): Promise<void> {
    await executor
      .updateTable('identities')
      .set({ last_login_at: now })
      .where('method', '=', identity.method)
      .where('subject', '=', identity.subject)
      .execute();
    await executor.updateTable('users').set({ mesibo_uid: mesiboUid, updated_at: now }).where('id', '=', userId).execute();
  }
}
