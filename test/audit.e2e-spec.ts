import { execFile } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { AuditTrail } from '../src/audit/audit-trail';
import { AuditEventRow } from '../src/database/schema';
import { ExpiredRecordsCleanup } from '../src/maintenance/expired-records-cleanup';
import { signTicket } from '../src/methods/ticket/ticket-verifier';
import { SmtpInbox } from './support/smtp-inbox';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const CLIENT = '198.51.100.23';
const TICKET_SECRET = 'audit-ticket-secret-0123456789-0123456789';

/** A login, a wrong code and a limit each leave a row in the audit trail, with no secret in it. */
describe('the audit trail', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'loopback', TICKET_LOGIN_SECRET: TICKET_SECRET, AUDIT_RETENTION_DAYS: '90' });
  });
  afterAll(() => t.close());

  const api = () => request(t.url);
  /** The newest events first; limit.hit rows are written after the answer, so wait for them a moment. */
  async function events(expectedCount: number): Promise<AuditEventRow[]> {
    for (let i = 0; i < 50; i++) {
      const rows = await t.app.get(AuditTrail).list({ limit: 1000 });
      if (rows.length >= expectedCount) return rows;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return t.app.get(AuditTrail).list({ limit: 1000 });
  }

  it('records the code, the wrong code, the limit and the login of a phone login, from the client that asked', async () => {
    const phone = '18005550133';
    // A second between steps, so the trail's order (by time) is the order of the steps.
    const tick = () => t.clock.advance(1);
    expect((await api().post('/v1/auth/otp').set('X-Forwarded-For', CLIENT).send({ phone, appid: APPID })).status).toBe(202);
    tick();
    expect((await api().post('/v1/auth/otp').set('X-Forwarded-For', CLIENT).send({ phone, appid: APPID })).status).toBe(429);
    await events(3);
    tick();
    const code = t.gateway.lastCodeFor(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    expect((await api().post('/v1/auth/otp/verify').set('X-Forwarded-For', CLIENT).send({ phone, appid: APPID, otp: wrong, device: 'pixel' })).status).toBe(401);
    tick();
    const login = await api().post('/').set('X-Forwarded-For', CLIENT).send({ op: 'login', phone, appid: APPID, otp: code, device: 'pixel' });
    expect(login.body.result).toBe('OK');
    const me = await api().get('/v1/me').auth(login.body.token as string, { type: 'bearer' });

    const rows = await events(5);
    const summary = rows.map((row) => [row.type, row.method, row.outcome, row.client]).reverse();
    // The refused request's two rows share a time: either order.
    expect([summary[0], new Set(summary.slice(1, 3).map((row) => JSON.stringify(row))), ...summary.slice(3)]).toEqual([
      ['code.requested', 'sms', 'sent', CLIENT],
      new Set([JSON.stringify(['code.requested', 'sms', 'rate_limited', CLIENT]), JSON.stringify(['limit.hit', null, 'otp-cooldown', CLIENT])]),
      ['login.failed', 'phone', 'invalid_code', CLIENT],
      ['login.succeeded', 'phone', 'success', CLIENT],
    ]);
    const succeeded = rows.find((row) => row.type === 'login.succeeded')!;
    expect(succeeded).toMatchObject({ user_id: me.body.id, app_id: APPID, device: 'pixel' });
    expect(rows.find((row) => row.type === 'login.failed')).toMatchObject({ app_id: APPID, device: 'pixel', user_id: null });
    // Neither the codes nor the number are in the trail.
    const text = JSON.stringify(rows);
    expect(text).not.toContain(code);
    expect(text).not.toContain(wrong);
    expect(text).not.toContain(phone);
  });

  it('records refusals of the registered methods with their error code', async () => {
    t.clock.advance(1);
    const expires = String(Math.floor(t.clock.nowMs() / 1000) + 60);
    const res = await api().post('/v1/auth/ticket/login').set('X-Forwarded-For', CLIENT).send({ user: 'ada', expires, signature: signTicket('x'.repeat(40), 'ada', expires), appid: APPID });
    expect(res.status).toBe(401);
    const failed = (await t.app.get(AuditTrail).list({ type: 'login.failed' }))[0];
    expect(failed).toMatchObject({ method: 'ticket', outcome: 'invalid_credentials', client: CLIENT, app_id: APPID });
  });

  it('loses none of a burst: 150 concurrent refused logins are 150 rows', async () => {
    t.clock.advance(1);
    const since = t.clock.nowMs();
    const expires = String(Math.floor(since / 1000) + 60);
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        api().post('/v1/auth/ticket/login').send({ user: `burst-${i}`, expires, signature: signTicket('y'.repeat(40), `burst-${i}`, expires), appid: APPID }),
      ),
    );
    expect(answers.every((res) => res.status === 401)).toBe(true);
    const rows = await t.app.get(AuditTrail).list({ type: 'login.failed', since, limit: 1000 });
    expect(rows.filter((row) => row.method === 'ticket')).toHaveLength(150);
  });

  it('lists events by user and type for operators (audit:list), newest first, one JSON object a line', async () => {
    const [succeeded] = await t.app.get(AuditTrail).list({ type: 'login.succeeded' });
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', 'src/cli.ts', 'audit:list', '--user', succeeded.user_id!, '--type', 'login.succeeded'],
        { cwd: join(__dirname, '..'), env: { ...process.env, NODE_ENV: 'test' } },
        (error, stdout) => (error ? reject(new Error(error.message)) : resolve(stdout)),
      ),
    );
    const lines = output.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ type: 'login.succeeded', method: 'phone', user_id: succeeded.user_id, occurred_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })]);
  }, 60_000);

  it('forgets events older than AUDIT_RETENTION_DAYS', async () => {
    const before = (await t.app.get(AuditTrail).list({ limit: 1000 })).length;
    expect(before).toBeGreaterThan(0);
    t.clock.advance(91 * 24 * 3600);
    const report = await t.app.get(ExpiredRecordsCleanup).runOnce();
    expect(report).toMatchObject({ auditEvents: before });
    expect(await t.app.get(AuditTrail).list()).toEqual([]);
  });
});

/** What happens to an account after it logged in leaves rows too, without any address, code or password. */
describe('the audit trail: account changes and ended sessions', () => {
  const PHONE = '18005550177';
  const EMAIL = 'grace@example.com';
  const PASSWORD = 'correct horse battery staple';
  const NEW_PASSWORD = 'another horse battery staple';
  let t: TestApp;
  let inbox: SmtpInbox;

  beforeAll(async () => {
    inbox = await new SmtpInbox().start();
    t = await startTestApp({ EMAIL_SENDER: 'smtp', SMTP_URL: inbox.url, EMAIL_FROM: 'Messenger <no-reply@example.com>' });
  });
  afterAll(async () => {
    await t.close();
    await inbox.stop();
  });

  const api = () => request(t.url);
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function phoneLogin(): Promise<{ token: string; userId: string }> {
    t.clock.advance(31);
    expect((await api().post('/v1/auth/otp').send({ phone: PHONE, appid: APPID })).status).toBe(202);
    const res = await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp: t.gateway.lastCodeFor(PHONE) });
    expect(res.status).toBe(200);
    return { token: res.body.token as string, userId: res.body.userId as string };
  }

  /**
   * This user's events but logins, oldest first, as "type method outcome"; the events of one request
   * share a time, so each such group is sorted.
   */
  async function accountEvents(userId: string): Promise<string[][]> {
    const rows = (await t.app.get(AuditTrail).list({ userId, limit: 1000 })).filter((row) => row.type !== 'login.succeeded');
    const times = [...new Set(rows.map((row) => row.occurred_at))].sort((x, y) => x - y);
    return times.map((time) =>
      rows
        .filter((row) => row.occurred_at === time)
        .map((row) => [row.type, row.method ?? '-', row.outcome ?? '-'].join(' '))
        .sort(),
    );
  }

  it('records linking, password change and reset, removal, logout and logging out everywhere', async () => {
    const first = await phoneLogin();
    const second = await phoneLogin();
    // Link an email login (the code comes by mail), then change its password: the other session ends.
    expect((await api().post('/v1/me/identities/email').set(bearer(second.token)).send({ email: EMAIL, password: PASSWORD })).status).toBe(202);
    const linkCode = (await inbox.codeFor(EMAIL)).code;
    expect((await api().post('/v1/me/identities/email/verify').set(bearer(second.token)).send({ email: EMAIL, code: linkCode, password: PASSWORD })).status).toBe(204);
    t.clock.advance(1);
    expect((await api().post('/v1/me/password').set(bearer(second.token)).send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).status).toBe(204);
    expect((await api().get('/v1/me').set(bearer(first.token))).status).toBe(401);
    // Forgotten password: every session ends.
    t.clock.advance(1);
    expect((await api().post('/v1/auth/password/forgot').send({ email: EMAIL })).status).toBe(202);
    const resetCode = (await inbox.codeFor(EMAIL, 2)).code;
    expect((await api().post('/v1/auth/password/reset').send({ email: EMAIL, code: resetCode, password: PASSWORD })).status).toBe(204);
    // A new session removes the email login, logs out, and a last one logs out everywhere.
    const third = await phoneLogin();
    const identities = (await api().get('/v1/me/identities').set(bearer(third.token))).body as Array<{ id: string; method: string }>;
    const email = identities.find((identity) => identity.method === 'email')!;
    t.clock.advance(1);
    expect((await api().delete(`/v1/me/identities/${email.id}`).set(bearer(third.token))).status).toBe(204);
    t.clock.advance(1);
    expect((await api().post('/v1/auth/logout').set(bearer(third.token))).status).toBe(204);
    const fourth = await phoneLogin();
    expect((await api().post('/v1/me/logout-all').set(bearer(fourth.token))).status).toBe(204);

    expect(await accountEvents(first.userId)).toEqual([
      ['identity.linked email -'],
      ['password.changed email -', 'sessions.ended - password-changed'],
      ['password.reset email -', 'sessions.ended - password-reset'],
      ['identity.removed email -'],
      ['sessions.ended - logout'],
      ['sessions.ended - logout-everywhere'],
    ]);
    const text = JSON.stringify(await t.app.get(AuditTrail).list({ limit: 1000 }));
    for (const secret of [PHONE, EMAIL, PASSWORD, NEW_PASSWORD, linkCode, resetCode, first.token, fourth.token]) expect(text).not.toContain(secret);
  });
});
