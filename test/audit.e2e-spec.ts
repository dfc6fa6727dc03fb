import { execFile } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { AuditTrail } from '../src/audit/audit-trail';
import { AuditEventRow } from '../src/database/schema';
import { ExpiredRecordsCleanup } from '../src/maintenance/expired-records-cleanup';
import { signTicket } from '../src/methods/ticket/ticket-verifier';
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
