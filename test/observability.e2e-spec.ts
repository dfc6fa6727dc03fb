import request from 'supertest';
import { AuditTrail } from '../src/audit/audit-trail';
import { signTicket } from '../src/methods/ticket/ticket-verifier';
import { UsernameAccountsService } from '../src/methods/username/username-accounts.service';
import { SmtpInbox } from './support/smtp-inbox';
import { APP_TOKEN, startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const METRICS_TOKEN = 'observability-metrics-key-0123456789abcdef';
const TICKET_SECRET = 'observability-ticket-secret-0123456789abcdef';
const OTP_SECRET = 'e2e-otp-secret-that-is-long-enough-0123';
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a different horse battery staple';
const USERNAME_PASSWORD = 'username horse battery staple';

type Entry = Record<string, unknown>;

/**
 * What an operator sees of a request: its line in the log (with the request id the client sent or
 * was given), its row in the audit trail, and its count in the metrics; and never a secret, at the
 * most verbose log level (the test apps log at `trace`).
 */
describe('logs, audit and metrics of one request', () => {
  let t: TestApp;
  let inbox: SmtpInbox;

  beforeAll(async () => {
    inbox = await new SmtpInbox().start();
    t = await startTestApp({
      METRICS_TOKEN,
      TICKET_LOGIN_SECRET: TICKET_SECRET,
      USERNAME_LOGIN: 'true',
      EMAIL_SENDER: 'smtp',
      SMTP_URL: inbox.url,
      EMAIL_FROM: 'Messenger <no-reply@example.com>',
    });
  });
  afterAll(async () => {
    await t.close();
    await inbox.stop();
  });

  const api = () => request(t.url);
  const entries = (): Entry[] => t.logs.entries();
  /** The one request line of that request id. */
  const requestLine = (id: string): Entry | undefined => entries().find((entry) => entry.reqId === id && typeof entry.status === 'number');
  async function metric(series: string): Promise<number> {
    const text = (await api().get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`)).text;
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  }
  const auditRows = () => t.app.get(AuditTrail).list({ limit: 1000 });

  it('a login, a wrong code and a rate limit: each a log line with its request id, an audit row and a metric', async () => {
    const phone = '18005550188';
    const before = {
      success: await metric('logins_total{method="phone",outcome="success"}'),
      wrong: await metric('logins_total{method="phone",outcome="invalid_code"}'),
      limit: await metric('limit_refusals_total{kind="otp-cooldown"}'),
    };
    expect((await api().post('/v1/auth/otp').set('X-Request-Id', 'send-1').send({ phone, appid: APPID })).status).toBe(202);
    const limited = await api().post('/v1/auth/otp').set('X-Request-Id', 'send-2').send({ phone, appid: APPID });
    const code = t.gateway.lastCodeFor(phone);
    const wrong = await api().post('/v1/auth/otp/verify').set('X-Request-Id', 'verify-wrong').send({ phone, appid: APPID, otp: code === '000000' ? '111111' : '000000' });
    const login = await api().post('/').set('X-Request-Id', 'login-op').send({ op: 'login', phone, appid: APPID, otp: code });

    // The id comes back in the answer.
    expect([limited.status, limited.headers['x-request-id']]).toEqual([429, 'send-2']);
    expect([wrong.status, wrong.headers['x-request-id']]).toEqual([401, 'verify-wrong']);
    expect([login.body.result, login.headers['x-request-id']]).toEqual(['OK', 'login-op']);
    // One line each: method, route pattern, status, duration; no body.
    expect(requestLine('send-2')).toMatchObject({ method: 'POST', route: '/v1/auth/otp', status: 429, ms: expect.any(Number), level: 30 });
    expect(requestLine('verify-wrong')).toMatchObject({ method: 'POST', route: '/v1/auth/otp/verify', status: 401 });
    expect(requestLine('login-op')).toMatchObject({ method: 'POST', route: '/', status: 200 });
    expect(entries().filter((entry) => entry.reqId === 'login-op' && typeof entry.status === 'number')).toHaveLength(1);
    // Audit rows.
    const rows = await auditRows();
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'limit.hit', outcome: 'otp-cooldown' }),
        expect.objectContaining({ type: 'login.failed', method: 'phone', outcome: 'invalid_code' }),
        expect.objectContaining({ type: 'login.succeeded', method: 'phone', user_id: expect.any(String) }),
      ]),
    );
    // Metrics.
    expect(await metric('logins_total{method="phone",outcome="success"}')).toBe(before.success + 1);
    expect(await metric('logins_total{method="phone",outcome="invalid_code"}')).toBe(before.wrong + 1);
    expect(await metric('limit_refusals_total{kind="otp-cooldown"}')).toBe(before.limit + 1);
  });

  it('makes an id when the client sends none or one that could break a line, and puts it on every line of the request', async () => {
    const made = await api().get('/v1/me').set('Authorization', 'Bearer not-a-token');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    for (const bad of ['has space', 'x'.repeat(129), 'quote"d', 'new\\nline']) {
      const res = await api().get('/health/live').set('X-Request-Id', bad);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    // A line logged while serving a request (mesibo refusing the App Token) carries that request's id.
    t.mesibo.setFault('authfail');
    try {
      const phone = '18005550199';
      await api().post('/v1/auth/otp').send({ phone, appid: APPID });
      const failed = await api().post('/v1/auth/otp/verify').set('X-Request-Id', 'mesibo-refuses').send({ phone, appid: APPID, otp: t.gateway.lastCodeFor(phone) });
      expect(failed.status).toBeGreaterThanOrEqual(500);
      const lines = entries().filter((entry) => entry.reqId === 'mesibo-refuses');
      expect(lines.length).toBeGreaterThan(1);
      expect(lines.some((entry) => typeof entry.context === 'string' && entry.level as number >= 40)).toBe(true);
      expect(requestLine('mesibo-refuses')).toMatchObject({ status: failed.status, level: 50 });
    } finally {
      t.mesibo.setFault('none');
    }
  });

  it('logs none of the secrets of any login method, at the most verbose level', async () => {
    const secrets: string[] = [APP_TOKEN, OTP_SECRET, TICKET_SECRET, PASSWORD, NEW_PASSWORD, USERNAME_PASSWORD];
    const seen = (value: unknown) => secrets.push(String(value));
    // Phone, both surfaces.
    const phone = '18005550111';
    t.clock.advance(60);
    await api().post('/').send({ op: 'login', phone, appid: APPID });
    const code = t.gateway.lastCodeFor(phone);
    seen(code);
    const op = await api().post('/').set('Authorization', 'Bearer header-secret-0123456789').set('Cookie', 'session=cookie-secret-0123456789').send({ op: 'login', phone, appid: APPID, otp: code });
    seen(op.body.token);
    secrets.push('header-secret-0123456789', 'cookie-secret-0123456789');
    // Email: register, confirm, log in, change the password, reset it.
    const email = 'observed@example.com';
    await api().post('/v1/auth/email/register').send({ email, password: PASSWORD });
    const confirmCode = (await inbox.codeFor(email)).code;
    seen(confirmCode);
    expect((await api().post('/v1/auth/email/verify').send({ email, code: confirmCode, password: PASSWORD })).status).toBe(204);
    const emailLogin = await api().post('/v1/auth/email/login').send({ email, password: PASSWORD, appid: APPID });
    seen(emailLogin.body.token);
    await api().post('/v1/me/password').auth(emailLogin.body.token as string, { type: 'bearer' }).send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    await api().post('/v1/auth/email/login').send({ email, password: 'a wrong guess at it', appid: APPID });
    secrets.push('a wrong guess at it');
    await api().post('/v1/auth/password/forgot').send({ email });
    const resetCode = (await inbox.codeFor(email, 2)).code;
    seen(resetCode);
    await api().post('/v1/auth/password/reset').send({ email, code: resetCode, password: PASSWORD });
    // Username and the signed ticket.
    await t.app.get(UsernameAccountsService).create('observer', USERNAME_PASSWORD);
    const username = await api().post('/').send({ op: 'login', method: 'username', username: 'observer', password: USERNAME_PASSWORD, appid: APPID });
    seen(username.body.token);
    const expires = String(Math.floor(t.clock.nowMs() / 1000) + 60);
    const signature = signTicket(TICKET_SECRET, 'observer-ticket', expires);
    seen(signature);
    const ticket = await api().post('/v1/auth/ticket/login').send({ user: 'observer-ticket', expires, signature, appid: APPID });
    seen(ticket.body.token);
    // Logging out sends the token in the body (op API) and in the header (REST).
    await api().post('/').send({ op: 'logout', token: op.body.token as string });
    await api().post('/v1/auth/logout').auth(ticket.body.token as string, { type: 'bearer' });

    expect(secrets.every((secret) => secret.length >= 6)).toBe(true);
    const log = t.logs.lines.join('\n');
    expect(t.logs.lines.length).toBeGreaterThan(50);
    for (const secret of secrets) expect({ secret, logged: log.includes(secret) }).toEqual({ secret, logged: false });
  });
});
