import { Inject, Injectable } from '@nestjs/common';
import { isUniqueViolation } from '../../common/infrastructure-errors';
import { DB, Db } from '../../database/connection';
import { EmailAccountRow } from '../../database/schema';

@Injectable()
export class EmailAccountsRepository {
  constructor(@Inject(DB) private readonly db: Db) {}

  findByEmail(email: string): Promise<EmailAccountRow | undefined> {
    return this.db.selectFrom('email_accounts').selectAll().where('email', '=', email).executeTakeFirst();
  }

  /**
   * Creates an account waiting for its code, or replaces the password hash and name of one still
   * waiting; a confirmed account is never changed. Two registrations at once both succeed.
   */
  async savePending(email: string, passwordHash: string, displayName: string | null, now: number): Promise<void> {
    const existing = await this.findByEmail(email);
    if (existing && existing.verified_at !== null) return;
    if (!existing && (await this.tryInsert({ email, password_hash: passwordHash, display_name: displayName, verified_at: null, created_at: now, updated_at: now }))) {
      return;
    }
    await this.db
      .updateTable('email_accounts')
      .set({ password_hash: passwordHash, display_name: displayName, updated_at: now })
      .where('email', '=', email)
      .where('verified_at', 'is', null)
      .execute();
  }

  /**
   * After the address was proven by a code: sets the password, marks the address confirmed (keeping
   * the first confirmation time) and, when given, the name; creates the account if there is none.
   * Returns whether the address was confirmed before.
   */
  async confirmWithPassword(email: string, passwordHash: string, displayName: string | undefined, now: number): Promise<boolean> {
    const existing = await this.findByEmail(email);
    if (!existing) {
      const created = await this.tryInsert({
        email,
        password_hash: passwordHash,
        display_name: displayName ?? null,
        verified_at: now,
        created_at: now,
        updated_at: now,
      });
      if (created) return false;
    }
    await this.db
      .updateTable('email_accounts')
      .set((eb) => ({
        password_hash: passwordHash,
        verified_at: eb.fn.coalesce('verified_at', eb.val(now)),
        updated_at: now,
        ...(displayName !== undefined ? { display_name: displayName } : {}),
      }))
      .where('email', '=', email)
      .execute();
    return existing !== undefined && existing.verified_at !== null;
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

  /** False when another request created the account between our read and this insert. */
  private async tryInsert(row: EmailAccountRow): Promise<boolean> {
    try {
      await this.db.insertInto('email_accounts').values(row).execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Deletes registrations whose code never came back, made before `before`; returns how many. */
  async deleteUnconfirmedBefore(before: number): Promise<number> {
    const result = await this.db.deleteFrom('email_accounts').where('verified_at', 'is', null).where('created_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
