import { Kysely } from 'kysely';

/**
 * The audit trail: what happened to logins, codes and limits, when, for which user and from which
 * client. No secrets and no codes; identifiers only as the events need them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // No collation of its own: on MySQL/MariaDB the table takes the database's exact (binary) default.
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('occurred_at', 'bigint', (col) => col.notNull())
    .addColumn('type', 'varchar(64)', (col) => col.notNull())
    .addColumn('method', 'varchar(64)')
    .addColumn('outcome', 'varchar(64)')
    // No foreign key: the trail outlives the users it mentions.
    .addColumn('user_id', 'varchar(36)')
    .addColumn('client', 'varchar(64)')
    .addColumn('app_id', 'varchar(255)')
    .addColumn('device', 'varchar(255)')
    .execute();
  await db.schema.createIndex('audit_events_occurred_at').on('audit_events').column('occurred_at').execute();
  await db.schema.createIndex('audit_events_user').on('audit_events').columns(['user_id', 'occurred_at']).execute();
  await db.schema.createIndex('audit_events_type').on('audit_events').columns(['type', 'occurred_at']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_events').execute();
}
