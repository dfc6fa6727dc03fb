import { hash } from '@node-rs/argon2';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { AccountDeletion } from '../src/accounts/account-deletion.service';
import { PendingMesiboDeletions } from '../src/accounts/pending-mesibo-deletions';
import { AuditTrail } from '../src/audit/audit-trail';
import { NotFoundError } from '../src/common/errors';
import { ExpiredRecordsCleanup } from '../src/maintenance/expired-records-cleanup';
import { MesiboSimulator } from '../src/mesibo-simulator/mesibo-simulator';
import { AppProcess, startAppProcess } from './support/app-process';
import { SmsGateway } from './support/sms-gateway';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { SmtpInbox } from './support/smtp-inbox';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const PHONE = '18005551234';
const OTHER_PHONE = '919876543210';
const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';
const USERNAME = 'ada-lovelace';

/** startTestApp leaves its settings in process.env: the next app (or child process) must not inherit these. */
function forgetSettings(...names: string[]): void {
  for (const name of names) delete process.env[name];
}

/** In-app account deletion (DELETE /v1/me and the op API's deleteaccount), here and at mesibo. */
describe('account deletion', () => {
  let t: TestApp;
  let inbox: SmtpInbox;

  beforeEach(async () => {
    inbox = await new SmtpInbox().start();
    t = await startTestApp({
      OTP_MAX_SENDS_PER_WINDOW: '50',
      OTP_MAX_SENDS_PER_IP_PER_WINDOW: '500',
      EMAIL_SENDER: 'smtp',
      SMTP_URL: inbox.url,
      EMAIL_FROM: 'Messenger <no-reply@example.com>',
    });
  });
  afterEach(async () => {
    await t.close();
    await inbox.stop();
  });

  const api = () => request(t.url);
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const isLive = async (token: string) => (await api().get('/v1/me').set(bearer(token))).status === 200;
  const userdelCalls = () => t.mesibo.requests.filter((call) => call.op === 'userdel');

  async function phoneCode(phone: string): Promise<string> {
    t.clock.advance(31);
    expect((await api().post('/v1/auth/otp').send({ phone, appid: APPID })).status).toBe(202);
    return t.gateway.lastCodeFor(phone);
  }

  async function phoneLogin(phone: string, device = 'Pixel 9'): Promise<{ token: string; userId: string; newUser: boolean }> {
    const res = await api().post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp: await phoneCode(phone), device });
    expect(res.status).toBe(200);
    return res.body as { token: string; userId: string; newUser: boolean };
  }

  async function count(table: 'users' | 'identities' | 'sessions' | 'email_accounts' | 'username_accounts' | 'otp_challenges' | 'removed_identities' | 'pending_mesibo_deletions'): Promise<number> {
    const row = await t.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** A user with every kind of record: email (with password) and phone and username logins, a removed method, two sessions, pending codes. */
  async function fullAccount(): Promise<{ userId: string; tokens: string[] }> {
    const now = t.clock.nowMs();
    const passwordHash = await hash(PASSWORD, { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    await t.db.insertInto('email_accounts').values({ email: EMAIL, password_hash: passwordHash, display_name: 'Ada', verified_at: now, created_at: now, updated_at: now }).execute();
    const byEmail = await api().post('/v1/auth/email/login').send({ email: EMAIL, password: PASSWORD, appid: APPID, device: 'Laptop' });
    expect(byEmail.status).toBe(200);
    const userId = byEmail.body.userId as string;
    const emailToken = byEmail.body.token as string;

    // Link the phone (the fresh login is the recent proof), then log in with it on a second device.
    await phoneCode(PHONE);
    t.clock.advance(31);
    expect((await api().post('/v1/me/identities/phone').set(bearer(emailToken)).send({ phone: PHONE })).status).toBe(202);
    expect((await api().post('/v1/me/identities/phone/verify').set(bearer(emailToken)).send({ phone: PHONE, otp: t.gateway.lastCodeFor(PHONE) })).status).toBe(204);
    const byPhone = await phoneLogin(PHONE);
    expect(byPhone.userId).toBe(userId);

    // A username login and a method removed once, straight in the tables.
    await t.db.insertInto('username_accounts').values({ username: USERNAME, password_hash: passwordHash, display_name: null, created_at: now, updated_at: now }).execute();
    await t.db.insertInto('identities').values({ id: randomUUID(), user_id: userId, method: 'username', subject: USERNAME, verified: 0, created_at: now, last_login_at: now }).execute();
    await t.db.insertInto('removed_identities').values({ user_id: userId, method: 'phone', subject: '14155550100', removed_at: now }).execute();

    // Codes still pending: one to the phone, a password reset to the email.
    await phoneCode(PHONE);
    expect((await api().post('/v1/auth/password/forgot').send({ email: EMAIL })).status).toBe(202);
    // The reset code is sent after the reply; once it arrived, its row is written.
    await inbox.codeFor(EMAIL);
    return { userId, tokens: [byPhone.token, emailToken] };
  }

  /** Every audit row, written out, must not mention the person. */
  async function auditText(): Promise<string> {
    return JSON.stringify(await t.app.get(AuditTrail).list({ limit: 1000 }));
  }

  it('deletes every row of the account, revokes its tokens and deletes the user at mesibo; the audit keeps only the user id', async () => {
    const someoneElse = await phoneLogin(OTHER_PHONE);
    const { userId, tokens } = await fullAccount();
    const uid = t.mesibo.users.get(EMAIL)?.uid;
    expect(uid).toBeDefined();
    expect(await t.db.selectFrom('otp_challenges').select('channel').where('destination', 'in', [PHONE, EMAIL]).orderBy('channel').execute()).toEqual([{ channel: 'email-reset' }, { channel: 'sms' }]);
    const codesOfOthers = await t.db.selectFrom('otp_challenges').select('destination').where('destination', 'not in', [PHONE, EMAIL]).execute();

    const res = await api().delete('/v1/me').set(bearer(tokens[0]));
    expect(res.status).toBe(204);

    for (const token of tokens) {
      expect(await isLive(token)).toBe(false);
      expect(t.mesibo.isTokenValid(token)).toBe(false);
    }
    expect(await t.db.selectFrom('users').select('id').execute()).toEqual([{ id: someoneElse.userId }]);
    expect(await t.db.selectFrom('identities').select('user_id').distinct().execute()).toEqual([{ user_id: someoneElse.userId }]);
    expect(await t.db.selectFrom('sessions').select('user_id').distinct().execute()).toEqual([{ user_id: someoneElse.userId }]);
    expect(await count('email_accounts')).toBe(0);
    expect(await count('username_accounts')).toBe(0);
    expect(await count('removed_identities')).toBe(0);
    expect(await t.db.selectFrom('otp_challenges').select('destination').execute()).toEqual(codesOfOthers);
    expect(await count('pending_mesibo_deletions')).toBe(0);

    // At mesibo: each live token revoked, then the user deleted by its uid.
    expect(t.mesibo.requests.filter((call) => call.op === 'usertokendel')).toHaveLength(2);
    expect(userdelCalls()).toEqual([{ op: 'userdel', body: { op: 'userdel', user: { uid: String(uid), address: EMAIL } } }]);
    expect(t.mesibo.users.has(EMAIL)).toBe(false);
    expect(t.mesibo.isTokenValid(someoneElse.token)).toBe(true);

    const deleted = await t.app.get(AuditTrail).list({ type: 'account.deleted' });
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({ user_id: userId, outcome: 'self' });
    expect((await t.app.get(AuditTrail).list({ type: 'sessions.ended', userId })).map((event) => event.outcome)).toEqual(['account-deleted']);
    const audit = await auditText();
    for (const personal of [PHONE, EMAIL, USERNAME, 'Ada']) expect(audit).not.toContain(personal);
    // Nor is a token in the log.
    for (const token of tokens) expect(t.logs.lines.join('\n')).not.toContain(token);

    // The old credentials log in to nothing, and the address is free: the same phone makes a new user.
    expect((await api().post('/v1/auth/email/login').send({ email: EMAIL, password: PASSWORD, appid: APPID })).status).toBe(401);
    const again = await phoneLogin(PHONE);
    expect(again.newUser).toBe(true);
    expect(again.userId).not.toBe(userId);
  });

  it('is refused without a recent proof on both surfaces, and allowed after proving the account again', async () => {
    const user = await phoneLogin(PHONE);
    t.clock.advance(301);

    const rest = await api().delete('/v1/me').set(bearer(user.token));
    expect({ status: rest.status, code: rest.body.code }).toEqual({ status: 403, code: 'recent_proof_required' });
    const op = await api().post('/').send({ op: 'deleteaccount', token: user.token });
    expect(op.body).toMatchObject({ op: 'deleteaccount', result: 'FAIL', error: 'REAUTHREQUIRED' });
    expect(await count('users')).toBe(1);
    expect(await isLive(user.token)).toBe(true);
    expect(userdelCalls()).toHaveLength(0);

    t.clock.advance(31);
    expect((await api().post('/v1/me/reauthenticate/code').set(bearer(user.token)).send({})).status).toBe(202);
    const proved = await api().post('/v1/me/reauthenticate').set(bearer(user.token)).send({ otp: t.gateway.lastCodeFor(PHONE) });
    expect(proved.status).toBe(200);
    expect((await api().delete('/v1/me').set(bearer(user.token))).status).toBe(204);
    expect(await count('users')).toBe(0);
  });

  it('op API: deleteaccount with a fresh login deletes the account; then the token is AUTHFAIL; only as a POST with the token in the body', async () => {
    t.clock.advance(31);
    expect((await api().post('/').send({ op: 'login', phone: PHONE, appid: APPID })).body.result).toBe('OK');
    const login = await api().post('/').send({ op: 'login', phone: PHONE, appid: APPID, otp: t.gateway.lastCodeFor(PHONE) });
    const token = login.body.token as string;

    const viaGet = await api().get('/').query({ op: 'deleteaccount' });
    expect(viaGet.body).toMatchObject({ result: 'FAIL', error: 'BADREQUEST' });
    expect((await api().post('/').send({ op: 'deleteaccount' })).body).toMatchObject({ result: 'FAIL', error: 'AUTHFAIL' });
    expect(await count('users')).toBe(1);

    const deleted = await api().post('/').send({ op: 'DeleteAccount', token });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ op: 'deleteaccount', result: 'OK' });
    expect(await count('users')).toBe(0);
    expect(t.mesibo.isTokenValid(token)).toBe(false);
    expect(userdelCalls()).toHaveLength(1);

    expect((await api().post('/').send({ op: 'deleteaccount', token })).body).toMatchObject({ result: 'FAIL', error: 'AUTHFAIL' });
    expect(userdelCalls()).toHaveLength(1);
  });

  it('50 deletions at once with one token: one 204, the rest 401, the user deleted at mesibo once', async () => {
    const user = await phoneLogin(PHONE);
    const answers = await Promise.all(Array.from({ length: 50 }, () => api().delete('/v1/me').set(bearer(user.token))));

    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status === 204)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(49);
    for (const res of answers.filter((answer) => answer.status === 401)) expect(res.body.code).toBe('invalid_token');
    expect(userdelCalls()).toHaveLength(1);
    expect(await t.app.get(AuditTrail).list({ type: 'account.deleted' })).toHaveLength(1);
    expect(await count('users')).toBe(0);
    expect(await count('pending_mesibo_deletions')).toBe(0);
  });

  it('with mesibo down, deletes the account here at once and deletes its mesibo user later, from the clean-up, exactly once', async () => {
    const user = await phoneLogin(PHONE);
    const uid = t.mesibo.users.get(PHONE)!.uid;
    t.mesibo.setFault('down');

    expect((await api().delete('/v1/me').set(bearer(user.token))).status).toBe(204);
    expect(await isLive(user.token)).toBe(false);
    expect(await count('users')).toBe(0);
    expect(await count('sessions')).toBe(0);
    const pending = await t.db.selectFrom('pending_mesibo_deletions').selectAll().execute();
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ mesibo_uid: String(uid), address: PHONE, attempts: 1 });
    // Still there at mesibo, for now.
    expect(t.mesibo.users.has(PHONE)).toBe(true);

    t.mesibo.setFault('none');
    const cleanup = t.app.get(ExpiredRecordsCleanup);
    const deletions = t.app.get(PendingMesiboDeletions);
    // Not due yet: the next try waits a minute after the failed one.
    expect(await deletions.retryDue()).toBe(0);
    expect(userdelCalls()).toHaveLength(0);

    t.clock.advance(61);
    // The clean-up and stray retries race for it: one of them calls mesibo.
    const [report, ...retries] = await Promise.all([cleanup.runOnce(), deletions.retryDue(), deletions.retryDue(), deletions.retryDue()]);
    const done = (report === 'skipped' ? 0 : report.mesiboDeletions) + retries.reduce((sum, n) => sum + n, 0);
    expect(done).toBe(1);
    expect(userdelCalls()).toEqual([{ op: 'userdel', body: { op: 'userdel', user: { uid: String(uid), address: PHONE } } }]);
    expect(t.mesibo.users.has(PHONE)).toBe(false);
    expect(t.mesibo.isTokenValid(user.token)).toBe(false);
    expect(await count('pending_mesibo_deletions')).toBe(0);

    t.clock.advance(3600);
    await cleanup.runOnce();
    expect(userdelCalls()).toHaveLength(1);
  });

  it('keeps retrying while mesibo stays down, further apart each time, and drops a user mesibo no longer has', async () => {
    const user = await phoneLogin(PHONE);
    t.mesibo.setFault('down');
    expect((await api().delete('/v1/me').set(bearer(user.token))).status).toBe(204);
    const deletions = t.app.get(PendingMesiboDeletions);

    t.clock.advance(61);
    expect(await deletions.retryDue()).toBe(0);
    const row = await t.db.selectFrom('pending_mesibo_deletions').selectAll().executeTakeFirstOrThrow();
    expect(Number(row.attempts)).toBe(2);
    expect(Number(row.next_attempt_at)).toBe(t.clock.nowMs() + 120_000);

    // Meanwhile someone deleted the user at mesibo by hand: NOUSER ends the task.
    t.mesibo.setFault('none');
    t.mesibo.users.delete(PHONE);
    t.clock.advance(121);
    expect(await deletions.retryDue()).toBe(1);
    expect(await count('pending_mesibo_deletions')).toBe(0);
  });

  it('is what operators call too: AccountDeletion.deleteUser(id, "admin"), NotFoundError for an unknown user', async () => {
    const user = await phoneLogin(PHONE);
    const deletion = t.app.get(AccountDeletion);
    await expect(deletion.deleteUser(randomUUID(), 'admin')).rejects.toBeInstanceOf(NotFoundError);

    await deletion.deleteUser(user.userId, 'admin');

    expect(await isLive(user.token)).toBe(false);
    expect(t.mesibo.users.has(PHONE)).toBe(false);
    expect(await t.app.get(AuditTrail).list({ type: 'account.deleted' })).toMatchObject([{ user_id: user.userId, outcome: 'admin' }]);
    await expect(deletion.deleteUser(user.userId, 'admin')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('account deletion with MESIBO_USER_DELETE_OP=none', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ MESIBO_USER_DELETE_OP: 'none' });
  });
  afterAll(async () => {
    await t.close();
    forgetSettings('MESIBO_USER_DELETE_OP');
  });

  it('revokes the tokens but leaves the mesibo user, and keeps nothing pending', async () => {
    expect((await request(t.url).post('/v1/auth/otp').send({ phone: PHONE, appid: APPID })).status).toBe(202);
    const login = await request(t.url).post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp: t.gateway.lastCodeFor(PHONE) });
    const token = login.body.token as string;

    expect((await request(t.url).delete('/v1/me').auth(token, { type: 'bearer' })).status).toBe(204);

    expect(t.mesibo.isTokenValid(token)).toBe(false);
    expect(t.mesibo.users.has(PHONE)).toBe(true);
    expect(t.mesibo.requests.some((call) => call.op === 'userdel')).toBe(false);
    expect(await t.db.selectFrom('pending_mesibo_deletions').selectAll().execute()).toEqual([]);
  });
});

describe('account deletion while mesibo is slow', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ MESIBO_TIMEOUT_MS: '300', MESIBO_RETRIES: '0' });
  });
  afterAll(async () => {
    await t.close();
    forgetSettings('MESIBO_TIMEOUT_MS', 'MESIBO_RETRIES');
  });

  it('answers within the mesibo timeouts, not mesibo’s delay, and leaves the mesibo user to the clean-up', async () => {
    expect((await request(t.url).post('/v1/auth/otp').send({ phone: PHONE, appid: APPID })).status).toBe(202);
    const login = await request(t.url).post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp: t.gateway.lastCodeFor(PHONE) });
    const token = login.body.token as string;
    t.mesibo.setFault('slow', { delayMs: 10_000 });

    const started = Date.now();
    const res = await request(t.url).delete('/v1/me').auth(token, { type: 'bearer' });
    expect(res.status).toBe(204);
    // One revocation and one userdel, each cut at 300 ms.
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await request(t.url).get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(401);
    expect(await t.db.selectFrom('pending_mesibo_deletions').select('address').execute()).toEqual([{ address: PHONE }]);

    t.mesibo.setFault('none');
    t.clock.advance(61);
    expect(await t.app.get(PendingMesiboDeletions).retryDue()).toBe(1);
    expect(t.mesibo.users.has(PHONE)).toBe(false);
    expect(await t.db.selectFrom('pending_mesibo_deletions').selectAll().execute()).toEqual([]);
  });
});

/** Two processes over one database, as behind a load balancer: what one ends, the other refuses at once. */
describe('sessions and deletion across two instances', () => {
  const appToken = 'two-instances-app-token';
  let database: TestDatabase;
  let mesibo: MesiboSimulator;
  let gateway: SmsGateway;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    database = await createTestDatabase();
    mesibo = await new MesiboSimulator({ appToken }).start();
    gateway = await new SmsGateway().start();
    const env = {
      DATABASE_URL: database.url,
      MESIBO_API_URL: mesibo.url,
      MESIBO_APP_TOKEN: appToken,
      OTP_SECRET: 'shared-otp-secret-of-both-instances-0123',
      OTP_SENDER: 'webhook',
      OTP_WEBHOOK_URL: gateway.url,
      REDIS_URL: process.env.E2E_REDIS_URL ?? '',
      REDIS_KEY_PREFIX: `e2e-${randomUUID().slice(0, 8)}:`,
      THROTTLE_LIMIT: '1000000',
    };
    // One after the other: the first applies the migrations.
    a = await startAppProcess(env);
    b = await startAppProcess(env);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await mesibo.stop();
    await gateway.stop();
    await database.drop();
  });

  async function login(app: AppProcess, phone: string, device: string): Promise<string> {
    expect((await request(app.url).post('/v1/auth/otp').send({ phone, appid: APPID })).status).toBe(202);
    const res = await request(app.url).post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp: gateway.lastCodeFor(phone), device });
    expect(res.status).toBe(200);
    return res.body.token as string;
  }

  it('a session ended on A is refused on B, and 50 deletions spread over both give one 204 and 49 401', async () => {
    const onA = await login(a, PHONE, 'Pixel 9');
    const onB = await login(b, OTHER_PHONE, 'iPad');
    const bSession = ((await request(b.url).get('/v1/me/sessions').auth(onB, { type: 'bearer' })).body as Array<{ id: string }>)[0];
    // A user cannot end another's session from either instance.
    expect((await request(a.url).delete(`/v1/me/sessions/${bSession.id}`).auth(onA, { type: 'bearer' })).status).toBe(404);
    expect((await request(b.url).get('/v1/me').auth(onB, { type: 'bearer' })).status).toBe(200);

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => request(i % 2 === 0 ? a.url : b.url).delete('/v1/me').auth(onA, { type: 'bearer' })),
    );
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([204, ...Array<number>(49).fill(401)]);
    for (const app of [a, b]) expect((await request(app.url).get('/v1/me').auth(onA, { type: 'bearer' })).status).toBe(401);
    expect(mesibo.requests.filter((call) => call.op === 'userdel')).toHaveLength(1);
    // The other user is untouched on both.
    for (const app of [a, b]) expect((await request(app.url).get('/v1/me').auth(onB, { type: 'bearer' })).status).toBe(200);
  });
});
