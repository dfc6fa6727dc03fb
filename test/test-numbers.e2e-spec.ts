import request from 'supertest';
import { AuditTrail } from '../src/audit/audit-trail';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
/** A number libphonenumber calls valid, and one from a range no real number has (area code 555). */
const REVIEWER = '12015550142';
const FICTIONAL = '15555550100';
/** Test number until the end of the test clock's first day (2026-01-01 UTC). */
const EXPIRING = '12015550143';

/** Test numbers: no SMS, the fixed code, and every other limit of a phone login. */
describe('test numbers (OTP_TEST_NUMBERS)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      OTP_TEST_NUMBERS: `${REVIEWER}:424242,+${FICTIONAL}:535353,${EXPIRING}:646464:2026-01-01`,
      OTP_MAX_FAILURES_PER_CLIENT_PER_WINDOW: '3',
      // One SMS an hour in all: test numbers must not spend it.
      SMS_MAX_PER_HOUR: '1',
    });
  });
  afterAll(() => t.close());

  const api = () => request(t.url);
  const sent = (to: string) => t.gateway.messages.filter((message) => message.to === to).length;

  it('logs in with the fixed code on both surfaces, and no SMS goes out', async () => {
    expect((await api().post('/v1/auth/otp').send({ phone: `+${REVIEWER}`, appid: APPID })).status).toBe(202);
    const rest = await api().post('/v1/auth/otp/verify').send({ phone: REVIEWER, appid: APPID, otp: '424242' });
    expect([rest.status, rest.body.address]).toEqual([200, REVIEWER]);

    expect((await api().post('/').send({ op: 'login', phone: FICTIONAL, appid: APPID })).body.result).toBe('OK');
    const op = await api().post('/').send({ op: 'login', phone: FICTIONAL, appid: APPID, otp: '535353' });
    expect(op.body).toMatchObject({ result: 'OK', phone: FICTIONAL, token: expect.any(String) });
    expect(sent(REVIEWER) + sent(FICTIONAL)).toBe(0);
  });

  it('keeps every other limit: the resend cooldown, the wrong-code budget and the tries of one code', async () => {
    t.clock.advance(31);
    expect((await api().post('/v1/auth/otp').send({ phone: REVIEWER, appid: APPID })).status).toBe(202);
    expect((await api().post('/v1/auth/otp').send({ phone: REVIEWER, appid: APPID })).status).toBe(429);
    // A burst of wrong codes from one client: its budget of 3, then 429; the right code is then refused too.
    const answers = await Promise.all(
      Array.from({ length: 60 }, () => api().post('/v1/auth/otp/verify').send({ phone: REVIEWER, appid: APPID, otp: '000000' }).then((res) => res.status)),
    );
    expect(answers.filter((status) => status === 401)).toHaveLength(3);
    expect(answers.filter((status) => status === 429)).toHaveLength(57);
    expect((await api().post('/v1/auth/otp/verify').send({ phone: REVIEWER, appid: APPID, otp: '424242' })).status).toBe(429);
  });

  it('spends none of the SMS budget: a real number still gets its code', async () => {
    expect((await api().post('/v1/auth/otp').send({ phone: '14155550123', appid: APPID })).status).toBe(202);
    expect(sent('14155550123')).toBe(1);
  });

  it('is an ordinary number after its end date, and a fictional number is refused when not listed', async () => {
    expect((await api().post('/v1/auth/otp').send({ phone: EXPIRING, appid: APPID })).status).toBe(202);
    expect(sent(EXPIRING)).toBe(0);
    t.clock.advance(24 * 3600);
    // A day later (and a new hour of SMS budget), a real code is sent, and the fixed one is refused.
    expect((await api().post('/v1/auth/otp').send({ phone: EXPIRING, appid: APPID })).status).toBe(202);
    expect(sent(EXPIRING)).toBe(1);
    const fixed = await api().post('/v1/auth/otp/verify').send({ phone: EXPIRING, appid: APPID, otp: '646464' });
    expect(fixed.status).toBe(t.gateway.lastCodeFor(EXPIRING) === '646464' ? 200 : 401);

    const unlisted = await api().post('/v1/auth/otp').send({ phone: '15555550101', appid: APPID });
    expect([unlisted.status, unlisted.body.code]).toEqual([400, 'invalid_phone']);
  });

  it('audits each use, without the number or the code', async () => {
    const rows = await t.app.get(AuditTrail).list({ limit: 1000 });
    expect(rows.filter((row) => row.type === 'code.requested' && row.outcome === 'test-number').length).toBeGreaterThanOrEqual(4);
    expect(rows.filter((row) => row.type === 'test-number.used')).toHaveLength(2);
    const text = JSON.stringify(rows);
    for (const secret of [REVIEWER, FICTIONAL, '424242', '535353']) expect(text).not.toContain(secret);
  });
});
