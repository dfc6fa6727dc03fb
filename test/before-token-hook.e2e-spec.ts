import request from 'supertest';
import { AuditTrail } from '../src/audit/audit-trail';
import { signTicket } from '../src/methods/ticket/ticket-verifier';
import { startTestApp, TestApp } from './support/test-app';
import { hasValidSignature, ReceivedCall, ReceiverAnswer, WebhookReceiver } from './support/webhook-receiver';

const APPID = 'com.mesibo.firstapp';
const TICKET_SECRET = 'hook-ticket-secret-0123456789-0123456789-ab';
const HOOK_SECRET = `whsec_${Buffer.from('before-token-hook-key-of-the-owner!').toString('base64')}`;
const TIMEOUT_MS = 300;

interface HookCall {
  type: string;
  timestamp: string;
  data: { method: string; subject: string; address: string; displayName: string | null; verified: boolean; appId: string; device: string | null; newUser: boolean; userId: string | null };
}

const hookCallOf = (call: ReceivedCall) => JSON.parse(call.body) as HookCall;
const json = (body: unknown, status = 200): ReceiverAnswer => ({ status, body: JSON.stringify(body) });

/** A hook service for one app: its receiver, the app, and logins through both surfaces. */
async function startWithHook(failure: 'closed' | 'open'): Promise<{ hook: WebhookReceiver; t: TestApp }> {
  const hook = await new WebhookReceiver().start();
  const t = await startTestApp({
    BEFORE_TOKEN_HOOK_URL: hook.url,
    BEFORE_TOKEN_HOOK_SECRET: HOOK_SECRET,
    BEFORE_TOKEN_HOOK_TIMEOUT_MS: String(TIMEOUT_MS),
    BEFORE_TOKEN_HOOK_FAILURE: failure,
    TICKET_LOGIN_SECRET: TICKET_SECRET,
    OTP_TEST_NUMBERS: '12015550142:424242',
  });
  return { hook, t };
}

function ticketFor(t: TestApp, user: string, fresh = true) {
  // Single use: every ticket of a user is signed a second later than the last.
  if (fresh) t.clock.advance(1);
  const expires = String(Math.floor(t.clock.nowMs() / 1000) + 60);
  return { user, expires, signature: signTicket(TICKET_SECRET, user, expires), appid: APPID };
}

const restLogin = (t: TestApp, user: string, extra: Record<string, string> = {}) => request(t.url).post('/v1/auth/ticket/login').send({ ...ticketFor(t, user), ...extra });
const opLogin = (t: TestApp, user: string) => request(t.url).post('/').send({ op: 'login', method: 'ticket', ...ticketFor(t, user) });

describe('the before-token hook (BEFORE_TOKEN_HOOK_FAILURE=closed)', () => {
  let hook: WebhookReceiver;
  let t: TestApp;

  beforeAll(async () => ({ hook, t } = await startWithHook('closed')));
  afterAll(async () => {
    await t.close();
    await hook.stop();
  });
  beforeEach(() => {
    hook.calls.length = 0;
    hook.answer = () => json({ allow: true });
  });

  const mesiboLogins = () => t.mesibo.requests.filter((req) => req.op === 'useradd').length;

  it('is asked, signed, with the proven identity before mesibo, and lets the login through', async () => {
    const res = await restLogin(t, 'ada', { device: 'pixel-8' });
    expect(res.status).toBe(200);
    expect(hook.calls).toHaveLength(1);
    const [call] = hook.calls;
    expect(await hasValidSignature(call, HOOK_SECRET)).toBe(true);
    expect(call.headers['webhook-timestamp']).toBe(String(Math.floor(t.clock.nowMs() / 1000)));
    expect(hookCallOf(call)).toEqual({
      type: 'login.before-token',
      timestamp: new Date(t.clock.nowMs()).toISOString(),
      data: { method: 'ticket', subject: 'ada', address: 'ada', displayName: null, verified: false, appId: APPID, device: 'pixel-8', newUser: true, userId: null },
    });
    expect(JSON.stringify(call)).not.toContain(TICKET_SECRET);

    // The second login of that user: not new, and the hook learns who it is.
    expect((await restLogin(t, 'ada')).status).toBe(200);
    expect(hookCallOf(hook.calls[1]).data).toMatchObject({ newUser: false, userId: res.body.userId, device: null });
  });

  it('refuses with the message the hook gives, on both surfaces, and mesibo is never asked', async () => {
    hook.answer = () => json({ allow: false, message: 'Your subscription has ended. Renew it at example.org.' });
    const before = mesiboLogins();
    const rest = await restLogin(t, 'grace');
    expect(rest.status).toBe(403);
    expect(rest.body).toMatchObject({ code: 'login_refused', detail: 'Your subscription has ended. Renew it at example.org.' });
    const op = await opLogin(t, 'grace');
    expect(op.status).toBe(200);
    expect(op.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'REFUSED', errmsg: 'Your subscription has ended. Renew it at example.org.' });
    expect(op.body.token).toBeUndefined();
    expect(mesiboLogins()).toBe(before);
    expect(t.mesibo.users.has('grace')).toBe(false);
    const refusals = await t.app.get(AuditTrail).list({ type: 'login.failed' });
    expect(refusals.filter((row) => row.outcome === 'login_refused' && row.method === 'ticket')).toHaveLength(2);

    // Without a message of its own, the user gets ours.
    hook.answer = () => json({ allow: false });
    const plain = await restLogin(t, 'grace');
    expect([plain.status, plain.body.code, plain.body.detail]).toEqual([403, 'login_refused', 'The app owner does not allow this login.']);
  });

  it('refuses a phone login too, and the code can be used again once the hook allows it', async () => {
    hook.answer = () => json({ allow: false, message: 'Not yet.' });
    await request(t.url).post('/v1/auth/otp').send({ phone: '12015550142', appid: APPID });
    const refused = await request(t.url).post('/v1/auth/otp/verify').send({ phone: '12015550142', appid: APPID, otp: '424242' });
    expect([refused.status, refused.body.code]).toEqual([403, 'login_refused']);
    expect(hookCallOf(hook.calls[0]).data).toMatchObject({ method: 'phone', subject: '12015550142', address: '12015550142', verified: true });
    hook.answer = () => json({ allow: true });
    const allowed = await request(t.url).post('/v1/auth/otp/verify').send({ phone: '12015550142', appid: APPID, otp: '424242' });
    expect(allowed.status).toBe(200);
  });

  it.each<[string, () => ReceiverAnswer]>([
    ['answers after the time-out', () => ({ ...json({ allow: true }), delayMs: TIMEOUT_MS * 3 })],
    ['answers HTTP 500', () => json({ allow: true }, 500)],
    ['answers 200 with HTML', () => ({ status: 200, body: '<html>Gateway</html>' })],
    ['answers with allow as a string', () => json({ allow: 'yes' })],
    ['answers more than 16 KB', () => json({ allow: true, padding: 'x'.repeat(20_000) })],
    ['chooses an address with a line break', () => json({ allow: true, address: 'evil\nline' })],
  ])('refuses the login with 503 login_hook_unavailable when the hook %s', async (_case, answer) => {
    hook.answer = answer;
    const before = mesiboLogins();
    const started = Date.now();
    const rest = await restLogin(t, 'linus');
    expect([rest.status, rest.body.code]).toEqual([503, 'login_hook_unavailable']);
    // The time-out holds: never much longer than BEFORE_TOKEN_HOOK_TIMEOUT_MS.
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1500);
    const op = await opLogin(t, 'linus');
    expect(op.body).toMatchObject({ result: 'FAIL', error: 'UNAVAILABLE', errmsg: expect.any(String) });
    expect(mesiboLogins()).toBe(before);
  });

  it('refuses with 503 while the hook is down, and lets logins through once it is back', async () => {
    await hook.stop();
    try {
      const rest = await restLogin(t, 'margaret');
      expect([rest.status, rest.body.code]).toEqual([503, 'login_hook_unavailable']);
    } finally {
      await hook.start();
    }
    expect((await restLogin(t, 'margaret')).status).toBe(200);
  });

  it("sets a new user's mesibo address and name, and an existing user's name only", async () => {
    hook.answer = () => json({ allow: true, address: 'team-42:barbara', name: 'Barbara L.' });
    const first = await restLogin(t, 'barbara');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ address: 'team-42:barbara', newUser: true });
    expect(t.mesibo.users.get('team-42:barbara')).toMatchObject({ name: 'Barbara L.' });
    expect(t.mesibo.users.has('barbara')).toBe(false);

    hook.answer = () => json({ allow: true, address: 'somewhere-else', name: 'Barbara Liskov' });
    const again = await restLogin(t, 'barbara');
    expect(again.body).toMatchObject({ address: 'team-42:barbara', newUser: false, userId: first.body.userId });
    expect(t.mesibo.users.get('team-42:barbara')).toMatchObject({ name: 'Barbara Liskov' });
    expect(t.mesibo.users.has('somewhere-else')).toBe(false);
  });

  it("never gives an unverified login an address proven by codes, nor another user's address", async () => {
    hook.answer = () => json({ allow: true, address: '+12015550142' });
    const phone = await restLogin(t, 'mallory');
    expect([phone.status, phone.body.code]).toEqual([403, 'address_not_allowed']);
    hook.answer = () => json({ allow: true, address: 'Mallory@Example.org' });
    expect((await restLogin(t, 'mallory')).body.code).toBe('address_not_allowed');
    // 'ada' is a user (the first test): a hook cannot hand her account to someone else.
    hook.answer = () => json({ allow: true, address: 'ada' });
    const taken = await restLogin(t, 'mallory');
    expect([taken.status, taken.body.code]).toEqual([409, 'identity_in_use']);
    expect(t.mesibo.users.has('mallory')).toBe(false);
  });

  it('asks the hook exactly once for each of 200 concurrent logins, on both surfaces', async () => {
    hook.answer = (call) => {
      const { subject } = hookCallOf(call).data;
      return Number(subject.split('-')[1]) % 10 === 0 ? json({ allow: false, message: `no ${subject}` }) : json({ allow: true, name: `Burst ${subject}` });
    };
    const users = Array.from({ length: 200 }, (_, i) => `burst-${i}`);
    const tickets = users.map((user) => ticketFor(t, user, false));
    const answers = await Promise.all(
      tickets.map((ticket, i) =>
        i % 2 === 0
          ? request(t.url).post('/v1/auth/ticket/login').send(ticket).then((res) => (res.status === 200 ? 'ok' : `${res.status} ${res.body.detail}`))
          : request(t.url).post('/').send({ op: 'login', method: 'ticket', ...ticket }).then((res) => (res.body.result === 'OK' ? 'ok' : `${res.body.error} ${res.body.errmsg}`)),
      ),
    );
    const expected = users.map((user, i) => (i % 10 === 0 ? `${i % 2 === 0 ? '403' : 'REFUSED'} no ${user}` : 'ok'));
    expect(answers).toEqual(expected);
    const asked = hook.calls.map((call) => hookCallOf(call).data.subject).sort();
    expect(asked).toEqual([...users].sort());
    for (const call of hook.calls.slice(0, 20)) expect(await hasValidSignature(call, HOOK_SECRET)).toBe(true);
    expect(t.mesibo.users.get('burst-1')).toMatchObject({ name: 'Burst burst-1' });
    expect(t.mesibo.users.has('burst-10')).toBe(false);
  });

  it('says in the log why logins were refused, never with the hook secret', () => {
    const log = t.logs.lines.join('\n');
    expect(log).not.toContain(HOOK_SECRET.slice('whsec_'.length));
    expect(log).toContain('login is refused (BEFORE_TOKEN_HOOK_FAILURE=closed)');
  });
});

describe('the before-token hook with BEFORE_TOKEN_HOOK_FAILURE=open', () => {
  let hook: WebhookReceiver;
  let t: TestApp;

  beforeAll(async () => ({ hook, t } = await startWithHook('open')));
  afterAll(async () => {
    await t.close();
    await hook.stop();
  });

  it('lets the login through, as if there were no hook, when the hook is slow, answers junk or is down', async () => {
    hook.answer = () => ({ ...json({ allow: false, message: 'too late to count' }), delayMs: TIMEOUT_MS * 3 });
    expect((await restLogin(t, 'ada')).status).toBe(200);
    hook.answer = () => ({ status: 200, body: 'not json' });
    expect((await opLogin(t, 'grace')).body).toMatchObject({ result: 'OK', token: expect.any(String) });
    hook.answer = () => json({ allow: true, address: 'x'.repeat(300), name: 'Ignored' });
    const junk = await restLogin(t, 'linus');
    expect(junk.body).toMatchObject({ address: 'linus' });
    expect(t.mesibo.users.get('linus')?.name).not.toBe('Ignored');
    await hook.stop();
    expect((await restLogin(t, 'margaret')).status).toBe(200);
    expect(t.logs.lines.some((line) => line.includes('the login goes on (BEFORE_TOKEN_HOOK_FAILURE=open)'))).toBe(true);
  });

  it('still refuses when the hook answers in time and says no', async () => {
    await hook.start();
    hook.answer = () => json({ allow: false, message: 'Closed for maintenance.' });
    const res = await restLogin(t, 'ada');
    expect([res.status, res.body.detail]).toEqual([403, 'Closed for maintenance.']);
  });
});
