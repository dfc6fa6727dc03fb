import { Migrator, sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { normalizeEmail } from '../src/auth/email/email-address';
import { SessionsRepository } from '../src/auth/sessions.repository';
import { databaseEngineOf } from '../src/config/database.config';
import { Db, migrateToLatest, openDatabase } from '../src/database/connection';
import { migrationProvider } from '../src/database/migrations';
import { UsersRepository } from '../src/users/users.repository';
import { UsersService } from '../src/users/users.service';
import { SmtpInbox } from './support/smtp-inbox';
import { startTestApp, TestApp } from './support/test-app';
import { createTestDatabase, TestDatabase } from './support/test-database';

const ALICE = 'alice@example.com';
const PASSWORD = 'correct horse battery staple';
const APPID = 'com.mesibo.firstapp';

const engine = databaseEngineOf(process.env.E2E_DATABASE_URL || 'sqlite:');

/** Addresses a person would take for alice's, but that are other mailboxes. */
const LOOK_ALIKES = [
  'alice@exämple.com', // accented domain: xn--exmple-cua.com, anyone may register it
  'alice@EXÄMPLE.com',
  'alïce@example.com', // accented local part
  'ａlice@example.com', // full-width letter in the local part
  'alice@example.com\u00a0x', // not a trailing space: a different address, or none
];
/** The same address as alice's by the documented normalisation (case, surrounding spaces). */
const SAME_AS_ALICE = ['ALICE@example.com ', '  Alice@Example.COM', ' alice@EXAMPLE.com  '];

describe('identifiers match exactly', () => {
  describe('in the running service', () => {
    let t: TestApp;
    let inbox: SmtpInbox;

    beforeEach(async () => {
      inbox = await new SmtpInbox().start();
      t = await startTestApp({ EMAIL_SENDER: 'smtp', SMTP_URL: inbox.url, EMAIL_FROM: 'Messenger <no-reply@example.com>' });
    });
    afterEach(async () => {
      await t.close();
      await inbox.stop();
    });

    const api = () => request(t.url);
    const login = (email: string, password = PASSWORD) => api().post('/v1/auth/email/login').send({ email, password, appid: APPID });

    async function registerAndConfirm(email: string, mailbox = email): Promise<void> {
      expect((await api().post('/v1/auth/email/register').send({ email, password: PASSWORD })).status).toBe(202);
      const { code } = await inbox.codeFor(mailbox);
      expect((await api().post('/v1/auth/email/verify').send({ email, code, password: PASSWORD })).status).toBe(204);
    }

    it('sends no reset code for a look-alike of an account, and none to its owner', async () => {
      await registerAndConfirm(ALICE);
      expect(inbox.count(ALICE)).toBe(1);

      for (const lookAlike of LOOK_ALIKES) {
        const res = await api().post('/v1/auth/password/forgot').send({ email: lookAlike });
        // The uniform answer for an address without an account, or a refusal of what is no address.
        expect([202, 400]).toContain(res.status);
      }
      // Full-width letters in a domain would be remapped by IDNA: refused, not turned into example.com.
      const remapped = await api().post('/v1/auth/password/forgot').send({ email: 'alice@ｅxample.com' });
      expect([remapped.status, remapped.body.code]).toEqual([400, 'invalid_request']);

      // Case and surrounding spaces are alice's address: her code arrives, and only hers.
      for (const [i, sameAddress] of SAME_AS_ALICE.entries()) {
        expect((await api().post('/v1/auth/password/forgot').send({ email: sameAddress })).status).toBe(202);
        await inbox.codeFor(ALICE, 2 + i);
        t.clock.advance(31); // past the resend cooldown
      }
      expect(inbox.count(ALICE)).toBe(1 + SAME_AS_ALICE.length);
      expect(inbox.mails.map((mail) => mail.to)).toEqual(Array(1 + SAME_AS_ALICE.length).fill(ALICE));

      // The look-alikes cannot log in to alice's account with her password either.
      for (const lookAlike of LOOK_ALIKES) expect((await login(lookAlike)).status).not.toBe(200);
      const ok = await login(SAME_AS_ALICE[0]);
      expect(ok.status).toBe(200);
      expect(ok.body.address).toBe(ALICE);
    });

    it('lets a look-alike domain be an account of its own, apart from the original', async () => {
      await registerAndConfirm(ALICE);
      // Whoever owns exämple.com registers alice@exämple.com, and the code goes there (sent to the
      // ASCII form of the domain; the SMTP server reports the recipient in Unicode).
      await registerAndConfirm('alice@EXÄMPLE.com', 'alice@exämple.com');

      const original = await login(ALICE);
      const lookAlike = await login('alice@exämple.com');
      expect(original.status).toBe(200);
      expect(lookAlike.status).toBe(200);
      expect(lookAlike.body.address).toBe('alice@xn--exmple-cua.com');
      expect(lookAlike.body.userId).not.toBe(original.body.userId);
      // Both spellings of the domain are one address.
      expect((await login('alice@xn--exmple-cua.com')).body.userId).toBe(lookAlike.body.userId);
    });

    it.each([
      ['a lone surrogate', '\ud800alice@example.com'],
      ['NUL', 'alice\u0000@example.com'],
      ['a control character', 'alice\u0007@example.com'],
    ])('answers an address with %s with 400 (REST) and BADREQUEST (op API), never a 500', async (_what, email) => {
      const rest = await api().post('/v1/auth/password/forgot').send({ email });
      expect([rest.status, rest.body.code]).toEqual([400, 'invalid_request']);
      const op = await api().post('/').send({ op: 'login', email, password: PASSWORD, appid: APPID });
      expect([op.status, op.body.result, op.body.error]).toEqual([200, 'FAIL', 'BADREQUEST']);
    });

    it('keeps OIDC subjects that differ in case, a trailing space or an accent apart', async () => {
      const users = t.app.get(UsersService);
      const repository = t.app.get(UsersRepository);
      const subjects = ['SubjectAbc', 'subjectabc', 'subjectabc ', 'SubjectÄbc'];

      const ids: string[] = [];
      for (const [i, subject] of subjects.entries()) {
        const outcome = await users.recordLogin(
          { method: 'oidc:test', subject, verified: false },
          { address: `test:user-${i}`, mesiboUid: String(1000 + i), now: t.clock.nowMs() },
          t.db,
        );
        expect(outcome.created).toBe(true);
        ids.push(outcome.user.id);
      }
      expect(new Set(ids).size).toBe(subjects.length);

      for (const [i, subject] of subjects.entries()) {
        expect((await repository.findByIdentity('oidc:test', subject))?.id).toBe(ids[i]);
        // A second login with the same subject is the same user.
        const again = await users.recordLogin(
          { method: 'oidc:test', subject, verified: false },
          { address: `test:user-${i}`, mesiboUid: String(1000 + i), now: t.clock.nowMs() },
          t.db,
        );
        expect([again.created, again.user.id]).toEqual([false, ids[i]]);
      }
      for (const unknown of ['SUBJECTABC', 'SubjectAbc ', 'subjectäbc', 'Subjectabc']) {
        expect(await repository.findByIdentity('oidc:test', unknown)).toBeUndefined();
      }
    });

    it('finds a session only by its exact token hash', async () => {
      await registerAndConfirm(ALICE);
      const token = (await login(ALICE)).body.token as string;
      expect((await api().get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(200);

      const row = await t.db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow();
      expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
      const sessions = t.app.get(SessionsRepository);
      const now = t.clock.nowMs();
      expect(await sessions.findLiveByTokenHash(row.token_hash.toUpperCase(), now)).toBeUndefined();
      expect(await sessions.findLiveByTokenHash(`${row.token_hash} `, now)).toBeUndefined();

      // A hash differing only in case is another session, and the unique key lets it in.
      const upper = { ...row, id: randomUUID(), token_hash: row.token_hash.toUpperCase() };
      await t.db.insertInto('sessions').values(upper).execute();
      expect((await sessions.findLiveByTokenHash(row.token_hash, now))?.id).toBe(row.id);
      expect((await sessions.findLiveByTokenHash(upper.token_hash, now))?.id).toBe(upper.id);
    });
  });

  describe('in a database created before migration 0004', () => {
    let database: TestDatabase;
    let db: Db;

    beforeEach(async () => {
      database = await createTestDatabase();
      db = openDatabase(database.url, { poolMax: 2 });
      const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0003-oidc-login-states');
      expect(error).toBeUndefined();
      await seedRowsFrom0003(db);
    });
    afterEach(async () => {
      await db.destroy();
      await database.drop();
    });

    it('keeps its rows, then compares exactly', async () => {
      await migrateToLatest(db);

      expect(await db.selectFrom('users').select(['id', 'address']).orderBy('id').execute()).toEqual([
        { id: 'u1', address: ALICE },
        { id: 'u2', address: 'test:SubjectAbc' },
        // A mesibo address never changes.
        { id: 'u9', address: 'bob@exämple.com' },
      ]);
      // An address stored in the old form (lowercased only) is rewritten to today's, so its owner
      // still logs in; one whose new form is another account's already is left alone.
      const bob = normalizeEmail('Bob@Exämple.com');
      expect(bob).toBe('bob@xn--exmple-cua.com');
      expect(await db.selectFrom('identities').select(['id', 'subject']).orderBy('id').execute()).toEqual([
        { id: 'i1', subject: ALICE },
        { id: 'i2', subject: 'SubjectAbc' },
        { id: 'i9', subject: bob },
      ]);
      const emails = await db.selectFrom('email_accounts').select('email').execute();
      expect(emails.map((row) => row.email).sort()).toEqual([ALICE, bob, 'carol@exämple.com', 'carol@xn--exmple-cua.com'].sort());
      expect(await db.selectFrom('sessions').select('token_hash').execute()).toEqual([{ token_hash: 'ab'.repeat(32) }]);
      expect(await db.selectFrom('otp_challenges').select('destination').execute()).toEqual([{ destination: ALICE }]);
      expect(await db.selectFrom('counters').select(['key', 'value']).execute()).toEqual([{ key: `password-failures:${ALICE}`, value: 3 }]);
      expect(await db.selectFrom('oidc_login_states').select('state').execute()).toEqual([{ state: 'State1' }]);

      // Look-alikes of the old rows are neither found nor blocked by the unique keys.
      expect(await db.selectFrom('email_accounts').select('email').where('email', 'in', ['alïce@example.com', 'ALICE@example.com', `${ALICE} `]).execute()).toEqual([]);
      expect(await db.selectFrom('identities').select('id').where('subject', 'in', ['subjectabc', 'subjectabc ', 'SubjectÄbc']).execute()).toEqual([]);
      await db.insertInto('users').values({ id: 'u3', address: 'ALICE@example.com ', display_name: null, mesibo_uid: null, created_at: 1, updated_at: 1 }).execute();
      for (const [i, subject] of ['subjectabc', 'SubjectAbc ', 'SubjectÄbc'].entries()) {
        await db.insertInto('identities').values({ id: `i${3 + i}`, user_id: 'u3', method: 'oidc:test', subject, verified: 0, created_at: 1, last_login_at: 1 }).execute();
      }
      await db.insertInto('email_accounts').values({ email: 'alïce@example.com', password_hash: 'x', display_name: null, verified_at: null, created_at: 1, updated_at: 1 }).execute();
      await db.insertInto('sessions').values({ ...sessionRow('s2', 'AB'.repeat(32)) }).execute();
      const subjects = await db.selectFrom('identities').select('subject').where('method', '=', 'oidc:test').execute();
      expect(subjects.map((row) => row.subject).sort()).toEqual(['SubjectAbc', 'SubjectAbc ', 'SubjectÄbc', 'subjectabc'].sort());

      // The foreign keys still hold, and still cascade.
      // (The message, not toThrow: the SQLite driver's errors come from the realm that loaded it first.)
      const orphan = await db.insertInto('sessions').values(sessionRow('s3', 'ef'.repeat(32), 'no-such-user')).execute().then(
        () => 'inserted',
        (error: unknown) => String((error as { message?: unknown }).message),
      );
      expect(orphan).toMatch(/foreign key/i);
      await db.deleteFrom('users').where('id', '=', 'u1').execute();
      expect(await db.selectFrom('sessions').select('id').where('user_id', '=', 'u1').execute()).toEqual([]);
      expect(await db.selectFrom('identities').select('id').where('user_id', '=', 'u1').execute()).toEqual([]);
    });

    (engine === 'mysql' ? it : it.skip)(
      'MySQL/MariaDB: every text column, and the database default, use the binary NO PAD collation',
      async () => {
        await migrateToLatest(db);
        const exact = (await sql<{ version: string }>`select version() as version`.execute(db)).rows[0].version.includes('MariaDB')
          ? 'utf8mb4_nopad_bin'
          : 'utf8mb4_0900_bin';

        const columns = await sql<{ TABLE_NAME: string; COLUMN_NAME: string; COLLATION_NAME: string }>`
          select TABLE_NAME, COLUMN_NAME, COLLATION_NAME from information_schema.COLUMNS
          where TABLE_SCHEMA = database() and COLLATION_NAME is not null`.execute(db);
        const tables = new Set(columns.rows.map((column) => column.TABLE_NAME));
        for (const table of ['users', 'identities', 'otp_challenges', 'sessions', 'counters', 'email_accounts', 'oidc_login_states']) {
          expect(tables).toContain(table);
        }
        expect(columns.rows.filter((column) => column.COLLATION_NAME !== exact)).toEqual([]);

        const schema = await sql<{ collation: string }>`
          select DEFAULT_COLLATION_NAME as collation from information_schema.SCHEMATA where SCHEMA_NAME = database()`.execute(db);
        expect(schema.rows[0].collation).toBe(exact);

        // A table made by a later migration, naming no collation, inherits the exact one.
        await db.schema.createTable('later_table').addColumn('subject', 'varchar(255)', (col) => col.primaryKey()).execute();
        const later = await sql<{ collation: string }>`
          select COLLATION_NAME as collation from information_schema.COLUMNS
          where TABLE_SCHEMA = database() and TABLE_NAME = 'later_table'`.execute(db);
        expect(later.rows).toEqual([{ collation: exact }]);
        // Trailing spaces count in its primary key too.
        await sql`insert into later_table (subject) values (${'a'}), (${'a '})`.execute(db);
      },
    );

    (engine === 'mysql' ? it.skip : it)(
      `${engine}: compares text exactly without any conversion (no collation to change)`,
      async () => {
        await migrateToLatest(db);
        const { rows } = await sql<{ same: number | boolean }>`
          select count(*) as same from identities where subject = ${'subjectabc'} or subject = ${'SubjectAbc '} or subject = ${'SubjectÄbc'}`.execute(db);
        expect(Number(rows[0].same)).toBe(0);
        const exact = await sql<{ found: number | string }>`select count(*) as found from identities where subject = ${'SubjectAbc'}`.execute(db);
        expect(Number(exact.rows[0].found)).toBe(1);
      },
    );
  });
});

function sessionRow(id: string, tokenHash: string, userId = 'u1') {
  return { id, user_id: userId, token_hash: tokenHash, app_id: APPID, device: null, created_at: 1, expires_at: 2, revoked_at: null };
}

/** One row in every table of the schema as it was after 0003. */
async function seedRowsFrom0003(db: Db): Promise<void> {
  await db
    .insertInto('users')
    .values([
      { id: 'u1', address: ALICE, display_name: 'Alice', mesibo_uid: '1', created_at: 1, updated_at: 1 },
      { id: 'u2', address: 'test:SubjectAbc', display_name: null, mesibo_uid: '2', created_at: 1, updated_at: 1 },
    ])
    .execute();
  await db
    .insertInto('identities')
    .values([
      { id: 'i1', user_id: 'u1', method: 'email', subject: ALICE, verified: 1, created_at: 1, last_login_at: 1 },
      { id: 'i2', user_id: 'u2', method: 'oidc:test', subject: 'SubjectAbc', verified: 0, created_at: 1, last_login_at: 1 },
    ])
    .execute();
  // Addresses as the normalisation before 0004 stored them: trimmed and lowercased only.
  await db.insertInto('users').values({ id: 'u9', address: 'bob@exämple.com', display_name: null, mesibo_uid: '9', created_at: 1, updated_at: 1 }).execute();
  await db.insertInto('identities').values({ id: 'i9', user_id: 'u9', method: 'email', subject: 'bob@exämple.com', verified: 1, created_at: 1, last_login_at: 1 }).execute();
  for (const email of [ALICE, 'bob@exämple.com', 'carol@exämple.com', 'carol@xn--exmple-cua.com']) {
    await db.insertInto('email_accounts').values({ email, password_hash: 'x', display_name: null, verified_at: 1, created_at: 1, updated_at: 1 }).execute();
  }
  await db.insertInto('sessions').values(sessionRow('s1', 'ab'.repeat(32))).execute();
  await db.insertInto('otp_challenges').values({ id: 'o1', channel: 'email-reset', destination: ALICE, code_hash: 'cd'.repeat(32), attempts: 0, created_at: 1, expires_at: 2 }).execute();
  await db.insertInto('counters').values({ key: `password-failures:${ALICE}`, value: 3, expires_at: 2 }).execute();
  await db
    .insertInto('oidc_login_states')
    .values({ state: 'State1', provider: 'test', code_verifier: 'v', nonce: 'n', app_id: APPID, return_to: null, created_at: 1, expires_at: 2 })
    .execute();
}
