import { Kysely, sql } from 'kysely';

/**
 * What the list of a user's devices and account deletion need:
 * - `sessions.last_used_at`: when the session's token last opened this API, written at most once a
 *   minute per session (see SessionsService.authenticate). Sessions from before start at their creation.
 * - `pending_mesibo_deletions`: deleted accounts whose mesibo user is still to be deleted, written
 *   with the deletion and removed once mesibo confirmed it; the clean-up retries what mesibo could
 *   not take at the time. A row keeps only what the mesibo call needs.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('last_used_at', 'bigint').execute();
  await db
    .updateTable('sessions')
    .set({ last_used_at: sql`created_at` })
    .execute();

  // No collation of its own: on MySQL/MariaDB the table takes the database's exact (binary) default.
  await db.schema
    .createTable('pending_mesibo_deletions')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    // No foreign key: the user row is gone by the time mesibo is asked.
    .addColumn('mesibo_uid', 'varchar(64)')
    .addColumn('address', 'varchar(255)', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    // Not tried again before this time; taking a row moves it on, so one attempt runs at a time.
    .addColumn('next_attempt_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('pending_mesibo_deletions_next').on('pending_mesibo_deletions').column('next_attempt_at').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('pending_mesibo_deletions').execute();
  await db.schema.alterTable('sessions').dropColumn('last_used_at').execute();
}
