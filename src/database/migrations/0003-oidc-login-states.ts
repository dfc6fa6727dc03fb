import { Kysely } from 'kysely';

/**
 * Web logins through an OpenID Connect / OAuth2 provider that have been started and not yet
 * finished: what the callback needs to check the provider's answer. In the database rather than
 * in memory or a cookie, so any instance can finish a login another one started.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oidc_login_states')
    .addColumn('state', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('provider', 'varchar(64)', (col) => col.notNull())
    .addColumn('code_verifier', 'varchar(128)', (col) => col.notNull())
    .addColumn('nonce', 'varchar(64)', (col) => col.notNull())
    .addColumn('app_id', 'varchar(255)', (col) => col.notNull())
    .addColumn('return_to', 'varchar(2048)')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('oidc_login_states_expires_at_index').on('oidc_login_states').column('expires_at').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oidc_login_states').execute();
}
