import request from 'supertest';
import { SmtpInbox } from './support/smtp-inbox';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Nobody learns from an answer which addresses have accounts. Every endpoint a stranger can call,
 * and the linking endpoints, are called for a confirmed address, an address waiting for its code,
 * and an address nobody registered, in the same way, and must answer byte for byte the same:
 * status, the headers that carry meaning, and body (the op API's `ts` aside).
 */
const APPID = 'com.mesibo.firstapp';
const OWNERS_PASSWORD = 'correct horse battery staple';
const PROBE_PASSWORD = 'a stranger probing addresses';
const WEAK_PASSWORD = 'password1';
const WRONG_CODE = '000000';

type State = 'confirmed' | 'unconfirmed' | 'unknown';
const STATES: State[] = ['confirmed', 'unconfirmed', 'unknown'];
const ADDRESS: Record<State, string> = { confirmed: 'ada@example.com', unconfirmed: 'bob@example.org', unknown: 'carol@example.net' };

/** What a client sees of an answer. */
interface Answer {
  status: number;
  contentType?: string;
  retryAfter?: string;
  wwwAuthenticate?: string;
  body: string;
}

function answerOf(res: request.Response): Answer {
  return {
    status: res.status,
    contentType: res.headers['content-type'],
    retryAfter: res.headers['retry-after'],
    wwwAuthenticate: res.headers['www-authenticate'],
    body: res.text,
  };
}

/** An op API answer without its `ts`, the one field that may differ between two calls. */
function opAnswerOf(res: request.Response): Answer {
  return { ...answerOf(res), body: res.text.replace(/"ts":\d+,?/, '') };
}

describe('the same answers for confirmed, unconfirmed and unknown email addresses', () => {
  let t: TestApp;
  let inbox: SmtpInbox;
  /** A user logged in by phone, who links email addresses. */
  let linker: string;

  beforeEach(async () => {
    inbox = await new SmtpInbox().start();
    t = await startTestApp({
      EMAIL_SENDER: 'smtp',
      SMTP_URL: inbox.url,
      EMAIL_FROM: 'Messenger <no-reply@example.com>',
      // Many requests from one client: only the limits per address are under test here.
      THROTTLE_LIMIT: '100000',
    });

    // Ada confirmed her address; Bob registered his and has a code waiting; nobody registered Carol's.
    expect((await register(ADDRESS.confirmed, OWNERS_PASSWORD)).status).toBe(202);
    const { code } = await inbox.codeFor(ADDRESS.confirmed);
    expect((await api().post('/v1/auth/email/verify').send({ email: ADDRESS.confirmed, code, password: OWNERS_PASSWORD })).status).toBe(204);
    expect((await register(ADDRESS.unconfirmed, OWNERS_PASSWORD)).status).toBe(202);
    await inbox.codeFor(ADDRESS.unconfirmed);

    expect((await api().post('/v1/auth/otp').send({ phone: '18005551234', appid: APPID })).status).toBe(202);
    const phoneLogin = await api().post('/v1/auth/otp/verify').send({ phone: '18005551234', appid: APPID, otp: t.gateway.lastCodeFor('18005551234') });
    linker = phoneLogin.body.token as string;
    // Past every resend cooldown, so a stranger's requests below do send codes where they would.
    t.clock.advance(31);
  }, 30_000);

  afterEach(async () => {
    await t.close();
    await inbox.stop();
  });

  const api = () => request(t.url);
  const register = (email: string, password: string) => api().post('/v1/auth/email/register').send({ email, password, name: 'Mallory' });
  const restLogin = (email: string, password: string) => api().post('/v1/auth/email/login').send({ email, password, appid: APPID });
  const opLogin = (email: string, password: string) => api().post('/').send({ op: 'login', email, password, appid: APPID });

  /** Calls `call` for each address in turn, expects the three answers equal, and returns it. */
  async function sameFor(call: (email: string) => Promise<Answer>): Promise<Answer> {
    const answers = new Map<State, Answer>();
    for (const state of STATES) answers.set(state, await call(ADDRESS[state]));
    expect(answers.get('unconfirmed')).toEqual(answers.get('confirmed'));
    expect(answers.get('unknown')).toEqual(answers.get('confirmed'));
    return answers.get('confirmed')!;
  }

  /**
   * Sends `attempt` for each address until it is no longer refused with 401 (at most 200 times),
   * expects the three sequences of statuses equal and ending in 429.
   */
  async function sameUntilRefused(attempt: (email: string) => Promise<request.Response>): Promise<void> {
    const attempts = new Map<State, string[]>();
    for (const state of STATES) {
      const statuses: string[] = [];
      let last: request.Response;
      do {
        last = await attempt(ADDRESS[state]);
        statuses.push(String(last.status));
      } while (last.status === 401 && statuses.length < 200);
      attempts.set(state, statuses);
    }
    expect(attempts.get('confirmed')?.at(-1)).toBe('429');
    expect(attempts.get('unconfirmed')).toEqual(attempts.get('confirmed'));
    expect(attempts.get('unknown')).toEqual(attempts.get('confirmed'));
  }

  /** A stranger registers every address with a password of their own, and waits for the codes that go out. */
  async function strangerRegistersAll(): Promise<void> {
    const before = { unconfirmed: inbox.count(ADDRESS.unconfirmed), unknown: inbox.count(ADDRESS.unknown) };
    for (const state of STATES) expect((await register(ADDRESS[state], PROBE_PASSWORD)).status).toBe(202);
    await inbox.codeFor(ADDRESS.unconfirmed, before.unconfirmed + 1);
    await inbox.codeFor(ADDRESS.unknown, before.unknown + 1);
  }

  it('register: the same 202, and a code only to addresses not confirmed yet; the same 400 for a weak password', async () => {
    const sentToAda = inbox.count(ADDRESS.confirmed);

    const accepted = await sameFor(async (email) => answerOf(await register(email, PROBE_PASSWORD)));
    expect(accepted.status).toBe(202);
    await inbox.codeFor(ADDRESS.unconfirmed, 2);
    await inbox.codeFor(ADDRESS.unknown, 1);
    expect(inbox.count(ADDRESS.confirmed)).toBe(sentToAda);

    const weak = await sameFor(async (email) => answerOf(await register(email, WEAK_PASSWORD)));
    expect([weak.status, JSON.parse(weak.body).code]).toEqual([400, 'weak_password']);
  });

  it('verify: the same 401 for a wrong code, whether a code is waiting or none was ever sent; the same 400 for a weak password', async () => {
    const verify = (email: string, password = PROBE_PASSWORD) => api().post('/v1/auth/email/verify').send({ email, code: WRONG_CODE, password });

    const refused = await sameFor(async (email) => answerOf(await verify(email)));
    expect([refused.status, JSON.parse(refused.body).code]).toEqual([401, 'invalid_code']);

    // Now codes wait for Bob's and Carol's addresses, and none for Ada's.
    await strangerRegistersAll();
    await expect(sameFor(async (email) => answerOf(await verify(email)))).resolves.toEqual(refused);
    const weak = await sameFor(async (email) => answerOf(await verify(email, WEAK_PASSWORD)));
    expect([weak.status, JSON.parse(weak.body).code]).toEqual([400, 'weak_password']);
  });

  it('verify: wrong codes run out after as many tries for each address, whether a code is waiting or not, with the same 429', async () => {
    // Past the wrong-code window that Ada's own (right) code opened in beforeEach: a right code gives
    // its unit back but leaves the window's end, which Retry-After would show.
    t.clock.advance(3600);
    await strangerRegistersAll();

    await sameUntilRefused((email) => api().post('/v1/auth/email/verify').send({ email, code: WRONG_CODE, password: PROBE_PASSWORD }));

    const refused = await sameFor(async (email) =>
      answerOf(await api().post('/v1/auth/email/verify').send({ email, code: WRONG_CODE, password: PROBE_PASSWORD })),
    );
    expect([refused.status, JSON.parse(refused.body).code]).toEqual([429, 'rate_limited']);
  }, 60_000);

  it("login, REST and op API: the same refusal of a wrong password and of the stranger's own registration password", async () => {
    await strangerRegistersAll();

    for (const password of ['not the password at all', PROBE_PASSWORD]) {
      const rest = await sameFor(async (email) => answerOf(await restLogin(email, password)));
      expect(rest.status).toBe(401);
      expect(JSON.parse(rest.body)).toMatchObject({ code: 'invalid_credentials', detail: 'Wrong email or password, or the address is not confirmed yet.' });

      const op = await sameFor(async (email) => opAnswerOf(await opLogin(email, password)));
      expect(op.status).toBe(200);
      expect(JSON.parse(op.body)).toEqual({
        op: 'login',
        error: 'BADLOGIN',
        errmsg: 'Wrong email or password, or the address is not confirmed yet.',
        result: 'FAIL',
      });
    }
  });

  it("login: the stranger's tries run out after as many attempts for each address, with the same 429 on both surfaces", async () => {
    await strangerRegistersAll();

    await sameUntilRefused((email) => restLogin(email, PROBE_PASSWORD));

    const rest = await sameFor(async (email) => answerOf(await restLogin(email, PROBE_PASSWORD)));
    expect(rest.status).toBe(429);
    const op = await sameFor(async (email) => opAnswerOf(await opLogin(email, PROBE_PASSWORD)));
    expect(JSON.parse(op.body)).toMatchObject({ error: 'RATELIMITED', result: 'FAIL' });
  }, 60_000);

  it('password forgot and reset: the same 202, then the same 401 for a wrong code and the same 400 for a weak password', async () => {
    const forgot = await sameFor(async (email) => answerOf(await api().post('/v1/auth/password/forgot').send({ email })));
    expect(forgot.status).toBe(202);
    // Codes went to the two addresses with an account; what reaches a mailbox only its owner sees.
    await inbox.codeFor(ADDRESS.confirmed, 2);
    await inbox.codeFor(ADDRESS.unconfirmed, 2);

    const reset = (email: string, password: string) => api().post('/v1/auth/password/reset').send({ email, code: WRONG_CODE, password });
    const refused = await sameFor(async (email) => answerOf(await reset(email, 'a brand new passphrase')));
    expect([refused.status, JSON.parse(refused.body).code]).toEqual([401, 'invalid_code']);
    const weak = await sameFor(async (email) => answerOf(await reset(email, WEAK_PASSWORD)));
    expect([weak.status, JSON.parse(weak.body).code]).toEqual([400, 'weak_password']);
    expect(inbox.count(ADDRESS.unknown)).toBe(0);
  });

  it("link start: the same 202 for any acceptable password (a confirmed account's password is not checked), the same 400 for a weak one", async () => {
    const start = (email: string, password: string) => api().post('/v1/me/identities/email').auth(linker, { type: 'bearer' }).send({ email, password });

    const started = await sameFor(async (email) => answerOf(await start(email, 'not the password at all')));
    expect(started.status).toBe(202);
    // A code goes to every address: the link is finished only with it.
    await inbox.codeFor(ADDRESS.confirmed, 2);
    await inbox.codeFor(ADDRESS.unconfirmed, 2);
    await inbox.codeFor(ADDRESS.unknown, 1);

    t.clock.advance(31);
    await expect(sameFor(async (email) => answerOf(await start(email, OWNERS_PASSWORD)))).resolves.toEqual(started);
    const weak = await sameFor(async (email) => answerOf(await start(email, WEAK_PASSWORD)));
    expect([weak.status, JSON.parse(weak.body).code]).toEqual([400, 'weak_password']);
  });

  it('link verify: the same 401 for a wrong code, before and after codes were sent', async () => {
    const verify = (email: string) =>
      api().post('/v1/me/identities/email/verify').auth(linker, { type: 'bearer' }).send({ email, code: WRONG_CODE, password: PROBE_PASSWORD });

    const refused = await sameFor(async (email) => answerOf(await verify(email)));
    expect([refused.status, JSON.parse(refused.body).code]).toEqual([401, 'invalid_code']);

    for (const state of STATES) {
      expect((await api().post('/v1/me/identities/email').auth(linker, { type: 'bearer' }).send({ email: ADDRESS[state], password: PROBE_PASSWORD })).status).toBe(202);
    }
    await inbox.codeFor(ADDRESS.unknown, 1);
    await expect(sameFor(async (email) => answerOf(await verify(email)))).resolves.toEqual(refused);
    const identities = await api().get('/v1/me/identities').auth(linker, { type: 'bearer' });
    expect(identities.body).toHaveLength(1);
  });
});
