import { Kysely } from 'kysely';

/** Username and password accounts (the `username` login method). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // No collation of its own: on MySQL/MariaDB the table takes the database's exact (binary) default.
  await db.schema
    .createTable('username_accounts')
    .addColumn('username', 'varchar(64)', (col) => col.primaryKey())
    // argon2id PHC string: parameters, salt and hash.
    .addColumn('password_hash', 'varchar(255)', (col) => col.notNull())
    .addColumn('display_name', 'varchar(255)')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('username_accounts').execute();
}
