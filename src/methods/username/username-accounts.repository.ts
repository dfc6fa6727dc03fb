import { Inject, Injectable } from '@nestjs/common';
import { isUniqueViolation } from '../../common/infrastructure-errors';
import { DB, Db } from '../../database/connection';
import { UsernameAccountRow } from '../../database/schema';

@Injectable()
export class UsernameAccountsRepository {
  constructor(@Inject(DB) private readonly db: Db) {}

  findByUsername(username: string): Promise<UsernameAccountRow | undefined> {
    return this.db.selectFrom('username_accounts').selectAll().where('username', '=', username).executeTakeFirst();
  }

  /** False when the username is taken (also by a creation a moment ago). */
  async insert(row: UsernameAccountRow): Promise<boolean> {
    try {
      await this.db.insertInto('username_accounts').values(row).execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async setPasswordHash(username: string, passwordHash: string, now: number): Promise<void> {
    await this.db.updateTable('username_accounts').set({ password_hash: passwordHash, updated_at: now }).where('username', '=', username).execute();
  }
}
