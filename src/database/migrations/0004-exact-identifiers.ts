import { Kysely, MysqlAdapter, sql, SqliteAdapter } from 'kysely';
import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * Identifiers (emails, phones, OIDC subjects, token and code hashes, counter keys) compare byte
 * for byte on every engine: `alice@exämple.com` is not `alice@example.com`, and `SubjectAbc`,
 * `subjectabc` and `subjectabc ` are three subjects.
 *
 * - SQLite compares text with its BINARY collation unless a column names another; none does.
 *   Nothing to do.
 * - PostgreSQL: `=` is exact under every deterministic collation (equal-sorting strings are told
 *   apart by their bytes), and a database's default collation is always deterministic. Nothing to do.
 * - MySQL/MariaDB: the tables took the server's default collation, which ignores case and accents
 *   (`utf8mb4_general_ci` on MariaDB, `utf8mb4_0900_ai_ci` on MySQL 8). Every table is converted
 *   to a binary collation that also keeps trailing spaces significant (NO PAD; `utf8mb4_bin` is
 *   PAD SPACE, so `'a' = 'a '` would still hold), and so is the database default.
 *
 * Email addresses stored before were only trimmed and lowercased; the normalisation is now also
 * NFC with the domain in ASCII (src/auth/email/email-address.ts). The few stored with non-ASCII
 * characters are rewritten to that form, so their owners still log in.
 *
 * Later migrations: new MySQL/MariaDB tables inherit the database default set here, as long as
 * they name no character set or collation of their own (a bare `CHARACTER SET utf8mb4` would pick
 * the server's case-insensitive default again). Keep it that way.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof MysqlAdapter) await convertMysqlToExactCollation(db);
  await renormalizeStoredEmails(db);
}

/**
 * Nothing is undone: going back to a case- and accent-insensitive collation would let look-alike
 * addresses reach other people's accounts again.
 */
export async function down(): Promise<void> {}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function convertMysqlToExactCollation(db: Kysely<any>): Promise<void> {
  const collation = sql.raw(await exactCollationOf(db));
  const tables = await sql<{ name: string }>`
    select TABLE_NAME as name from information_schema.TABLES
    where TABLE_SCHEMA = database() and TABLE_TYPE = 'BASE TABLE'`.execute(db);

  await sql`alter database character set utf8mb4 collate ${collation}`.execute(db);
  // MariaDB refuses to change the collation of a column in a foreign key, even with
  // foreign_key_checks off: the keys are dropped, the tables converted, and the keys put back.
  const foreignKeys = await foreignKeysOf(db);
  for (const key of foreignKeys) await sql`alter table ${sql.table(key.table)} drop foreign key ${sql.id(key.name)}`.execute(db);
  try {
    for (const { name } of tables.rows) {
      // varchar(255) keys stay indexable: utf8mb4 already, InnoDB DYNAMIC rows allow 3072-byte keys.
      await sql`alter table ${sql.table(name)} convert to character set utf8mb4 collate ${collation}`.execute(db);
    }
  } finally {
    for (const key of foreignKeys) {
      await sql`alter table ${sql.table(key.table)} add constraint ${sql.id(key.name)}
        foreign key (${sql.join(key.columns.map((column) => sql.id(column)))})
        references ${sql.table(key.referencedTable)} (${sql.join(key.referencedColumns.map((column) => sql.id(column)))})
        on delete ${sql.raw(referentialAction(key.onDelete))} on update ${sql.raw(referentialAction(key.onUpdate))}`.execute(db);
    }
  }
}

interface ForeignKey {
  name: string;
  table: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: string;
  onUpdate: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function foreignKeysOf(db: Kysely<any>): Promise<ForeignKey[]> {
  const { rows } = await sql<{ name: string; tableName: string; referencedTable: string; onDelete: string; onUpdate: string; columnName: string; referencedColumn: string }>`
    select rc.CONSTRAINT_NAME as name, rc.TABLE_NAME as tableName, rc.REFERENCED_TABLE_NAME as referencedTable,
      rc.DELETE_RULE as onDelete, rc.UPDATE_RULE as onUpdate, k.COLUMN_NAME as columnName, k.REFERENCED_COLUMN_NAME as referencedColumn
    from information_schema.REFERENTIAL_CONSTRAINTS rc
    join information_schema.KEY_COLUMN_USAGE k
      on k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA and k.TABLE_NAME = rc.TABLE_NAME and k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME
    where rc.CONSTRAINT_SCHEMA = database()
    order by rc.TABLE_NAME, rc.CONSTRAINT_NAME, k.ORDINAL_POSITION`.execute(db);
  const keys = new Map<string, ForeignKey>();
  for (const row of rows) {
    const id = `${row.tableName}.${row.name}`;
    const key = keys.get(id) ?? { name: row.name, table: row.tableName, columns: [], referencedTable: row.referencedTable, referencedColumns: [], onDelete: row.onDelete, onUpdate: row.onUpdate };
    key.columns.push(row.columnName);
    key.referencedColumns.push(row.referencedColumn);
    keys.set(id, key);
  }
  return [...keys.values()];
}

/** A rule as information_schema spells it, checked before it goes into a statement. */
function referentialAction(rule: string): string {
  const known = ['CASCADE', 'SET NULL', 'SET DEFAULT', 'RESTRICT', 'NO ACTION'];
  if (!known.includes(rule.toUpperCase())) throw new Error(`Unexpected foreign key rule: ${rule}`);
  return rule.toUpperCase();
}

/**
 * Rewrites stored addresses with non-ASCII characters to the current normal form, in the email
 * accounts and the email identities. One whose new form is taken already, or is not valid any
 * more, is left as it was: accounts are never merged. A user's mesibo address never changes.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function renormalizeStoredEmails(db: Kysely<any>): Promise<void> {
  const nonAscii =
    db.getExecutor().adapter instanceof SqliteAdapter
      ? sql<boolean>`length(email) <> length(cast(email as blob))`
      : sql<boolean>`char_length(email) <> octet_length(email)`;
  const rows = await db.selectFrom('email_accounts').select('email').where(nonAscii).execute();
  for (const { email } of rows as { email: string }[]) {
    const normalized = normalizedEmail(email);
    if (normalized === undefined || normalized === email) continue;
    if (await db.selectFrom('email_accounts').select('email').where('email', '=', normalized).executeTakeFirst()) continue;
    await db.updateTable('email_accounts').set({ email: normalized }).where('email', '=', email).execute();
    const taken = await db.selectFrom('identities').select('id').where('method', '=', 'email').where('subject', '=', normalized).executeTakeFirst();
    if (!taken) await db.updateTable('identities').set({ subject: normalized }).where('method', '=', 'email').where('subject', '=', email).execute();
  }
}

/**
 * The normal form of an address stored trimmed and lowercased, as `normalizeEmail` gives it at the
 * time of this migration (a copy, so that this migration never changes); undefined if it has none.
 */
function normalizedEmail(stored: string): string | undefined {
  const unified = stored.normalize('NFC').toLowerCase().normalize('NFC');
  const at = unified.lastIndexOf('@');
  if (at <= 0) return undefined;
  const labels: string[] = [];
  for (const label of unified.slice(at + 1).split('.')) {
    const ascii = domainToASCII(label);
    if (ascii === '' || (ascii !== label && domainToUnicode(ascii) !== label)) return undefined;
    labels.push(ascii);
  }
  const email = `${unified.slice(0, at)}@${labels.join('.')}`;
  return email.length <= 254 ? email : undefined;
}

/** The binary, NO PAD utf8mb4 collation of this server: MariaDB 10.2+ or MySQL 8.0.17+. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function exactCollationOf(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ version: string }>`select version() as version`.execute(db);
  const isMariaDb = /mariadb/i.test(rows[0]?.version ?? '');
  const collation = isMariaDb ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin';
  const known = await sql<{ name: string }>`
    select COLLATION_NAME as name from information_schema.COLLATIONS where COLLATION_NAME = ${collation}`.execute(db);
  if (known.rows.length === 0) {
    throw new Error(`The database server (${rows[0]?.version ?? 'unknown version'}) lacks the ${collation} collation; MariaDB 10.2+ or MySQL 8.0.17+ is needed.`);
  }
  return collation;
}
