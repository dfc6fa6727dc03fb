import { Kysely } from 'kysely';

// Types are kept to what SQLite, PostgreSQL and MySQL/MariaDB all understand the same way:
// varchar keys (MySQL cannot index unbounded text), bigint epoch milliseconds, integer flags.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('address', 'varchar(255)', (col) => col.notNull().unique())
    .addColumn('display_name', 'varchar(255)')
    .addColumn('mesibo_uid', 'varchar(64)')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('identities')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('user_id', 'varchar(36)', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('method', 'varchar(64)', (col) => col.notNull())
    .addColumn('subject', 'varchar(255)', (col) => col.notNull())
    .addColumn('verified', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('last_login_at', 'bigint', (col) => col.notNull())
    .addUniqueConstraint('identities_method_subject_unique', ['method', 'subject'])
    .execute();
  await db.schema.createIndex('identities_user_id_index').on('identities').column('user_id').execute();

  await db.schema
    .createTable('otp_challenges')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('channel', 'varchar(16)', (col) => col.notNull())
    .addColumn('destination', 'varchar(255)', (col) => col.notNull())
    .addColumn('code_hash', 'varchar(64)', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    // One pending code per destination: a new code replaces the old one.
    .addUniqueConstraint('otp_challenges_channel_destination_unique', ['channel', 'destination'])
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('user_id', 'varchar(36)', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'varchar(64)', (col) => col.notNull().unique())
    .addColumn('app_id', 'varchar(255)', (col) => col.notNull())
    .addColumn('device', 'varchar(255)')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('sessions_user_id_index').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('counters')
    .addColumn('key', 'varchar(255)', (col) => col.primaryKey())
    .addColumn('value', 'integer', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['counters', 'sessions', 'otp_challenges', 'identities', 'users']) {
    await db.schema.dropTable(table).execute();
  }
}
