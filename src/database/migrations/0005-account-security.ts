import { Kysely } from 'kysely';

/**
 * What account recovery and removed login methods need:
 * - `sessions.token_ciphertext`: the session's mesibo token, encrypted (AES-256-GCM), so that
 *   ending the session can also revoke the token at mesibo. Null for sessions from before, and
 *   once the session ended.
 * - `sessions.proven_at`: when the account was last proven in this session (the login, or a
 *   later password or code); null reads as the session's creation.
 * - `sessions.login_method`, `login_subject`: the login method that opened the session, so that
 *   removing the method ends the sessions it opened.
 * - `removed_identities`: login methods an owner removed, so that a later login with one of them
 *   is never attached to that owner's account again through its mesibo address.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('token_ciphertext', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('proven_at', 'bigint').execute();
  await db.schema.alterTable('sessions').addColumn('login_method', 'varchar(64)').execute();
  await db.schema.alterTable('sessions').addColumn('login_subject', 'varchar(255)').execute();

  // No collation of its own: on MySQL/MariaDB the table takes the database's exact (binary) default.
  await db.schema
    .createTable('removed_identities')
    .addColumn('user_id', 'varchar(36)', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('method', 'varchar(64)', (col) => col.notNull())
    .addColumn('subject', 'varchar(255)', (col) => col.notNull())
    .addColumn('removed_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('removed_identities_pk', ['user_id', 'method', 'subject'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('removed_identities').execute();
  await db.schema.alterTable('sessions').dropColumn('login_subject').execute();
  await db.schema.alterTable('sessions').dropColumn('login_method').execute();
  await db.schema.alterTable('sessions').dropColumn('proven_at').execute();
  await db.schema.alterTable('sessions').dropColumn('token_ciphertext').execute();
}
