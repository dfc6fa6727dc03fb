import { Kysely } from 'kysely';

/** Email and password accounts: the credential, and whether the address was confirmed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('email_accounts')
    .addColumn('email', 'varchar(255)', (col) => col.primaryKey())
    // argon2id PHC string: parameters, salt and hash.
    .addColumn('password_hash', 'varchar(255)', (col) => col.notNull())
    .addColumn('display_name', 'varchar(255)')
    .addColumn('verified_at', 'bigint')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('email_accounts').execute();
}
