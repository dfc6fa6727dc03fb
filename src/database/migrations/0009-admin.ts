import { Kysely } from 'kysely';

/**
 * The admin API:
 * - `admin_keys`: the keys operators call it with, each stored only as a SHA-256 of the key. A key
 *   is 256 random bits, so a plain hash is enough: nobody can guess a key from its hash, and a
 *   slow password hash would only slow every admin request. Looking a key up by its hash is also
 *   what keeps the comparison out of timing reach: no byte of the key is compared by our code.
 * - `users.disabled_at`: set while an operator has disabled the user (no login, no token works).
 * - an index on `users.created_at`, which the admin API lists and pages users by.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // No collation of its own: on MySQL/MariaDB the table takes the database's exact (binary) default.
  await db.schema
    .createTable('admin_keys')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('name', 'varchar(64)', (col) => col.notNull().unique())
    .addColumn('key_hash', 'varchar(64)', (col) => col.notNull().unique())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.alterTable('users').addColumn('disabled_at', 'bigint').execute();
  await db.schema.createIndex('users_created_at').on('users').columns(['created_at', 'id']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('users_created_at').on('users').execute();
  await db.schema.alterTable('users').dropColumn('disabled_at').execute();
  await db.schema.dropTable('admin_keys').execute();
}
