import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { AdminKeysService } from '../src/admin/admin-keys.service';
import { AdminUserPageDto, AuditEventDto } from '../src/admin/dto/admin-responses.dto';
import { AuditTrail } from '../src/audit/audit-trail';
import { signTicket } from '../src/methods/ticket/ticket-verifier';
import { SmtpInbox } from './support/smtp-inbox';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const TICKET_SECRET = 'ticket-secret-of-the-admin-suite-0123456789';
const PASSWORD = 'correct horse battery staple';
const PHONE = '18005551234';
const ALICE = 'alice@example.com';


/** Waits for something another party does (requests reaching a server), checking every few milliseconds. */
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Logs `user` in with a fresh single-use ticket on the instance `url`; `nonce` makes each ticket differ. */
async function ticketLogin(url: string, clockSeconds: number, user: string, nonce = 0): Promise<request.Response> {
  const expires = String(clockSeconds + 60 + nonce);
  return request(url).post('/v1/auth/ticket/login').send({ user, expires, signature: signTicket(TICKET_SECRET, user, expires), appid: APPID });
}

async function phoneLogin(t: TestApp, phone: string): Promise<request.Response> {
  await request(t.url).post('/v1/auth/otp').send({ phone, appid: APPID }).expect(202);
  return request(t.url).post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp: t.gateway.lastCodeFor(phone.replace(/\D/g, '')) });
}

describe('the admin API', () => {
  let t: TestApp;
  let inbox: SmtpInbox;
  let key: string;

  beforeAll(async () => {
    inbox = await new SmtpInbox().start();
    t = await startTestApp({
      USERNAME_LOGIN: 'true',
      TICKET_LOGIN_SECRET: TICKET_SECRET,
      EMAIL_SENDER: 'smtp',
      SMTP_URL: inbox.url,
      EMAIL_FROM: 'Messenger <no-reply@example.com>',
    });
    key = await t.app.get(AdminKeysService).create('ops');
  });
  afterAll(async () => {
    await t.close();
    await inbox.stop();
  });

  const api = () => request(t.url);
  const admin = (method: 'get' | 'post' | 'delete', path: string, withKey = key) => api()[method](path).set('Authorization', `Bearer ${withKey}`);
  const nowSeconds = () => Math.floor(t.clock.nowMs() / 1000);
  /** The ids of the users a search finds (its first page). */
  const ids = async (query: string) => ((await admin('get', `/v1/admin/users?${query}`).expect(200)).body as AdminUserPageDto).users.map((user) => user.id);
  const byAddress = (address: string) => ids(`address=${encodeURIComponent(address)}`);

  it('is in the OpenAPI document: every route under the admin key scheme, answering invalid_token for a bad key', async () => {
    const document = (await api().get('/docs/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { tags: string[]; security: unknown[]; responses: Record<string, { description: string }> }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(document.components.securitySchemes['admin-key']).toMatchObject({ type: 'http', scheme: 'bearer' });
    const routes = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/v1/admin/'))
      .flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation })));
    expect(routes.map(({ route }) => route).sort()).toEqual([
      'DELETE /v1/admin/users/{id}',
      'GET /v1/admin/audit',
      'GET /v1/admin/users',
      'GET /v1/admin/users/{id}',
      'POST /v1/admin/username-accounts',
      'POST /v1/admin/users/{id}/disable',
      'POST /v1/admin/users/{id}/enable',
      'POST /v1/admin/users/{id}/sessions/end',
    ]);
    for (const { route, operation } of routes) {
      expect([route, operation.tags, operation.security]).toEqual([route, ['admin'], [{ 'admin-key': [] }]]);
      expect([route, operation.responses['401']?.description]).toEqual([route, expect.stringContaining('`invalid_token`')]);
    }
  });

  describe('admin keys', () => {
    it('refuses a missing, unknown, malformed or user token key with 401 invalid_token', async () => {
      const user = await ticketLogin(t.url, nowSeconds(), 'key-tester');
      expect(user.status).toBe(200);
      const wrongKeys = [
        undefined,
        `mpb_admin_${randomBytes(32).toString('base64url')}`,
        key.slice(0, -1),
        `${key}x`,
        key.toUpperCase(),
        user.body.token as string,
        'mpb_admin_',
      ];
      for (const wrong of wrongKeys) {
        const req = api().get('/v1/admin/users');
        const res = await (wrong === undefined ? req : req.set('Authorization', `Bearer ${wrong}`));
        expect([wrong, res.status, res.body.code]).toEqual([wrong, 401, 'invalid_token']);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      // The key itself, but not as a bearer token.
      expect((await api().get('/v1/admin/users').set('Authorization', `Basic ${key}`)).status).toBe(401);
      expect((await admin('get', '/v1/admin/users')).status).toBe(200);
    });

    it('stores only a SHA-256 of each key, and records when it was last used', async () => {
      const rows = await t.db.selectFrom('admin_keys').selectAll().execute();
      const ops = rows.find((row) => row.name === 'ops');
      expect(ops?.key_hash).toBe(createHash('sha256').update(key).digest('hex'));
      // Nowhere in the table, whole or in part.
      const secretPart = key.slice('mpb_admin_'.length);
      expect(JSON.stringify(rows)).not.toContain(secretPart);
      expect(JSON.stringify(rows)).not.toContain(secretPart.slice(0, 16));
      expect(key).toMatch(/^mpb_admin_[A-Za-z0-9_-]{43}$/);
      expect(Number(ops?.last_used_at)).toBe(t.clock.nowMs());
    });

    it('stops a revoked key at once, and keeps its name taken', async () => {
      const keys = t.app.get(AdminKeysService);
      const temporary = await keys.create('temporary');
      expect((await admin('get', '/v1/admin/users', temporary)).status).toBe(200);
      await keys.revoke('temporary');
      const res = await admin('get', '/v1/admin/users', temporary);
      expect([res.status, res.body.code]).toEqual([401, 'invalid_token']);
      await expect(keys.create('temporary')).rejects.toMatchObject({ code: 'invalid_request' });
      await expect(keys.revoke('temporary')).rejects.toMatchObject({ code: 'not_found' });
      const audit = (await admin('get', '/v1/admin/audit?type=admin.key-revoked').expect(200)).body as Array<{ outcome: string; method: string }>;
      expect(audit).toEqual([expect.objectContaining({ outcome: 'temporary', method: 'cli' })]);
    });

    it('answers 200 concurrent requests with wrong keys with 401 each, never a 500', async () => {
      const wrong = Array.from({ length: 200 }, (_, i) =>
        i % 4 === 0 ? `mpb_admin_${randomBytes(32).toString('base64url')}` : i % 4 === 1 ? 'mpb_admin_x'.repeat(200) : i % 4 === 2 ? `${key.slice(0, -2)}${i}` : randomBytes(16).toString('hex'),
      );
      const answers = await Promise.all(wrong.map((candidate, i) => admin(i % 2 ? 'get' : 'post', i % 2 ? '/v1/admin/users' : '/v1/admin/users/00000000-0000-4000-8000-000000000000/disable', candidate)));
      const statuses = answers.map((res) => `${res.status} ${res.body.code}`);
      expect(new Set(statuses)).toEqual(new Set(['401 invalid_token']));
    }, 60_000);
  });

  describe('finding users', () => {
    let phoneUserId: string;
    let aliceId: string;

    beforeAll(async () => {
      const phone = await phoneLogin(t, `+${PHONE}`);
      expect(phone.status).toBe(200);
      phoneUserId = phone.body.userId;
      await api().post('/v1/auth/email/register').send({ email: ALICE, password: PASSWORD }).expect(202);
      const { code } = await inbox.codeFor(ALICE);
      await api().post('/v1/auth/email/verify').send({ email: ALICE, code, password: PASSWORD }).expect(204);
      const alice = await api().post('/v1/auth/email/login').send({ email: ALICE, password: PASSWORD, appid: APPID }).expect(200);
      aliceId = alice.body.userId;
    });

    it('finds a phone user by the number as logins read it, and no look-alike of it', async () => {
      for (const spelling of [PHONE, `+${PHONE}`, '+1 (800) 555-1234', `00${PHONE}`]) {
        expect([spelling, await byAddress(spelling)]).toEqual([spelling, [phoneUserId]]);
      }
      const lookAlikes = [
        '１８００５５５１２３４', // full-width digits
        '١٨٠٠٥٥٥١٢٣٤', // Arabic-Indic digits
        '𝟏𝟖𝟎𝟎𝟓𝟓𝟓𝟏𝟐𝟑𝟒', // mathematical bold digits
        `${PHONE}\u200b`, // a zero-width space after it
        '18005551235',
        '1800555123',
      ];
      for (const lookAlike of lookAlikes) expect([lookAlike, await byAddress(lookAlike)]).toEqual([lookAlike, []]);
      expect(await ids(`method=phone&subject=${encodeURIComponent('+1 800 555 1234')}`)).toEqual([phoneUserId]);
      expect(await ids(`method=email&subject=${PHONE}`)).toEqual([]);
    });

    it('finds an email user whatever the case, and no look-alike mailbox', async () => {
      for (const spelling of [ALICE, 'ALICE@Example.COM', '  Alice@example.com ']) {
        expect([spelling, await byAddress(spelling)]).toEqual([spelling, [aliceId]]);
      }
      for (const lookAlike of ['alice@exämple.com', 'alïce@example.com', 'ａlice@example.com', 'alice@example.com.', 'alice@xn--exmple-cua.com']) {
        expect([lookAlike, await byAddress(lookAlike)]).toEqual([lookAlike, []]);
      }
      expect(await ids(`method=email&subject=${encodeURIComponent('Alice@EXAMPLE.com')}`)).toEqual([aliceId]);
      expect(await ids('method=email&limit=100')).toEqual([aliceId]);
    });

    it('shows a user with their identities and live sessions, never a token', async () => {
      t.clock.advance(61); // past the resend cooldown
      const second = await phoneLogin(t, PHONE);
      const res = await admin('get', `/v1/admin/users/${phoneUserId}`).expect(200);
      expect(res.body).toMatchObject({
        id: phoneUserId,
        address: PHONE,
        disabledAt: null,
        identities: [{ method: 'phone', subject: PHONE, verified: true }],
      });
      expect(res.body.sessions.length).toBeGreaterThanOrEqual(2);
      expect(res.body.sessions[0]).toEqual({
        id: expect.any(String),
        appid: APPID,
        device: null,
        loginMethod: 'phone',
        createdAt: expect.any(String),
        expiresAt: expect.any(String),
      });
      expect(JSON.stringify(res.body)).not.toContain(second.body.token);
      // Upper case is the same id; a malformed one is bad input; an unknown one is not found.
      expect((await admin('get', `/v1/admin/users/${phoneUserId.toUpperCase()}`)).body.id).toBe(phoneUserId);
      const malformed = await admin('get', '/v1/admin/users/not-a-uuid');
      expect([malformed.status, malformed.body.code]).toEqual([400, 'invalid_request']);
      const unknown = await admin('get', '/v1/admin/users/00000000-0000-4000-8000-000000000000');
      expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
    });

    it('refuses bad search input: a limit out of range, a forged cursor, a bad date, an unknown or repeated field', async () => {
      for (const query of ['limit=0', 'limit=101', 'limit=1.5', 'cursor=abc', `cursor=${Buffer.from('1.x').toString('base64url')}`, 'createdAfter=yesterday', 'nosuch=1', 'address=a&address=b']) {
        const res = await admin('get', `/v1/admin/users?${query}`);
        expect([query, res.status, res.body.code]).toEqual([query, 400, 'invalid_request']);
      }
    });
  });

  describe('paging', () => {
    it('pages newest first by cursor: users created meanwhile are never seen twice, and no one is skipped', async () => {
      t.clock.advance(3600);
      const from = new Date(t.clock.nowMs()).toISOString();
      const created: string[] = [];
      for (let i = 0; i < 23; i++) {
        // Some users share a creation time: the id orders them.
        if (i % 3 === 0) t.clock.advance(1);
        const res = await ticketLogin(t.url, nowSeconds(), `page-user-${i}`);
        expect(res.status).toBe(200);
        created.push(res.body.userId as string);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `createdAfter=${encodeURIComponent(from)}&limit=5${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await admin('get', `/v1/admin/users?${query}`).expect(200)).body as { users: Array<{ id: string; createdAt: string }>; nextCursor: string | null };
        expect(page.users.length).toBeLessThanOrEqual(5);
        seen.push(...page.users.map((user) => user.id));
        cursor = page.nextCursor;
        pages++;
        // New users arrive between pages, some at the very same time as those already listed.
        for (let j = 0; j < 2; j++) expect((await ticketLogin(t.url, nowSeconds(), `late-user-${pages}-${j}`, j)).status).toBe(200);
      } while (cursor !== null && pages < 20);

      const firstPageTime = Date.parse(from);
      expect(firstPageTime).toBeLessThan(t.clock.nowMs());
      expect(new Set(seen).size).toBe(seen.length);
      // Every user created before paging began is listed exactly once.
      expect(seen.filter((id) => created.includes(id)).sort()).toEqual([...created].sort());
      // Newest first: the order of creation, reversed, for the users made before paging.
      const createdOrder = seen.filter((id) => created.includes(id));
      const rows = await t.db.selectFrom('users').select(['id', 'created_at']).where('id', 'in', createdOrder).execute();
      const timeOf = new Map(rows.map((row) => [row.id, Number(row.created_at)]));
      const times = createdOrder.map((id) => timeOf.get(id) ?? 0);
      expect(times).toEqual([...times].sort((a, b) => b - a));
    }, 60_000);

    it('filters by creation date', async () => {
      t.clock.advance(3600);
      const before = new Date(t.clock.nowMs()).toISOString();
      t.clock.advance(10);
      const fresh = await ticketLogin(t.url, nowSeconds(), 'dated-user');
      expect(await ids(`createdAfter=${encodeURIComponent(before)}`)).toEqual([fresh.body.userId]);
      const older = await ids(`createdBefore=${encodeURIComponent(before)}&limit=100`);
      expect(older).not.toContain(fresh.body.userId);
      expect(older.length).toBeGreaterThan(20);
    });
  });

  describe('changing users', () => {
    it('ends every session of a user at once, here and at mesibo; the user may log in again', async () => {
      const one = await ticketLogin(t.url, nowSeconds(), 'session-user', 1);
      const two = await ticketLogin(t.url, nowSeconds(), 'session-user', 2);
      const ended = await admin('post', `/v1/admin/users/${one.body.userId}/sessions/end`).expect(200);
      expect(ended.body).toEqual({ ended: 2 });
      for (const token of [one.body.token, two.body.token]) {
        expect((await api().get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(401);
        expect(t.mesibo.isTokenValid(token)).toBe(false);
      }
      expect((await ticketLogin(t.url, nowSeconds(), 'session-user', 3)).status).toBe(200);
      const audit = (await admin('get', `/v1/admin/audit?userId=${one.body.userId}&type=admin.sessions-ended`).expect(200)).body;
      expect(audit).toEqual([expect.objectContaining({ method: 'admin-key:ops', outcome: '2', userId: one.body.userId })]);
    });

    it("refuses the token of a disabled user's session that disabling missed", async () => {
      const login = await ticketLogin(t.url, nowSeconds(), 'slipped-user');
      const me = () => api().get('/v1/me').auth(login.body.token, { type: 'bearer' });
      expect((await me()).status).toBe(200);
      // The flag alone, as if the session had been written after the disable ended the others.
      await t.db.updateTable('users').set({ disabled_at: t.clock.nowMs() }).where('id', '=', login.body.userId).execute();
      expect([(await me()).status, (await me()).body.code]).toEqual([401, 'invalid_token']);
      await t.db.updateTable('users').set({ disabled_at: null }).where('id', '=', login.body.userId).execute();
      expect((await me()).status).toBe(200);
    });

    it('deletes an account: its rows go, its tokens are revoked, and its address makes a new user', async () => {
      const login = await phoneLogin(t, '14155550123');
      const userId = login.body.userId as string;
      await admin('delete', `/v1/admin/users/${userId}`).expect(204);
      expect(await t.db.selectFrom('users').select('id').where('id', '=', userId).execute()).toEqual([]);
      expect(await t.db.selectFrom('identities').select('id').where('user_id', '=', userId).execute()).toEqual([]);
      expect((await api().get('/v1/me').auth(login.body.token, { type: 'bearer' })).status).toBe(401);
      expect(t.mesibo.isTokenValid(login.body.token)).toBe(false);
      const again = await admin('delete', `/v1/admin/users/${userId}`);
      expect([again.status, again.body.code]).toEqual([404, 'not_found']);

      t.clock.advance(61);
      const relogin = await phoneLogin(t, '14155550123');
      expect(relogin.body).toMatchObject({ newUser: true });
      expect(relogin.body.userId).not.toBe(userId);
      const audit = (await admin('get', `/v1/admin/audit?userId=${userId}`).expect(200)).body as Array<{ type: string; method: string | null; outcome: string | null }>;
      expect(audit).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'admin.user-deleted', method: 'admin-key:ops' }),
          expect.objectContaining({ type: 'account.deleted', outcome: 'admin' }),
        ]),
      );
    });

    it('creates username accounts, which then log in; a taken or weak one is refused', async () => {
      const created = await admin('post', '/v1/admin/username-accounts').send({ username: 'Grace.Hopper', password: PASSWORD, name: 'Grace Hopper' });
      expect([created.status, created.body]).toEqual([201, { username: 'grace.hopper' }]);
      const login = await api().post('/v1/auth/username/login').send({ username: 'grace.hopper', password: PASSWORD, appid: APPID });
      expect(login.status).toBe(200);
      const taken = await admin('post', '/v1/admin/username-accounts').send({ username: 'GRACE.HOPPER', password: PASSWORD });
      expect([taken.status, taken.body.code]).toEqual([409, 'identity_in_use']);
      const weak = await admin('post', '/v1/admin/username-accounts').send({ username: 'weakling', password: 'password1' });
      expect([weak.status, weak.body.code]).toEqual([400, 'weak_password']);
      const extra = await admin('post', '/v1/admin/username-accounts').send({ username: 'extra', password: PASSWORD, admin: true });
      expect([extra.status, extra.body.code]).toEqual([400, 'invalid_request']);
      const audit = (await admin('get', '/v1/admin/audit?type=admin.username-created').expect(200)).body;
      expect(audit).toHaveLength(1);
      expect(JSON.stringify(audit)).not.toContain(PASSWORD);
    });
  });

  describe('the audit trail', () => {
    it('is searched by user, type and time, newest first, without phone numbers or addresses', async () => {
      t.clock.advance(3600);
      const since = new Date(t.clock.nowMs()).toISOString();
      const phone = '14155550188';
      const login = await phoneLogin(t, phone);
      const userId = login.body.userId as string;
      t.clock.advance(5);
      await request(t.url).post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp: '000000' });

      const all = (await admin('get', `/v1/admin/audit?since=${encodeURIComponent(since)}`).expect(200)).body as Array<{ type: string; occurredAt: string; userId: string | null }>;
      expect(all.map((event) => event.type)).toEqual(expect.arrayContaining(['code.requested', 'login.succeeded', 'login.failed']));
      const times = all.map((event) => Date.parse(event.occurredAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(JSON.stringify(all)).not.toContain(phone);

      const mine = (await admin('get', `/v1/admin/audit?userId=${userId}&type=login.succeeded`).expect(200)).body;
      expect(mine).toEqual([expect.objectContaining({ type: 'login.succeeded', method: 'phone', userId, appId: APPID })]);
      expect((await admin('get', `/v1/admin/audit?since=${encodeURIComponent(since)}&limit=1`).expect(200)).body).toHaveLength(1);
      for (const query of ['limit=0', 'limit=1001', 'userId=nobody', 'since=later', 'extra=1']) {
        const res = await admin('get', `/v1/admin/audit?${query}`);
        expect([query, res.status, res.body.code]).toEqual([query, 400, 'invalid_request']);
      }
    });
  });
});

/**
 * Two instances on one database, as behind a load balancer: what one disables, the other refuses
 * with its very next request.
 */
describe('disabling a user, across two instances', () => {
  let a: TestApp;
  let b: TestApp;
  let key: string;

  beforeAll(async () => {
    a = await startTestApp({ TICKET_LOGIN_SECRET: TICKET_SECRET });
    // The same database, Redis prefix and mesibo: another instance of the same service.
    b = await startTestApp({
      TICKET_LOGIN_SECRET: TICKET_SECRET,
      DATABASE_URL: process.env.DATABASE_URL!,
      REDIS_KEY_PREFIX: process.env.REDIS_KEY_PREFIX!,
      MESIBO_API_URL: a.mesibo.url,
    });
    key = await a.app.get(AdminKeysService).create('ops');
  }, 60_000);
  afterAll(async () => {
    // The second on the first one's database before it, which drops it.
    await b?.close();
    await a?.close();
  });

  const nowSeconds = () => Math.floor(a.clock.nowMs() / 1000);
  const onB = (path: string, token: string) => request(b.url).get(path).auth(token, { type: 'bearer' });
  const adminCall = (t: TestApp, path: string) => request(t.url).post(path).set('Authorization', `Bearer ${key}`);

  /** Both instances' clocks, moved together (past the resend cooldown of a code). */
  const advance = (seconds: number) => [a, b].forEach((t) => t.clock.advance(seconds));

  it('refuses on B, at once, the tokens and the logins of a user disabled on A; enabling on B lets them log in again', async () => {
    const phone = '14155550142';
    const onA = await phoneLogin(a, phone);
    advance(61);
    const onBLogin = await phoneLogin(b, phone);
    const userId = onA.body.userId as string;
    expect(onBLogin.body.userId).toBe(userId);
    expect((await onB('/v1/me', onA.body.token)).status).toBe(200);

    const disabled = await adminCall(a, `/v1/admin/users/${userId}/disable`).expect(200);
    expect(disabled.body).toMatchObject({ id: userId, disabledAt: expect.any(String) });

    for (const token of [onA.body.token, onBLogin.body.token]) {
      expect((await onB('/v1/me', token)).status).toBe(401);
      expect(a.mesibo.isTokenValid(token)).toBe(false);
    }
    // A new login on B: refused with the code, after the code was checked (and not spent: see below).
    advance(61);
    await request(b.url).post('/v1/auth/otp').send({ phone, appid: APPID }).expect(202);
    const code = b.gateway.lastCodeFor(phone);
    const refused = await request(b.url).post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp: code });
    expect([refused.status, refused.body.code, refused.body.detail]).toEqual([403, 'account_disabled', 'This account is disabled. Contact the app owner.']);
    const legacy = await request(b.url).post('/').send({ op: 'login', phone, appid: APPID, otp: code });
    expect(legacy.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'DISABLED', errmsg: 'This account is disabled. Contact the app owner.' });
    expect(legacy.body).not.toHaveProperty('token');
    expect(a.mesibo.requests.filter((r) => r.op === 'useradd')).toHaveLength(2);

    // Enabled on B: the same code logs in on A (it was never used up), the old tokens stay ended.
    await adminCall(b, `/v1/admin/users/${userId}/enable`).expect(200);
    const back = await request(a.url).post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp: code });
    expect([back.status, back.body.userId]).toEqual([200, userId]);
    expect((await onB('/v1/me', onA.body.token)).status).toBe(401);
    expect((await onB('/v1/me', back.body.token)).status).toBe(200);

    // Each instance writes its own events in batches; A's are written before B reads the trail.
    await a.app.get(AuditTrail).flush();
    const audit = async (query: string) => (await request(b.url).get(`/v1/admin/audit?${query}`).set('Authorization', `Bearer ${key}`).expect(200)).body as AuditEventDto[];
    expect(await audit(`userId=${userId}`)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'admin.user-disabled', method: 'admin-key:ops' }),
        expect.objectContaining({ type: 'admin.user-enabled', method: 'admin-key:ops' }),
        expect.objectContaining({ type: 'sessions.ended', outcome: 'account-disabled' }),
      ]),
    );
    // A refused login names no user (nor any other failed login): its outcome is the code.
    const failed = await audit('type=login.failed');
    expect(failed.filter((event) => event.outcome === 'account_disabled')).toHaveLength(2);
  }, 60_000);

  it('leaves no live session behind when logins race the disable on both instances', async () => {
    const user = 'racing-user';
    const first = await ticketLogin(a.url, nowSeconds(), user, 0);
    const userId = first.body.userId as string;
    const useradds = () => a.mesibo.requests.filter((r) => r.op === 'useradd').length;
    const before = useradds();
    // mesibo holds its answers: logins wait there, past their own check of the user, when the disable lands.
    a.mesibo.setFault('slow', { delayMs: 1000 });
    const logins = Array.from({ length: 60 }, (_, i) => ticketLogin(i % 2 ? a.url : b.url, nowSeconds(), user, i + 1));
    await until(() => useradds() >= before + 20);
    const disabled = await adminCall(b, `/v1/admin/users/${userId}/disable`);
    a.mesibo.setFault('none');
    expect(disabled.status).toBe(200);
    const answers = await Promise.all(logins);

    const statuses = answers.map((res) => `${res.status} ${res.body.code ?? ''}`.trim());
    expect(statuses.every((status) => status === '200' || status === '403 account_disabled')).toBe(true);
    // Those past their check when the disable landed were refused after it, too.
    expect(statuses.filter((status) => status === '403 account_disabled').length).toBe(60);
    const live = await a.db.selectFrom('sessions').select('id').where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    expect(live).toEqual([]);
    for (const res of answers.filter((answer) => answer.status === 200)) {
      expect((await onB('/v1/me', res.body.token)).status).toBe(401);
      expect(a.mesibo.isTokenValid(res.body.token)).toBe(false);
    }
  }, 60_000);
});
