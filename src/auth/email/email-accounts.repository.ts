import { Inject, Injectable } from '@nestjs/common';
import { DB, Db } from '../../database/connection';
import { EmailAccountRow } from '../../database/schema';

@Injectable()
export class EmailAccountsRepository {
  constructor(@Inject(DB) private readonly db: Db) {}

  findByEmail(email: string): Promise<EmailAccountRow | undefined> {
    return this.db.selectFrom('email_accounts').selectAll().where('email', '=', email).executeTakeFirst();
  }

  /** Creates the account, or replaces the password and name of one never confirmed. */
  async savePending(email: string, passwordHash: string, displayName: string | null, now: number): Promise<void> {
    const existing = await this.findByEmail(email);
    if (existing) {
      await this.db
        .updateTable('email_accounts')
        .set({ password_hash: passwordHash, display_name: displayName, updated_at: now })
        .where('email', '=', email)
        .where('verified_at', 'is', null)
        .execute();
      return;
    }
    await this.db
      .insertInto('email_accounts')
      .values({ email, password_hash: passwordHash, display_name: displayName, verified_at: null, created_at: now, updated_at: now })
      .execute();
  }

  async markVerified(email: string, now: number): Promise<void> {
    await this.db
      .updateTable('email_accounts')
      .set({ verified_at: now, updated_at: now })
      .where('email', '=', email)
      .where('verified_at', 'is', null)
      .execute();
  }

  /** Replaces the password; `confirm` also marks the address confirmed (a reset code proved it). */
  async setPassword(email: string, passwordHash: string, now: number, confirm = false): Promise<void> {
    await this.db
      .updateTable('email_accounts')
      .set((eb) => ({
        password_hash: passwordHash,
        updated_at: now,
        ...(confirm ? { verified_at: eb.fn.coalesce('verified_at', eb.val(now)) } : {}),
      }))
      .where('email', '=', email)
      .execute();
  }
}
