import { Kysely } from 'kysely';

/**
 * `webhook_outbox`: the events of the event webhook (src/hooks), written in the transaction of what
 * they report and delivered afterwards by a worker, with retries. A row is `pending` until its
 * receiver took it (`delivered`) or its retries ran out (`dead`). `next_attempt_at` is when it is
 * due; a worker claims a row by moving it forward, so only one worker sends it at a time.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // No collation of its own: on MySQL/MariaDB the table takes the database's exact (binary) default.
  await db.schema
    .createTable('webhook_outbox')
    // The Standard Webhooks message id (`msg_...`), the same on every attempt.
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('type', 'varchar(64)', (col) => col.notNull())
    // The JSON body, exactly as it is signed and sent.
    .addColumn('payload', 'text', (col) => col.notNull())
    .addColumn('status', 'varchar(16)', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('next_attempt_at', 'bigint', (col) => col.notNull())
    .addColumn('finished_at', 'bigint')
    // Why the last attempt failed (a status or a network error), never the answer's body.
    .addColumn('last_error', 'varchar(255)')
    .execute();
  await db.schema.createIndex('webhook_outbox_due').on('webhook_outbox').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_outbox_finished').on('webhook_outbox').columns(['finished_at']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_outbox').execute();
}
