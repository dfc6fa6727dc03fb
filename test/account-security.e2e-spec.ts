import { hash } from '@node-rs/argon2';
import request from 'supertest';
import { hashUserToken } from '../src/auth/sessions.service';
import { SmtpInbox } from './support/smtp-inbox';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const OWNER_PHONE = '18005551234';
const THIEF_PHONE = '919876543210';
const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';

/** A removed login method stays removed; recovery (reset, change, log out everywhere) evicts whoever held a token. */
describe('account security: removed login methods, recent proof, ending sessions at mesibo', () => {
  let t: TestApp;
  let inbox: SmtpInbox;

  beforeEach(async () => {
    inbox = await new SmtpInbox().start();
    t = await startTestApp({
      EMAIL_SENDER: 'smtp',
      SMTP_URL: inbox.url,
      EMAIL_FROM: 'Messenger <no-reply@example.com>',
      // The flows here send more codes to one number, from one address, than the hourly limits allow; those limits have specs of their own.
      OTP_MAX_SENDS_PER_WINDOW: '50',
      OTP_MAX_SENDS_PER_IP_PER_WINDOW: '500',
      THROTTLE_LIMIT: '10000',
    });
  });
  afterEach(async () => {
    await t.close();
    await inbox.stop();
  });

  const api = () => request(t.url);
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  function expectProblem(res: request.Response, status: number, code: string): void {
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  }

  /** Sends a code to the phone (past the resend cooldown of an earlier one) and returns it. */
  async function phoneCode(phone: string): Promise<string> {
    t.clock.advance(31);
    const res = await api().post('/v1/auth/otp').send({ phone, appid: APPID });
    expect(res.status).toBe(202);
    return t.gateway.lastCodeFor(phone);
  }

  function phoneLogin(phone: string, otp: string): request.Test {
    return api().post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp });
  }

  async function loggedInByPhone(phone: string): Promise<{ token: string; userId: string }> {
    const res = await phoneLogin(phone, await phoneCode(phone));
    expect(res.status).toBe(200);
    return { token: res.body.token as string, userId: res.body.userId as string };
  }

  /** A confirmed email account, as a registration leaves it. */
  async function emailAccount(email = EMAIL, password = PASSWORD): Promise<void> {
    const now = t.clock.nowMs();
    const passwordHash = await hash(password, { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    await t.db.insertInto('email_accounts').values({ email, password_hash: passwordHash, display_name: null, verified_at: now, created_at: now, updated_at: now }).execute();
  }

  function emailLogin(email = EMAIL, password = PASSWORD): request.Test {
    return api().post('/v1/auth/email/login').send({ email, password, appid: APPID });
  }

  async function loggedInByEmail(email = EMAIL, password = PASSWORD): Promise<{ token: string; userId: string }> {
    const res = await emailLogin(email, password);
    expect(res.status).toBe(200);
    return { token: res.body.token as string, userId: res.body.userId as string };
  }

  async function linkPhone(token: string, phone: string): Promise<request.Response> {
    t.clock.advance(31);
    const started = await api().post('/v1/me/identities/phone').set(bearer(token)).send({ phone });
    if (started.status !== 202) return started;
    return api().post('/v1/me/identities/phone/verify').set(bearer(token)).send({ phone, otp: t.gateway.lastCodeFor(phone) });
  }

  async function linkEmail(token: string, email = EMAIL, password = PASSWORD): Promise<void> {
    expect((await api().post('/v1/me/identities/email').set(bearer(token)).send({ email, password })).status).toBe(202);
    const { code } = await inbox.codeFor(email, inbox.count(email) + 1);
    expect((await api().post('/v1/me/identities/email/verify').set(bearer(token)).send({ email, code, password })).status).toBe(204);
  }

  async function identityId(token: string, method: string, subject: string): Promise<string> {
    const list = (await api().get('/v1/me/identities').set(bearer(token))).body as Array<{ id: string; method: string; subject: string }>;
    const found = list.find((identity) => identity.method === method && identity.subject === subject);
    if (!found) throw new Error(`no ${method} ${subject}`);
    return found.id;
  }

  async function identitiesOf(token: string): Promise<string[]> {
    const list = (await api().get('/v1/me/identities').set(bearer(token))).body as Array<{ method: string; subject: string }>;
    return list.map((identity) => `${identity.method}:${identity.subject}`).sort();
  }

  async function isLive(token: string): Promise<boolean> {
    return (await api().get('/v1/me').set(bearer(token))).status === 200;
  }

  function tokensAtMesibo(address: string): number {
    return t.mesibo.users.get(address)?.tokens.size ?? 0;
  }

  describe('a removed login method does not reach the account again', () => {
    it("phone: the account's own number is refused on both surfaces, its pending code is gone, and linking it again restores it", async () => {
      const owner = await loggedInByPhone(OWNER_PHONE);
      await linkEmail(owner.token);
      const pending = await phoneCode(OWNER_PHONE);

      expect((await api().delete(`/v1/me/identities/${await identityId(owner.token, 'phone', OWNER_PHONE)}`).set(bearer(owner.token))).status).toBe(204);

      // The code sent before the removal went with it.
      expectProblem(await phoneLogin(OWNER_PHONE, pending), 401, 'invalid_code');
      // A new code proves the number, but the number no longer opens this account, and no other can take its address.
      const issuedBefore = tokensAtMesibo(OWNER_PHONE);
      expectProblem(await phoneLogin(OWNER_PHONE, await phoneCode(OWNER_PHONE)), 403, 'identity_removed');
      t.clock.advance(31);
      expect((await api().post('/').send({ op: 'login', phone: OWNER_PHONE, appid: APPID })).body).toMatchObject({ result: 'OK' });
      const legacy = await api().post('/').send({ op: 'login', phone: OWNER_PHONE, appid: APPID, otp: t.gateway.lastCodeFor(OWNER_PHONE) });
      expect(legacy.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'IDENTITYREMOVED' });
      expect(legacy.body).not.toHaveProperty('token');
      // Refused before mesibo was asked for a token.
      expect(tokensAtMesibo(OWNER_PHONE)).toBe(issuedBefore);
      expect(await identitiesOf(owner.token)).toEqual([`email:${EMAIL}`]);
      expect(await t.db.selectFrom('users').select('id').execute()).toHaveLength(1);

      // The owner links it again (with a fresh proof: a new login), and it logs in to the account again.
      const byEmail = await loggedInByEmail();
      expect((await linkPhone(byEmail.token, OWNER_PHONE)).status).toBe(204);
      const again = await phoneLogin(OWNER_PHONE, await phoneCode(OWNER_PHONE));
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ userId: owner.userId, address: OWNER_PHONE, newUser: false });
    });

    it('email: the old password stops working at once, a pending reset code is gone, and a new account for the address is refused', async () => {
      await emailAccount();
      const owner = await loggedInByEmail();
      expect((await linkPhone(owner.token, OWNER_PHONE)).status).toBe(204);
      expect((await api().post('/v1/auth/password/forgot').send({ email: EMAIL })).status).toBe(202);
      const { code: resetCode } = await inbox.codeFor(EMAIL);

      expect((await api().delete(`/v1/me/identities/${await identityId(owner.token, 'email', EMAIL)}`).set(bearer(owner.token))).status).toBe(204);

      expect(await t.db.selectFrom('email_accounts').select('email').execute()).toEqual([]);
      expectProblem(await emailLogin(), 401, 'invalid_credentials');
      expect((await api().post('/').send({ op: 'login', email: EMAIL, password: PASSWORD, appid: APPID })).body).toMatchObject({ result: 'FAIL', error: 'BADLOGIN' });
      expectProblem(await api().post('/v1/auth/password/reset').send({ email: EMAIL, code: resetCode, password: 'a brand new passphrase' }), 401, 'invalid_code');

      // Registered again by whoever holds the mailbox: the address is this account's mesibo address, so the login is refused.
      await emailAccount(EMAIL, 'a brand new passphrase');
      expectProblem(await emailLogin(EMAIL, 'a brand new passphrase'), 403, 'identity_removed');
      expect((await api().post('/').send({ op: 'login', email: EMAIL, password: 'a brand new passphrase', appid: APPID })).body).toMatchObject({
        result: 'FAIL',
        error: 'IDENTITYREMOVED',
      });
      expect(await identitiesOf((await loggedInByPhone(OWNER_PHONE)).token)).toEqual([`phone:${OWNER_PHONE}`]);
    });

    it('email linked to a phone account: once removed, the address logs in only as an account of its own', async () => {
      const owner = await loggedInByPhone(OWNER_PHONE);
      await linkEmail(owner.token);
      expect((await api().delete(`/v1/me/identities/${await identityId(owner.token, 'email', EMAIL)}`).set(bearer(owner.token))).status).toBe(204);
      expectProblem(await emailLogin(), 401, 'invalid_credentials');

      await emailAccount();
      const fresh = await emailLogin();

      expect(fresh.status).toBe(200);
      expect(fresh.body).toMatchObject({ address: EMAIL, newUser: true });
      expect(fresh.body.userId).not.toBe(owner.userId);
      expect(await identitiesOf(owner.token)).toEqual([`phone:${OWNER_PHONE}`]);
    });

    it('ends the other sessions the removed method opened, and revokes their tokens at mesibo', async () => {
      const owner = await loggedInByPhone(OWNER_PHONE);
      await linkEmail(owner.token);
      const byEmail = await loggedInByEmail();
      const byEmailElsewhere = await loggedInByEmail();

      expect((await api().delete(`/v1/me/identities/${await identityId(byEmail.token, 'email', EMAIL)}`).set(bearer(byEmail.token))).status).toBe(204);

      expect(await isLive(byEmailElsewhere.token)).toBe(false);
      expect(t.mesibo.isTokenValid(byEmailElsewhere.token)).toBe(false);
      // The caller's own session (which just proved the account) and the phone's stay.
      expect(await isLive(byEmail.token)).toBe(true);
      expect(await isLive(owner.token)).toBe(true);
      expect(t.mesibo.isTokenValid(owner.token)).toBe(true);
    });
  });

  describe('changing how the account logs in takes a recent proof', () => {
    it(`refuses every link and removal from a session older than RECENT_PROOF_SECONDS with 403 recent_proof_required`, async () => {
      const owner = await loggedInByPhone(OWNER_PHONE);
      await linkEmail(owner.token);
      const emailId = await identityId(owner.token, 'email', EMAIL);
      t.clock.advance(301);

      expectProblem(await api().post('/v1/me/identities/phone').set(bearer(owner.token)).send({ phone: THIEF_PHONE }), 403, 'recent_proof_required');
      expectProblem(await api().post('/v1/me/identities/phone/verify').set(bearer(owner.token)).send({ phone: THIEF_PHONE, otp: '123456' }), 403, 'recent_proof_required');
      expectProblem(await api().post('/v1/me/identities/email').set(bearer(owner.token)).send({ email: 'bob@example.org', password: PASSWORD }), 403, 'recent_proof_required');
      expectProblem(
        await api().post('/v1/me/identities/email/verify').set(bearer(owner.token)).send({ email: 'bob@example.org', code: '123456', password: PASSWORD }),
        403,
        'recent_proof_required',
      );
      expectProblem(await api().delete(`/v1/me/identities/${emailId}`).set(bearer(owner.token)), 403, 'recent_proof_required');
      expectProblem(await api().post('/v1/me/identities/oidc/corp').set(bearer(owner.token)).send({ idToken: 'x.y.z' }), 403, 'recent_proof_required');

      // Nothing was sent or changed; reading is still allowed.
      expect(() => t.gateway.lastCodeFor(THIEF_PHONE)).toThrow();
      expect(await identitiesOf(owner.token)).toEqual([`email:${EMAIL}`, `phone:${OWNER_PHONE}`]);
    });

    it('counts the login itself as a proof, up to the end of the window', async () => {
      const owner = await loggedInByPhone(OWNER_PHONE);
      t.clock.advance(300 - 31);

      expect((await linkPhone(owner.token, THIEF_PHONE)).status).toBe(204);

      t.clock.advance(1);
      expectProblem(await api().delete(`/v1/me/identities/${await identityId(owner.token, 'phone', THIEF_PHONE)}`).set(bearer(owner.token)), 403, 'recent_proof_required');
    });

    it('proves the account again with the password of its email login', async () => {
      await emailAccount();
      const owner = await loggedInByEmail();
      t.clock.advance(3600);
      expectProblem(await api().post('/v1/me/identities/phone').set(bearer(owner.token)).send({ phone: OWNER_PHONE }), 403, 'recent_proof_required');

      expectProblem(await api().post('/v1/me/reauthenticate').set(bearer(owner.token)).send({ password: 'not the password at all' }), 401, 'invalid_credentials');
      const proven = await api().post('/v1/me/reauthenticate').set(bearer(owner.token)).send({ password: PASSWORD });
      expect(proven.status).toBe(200);
      expect(proven.body).toEqual({ recentUntil: new Date(t.clock.nowMs() + 300_000).toISOString() });

      expect((await linkPhone(owner.token, OWNER_PHONE)).status).toBe(204);
      t.clock.advance(301);
      expectProblem(await api().post('/v1/me/identities/phone').set(bearer(owner.token)).send({ phone: THIEF_PHONE }), 403, 'recent_proof_required');
    });

    it("proves the account again with a code sent to one of its phones, and only its own", async () => {
      const owner = await loggedInByPhone(OWNER_PHONE);
      await linkEmail(owner.token);
      t.clock.advance(3600);

      expectProblem(await api().post('/v1/me/reauthenticate/code').set(bearer(owner.token)).send({ phone: THIEF_PHONE }), 404, 'not_found');
      expectProblem(await api().post('/v1/me/reauthenticate').set(bearer(owner.token)).send({ password: PASSWORD, otp: '123456' }), 400, 'invalid_request');
      const sent = await api().post('/v1/me/reauthenticate/code').set(bearer(owner.token)).send({});
      expect(sent.status).toBe(202);
      expect(sent.body.phone).toBe(OWNER_PHONE);
      const code = t.gateway.lastCodeFor(OWNER_PHONE);
      const wrong = code === '000000' ? '111111' : '000000';
      expectProblem(await api().post('/v1/me/reauthenticate').set(bearer(owner.token)).send({ otp: wrong }), 401, 'invalid_code');
      expect((await api().post('/v1/me/reauthenticate').set(bearer(owner.token)).send({ otp: code })).status).toBe(200);

      expect((await api().delete(`/v1/me/identities/${await identityId(owner.token, 'email', EMAIL)}`).set(bearer(owner.token))).status).toBe(204);
    });

    it('needs no extra proof to change the password: the current password is the proof', async () => {
      await emailAccount();
      const owner = await loggedInByEmail();
      t.clock.advance(3600);

      expectProblem(await api().post('/v1/me/password').set(bearer(owner.token)).send({ currentPassword: 'not the password at all', newPassword: 'a brand new passphrase' }), 401, 'invalid_credentials');
      expect((await api().post('/v1/me/password').set(bearer(owner.token)).send({ currentPassword: PASSWORD, newPassword: 'a brand new passphrase' })).status).toBe(204);
    });
  });

  describe('recovery ends sessions here and revokes their tokens at mesibo', () => {
    it('a password reset evicts a thief who held a token: his sessions end, his tokens die at mesibo, and a method he linked can be removed for good', async () => {
      await emailAccount();
      const owner = await loggedInByEmail();
      const stolen = await loggedInByEmail();

      // An old stolen token cannot add the thief's phone...
      t.clock.advance(301);
      expectProblem(await api().post('/v1/me/identities/phone').set(bearer(stolen.token)).send({ phone: THIEF_PHONE }), 403, 'recent_proof_required');
      // ...but one stolen fresh can, and the thief logs in with that phone too.
      const fresh = await loggedInByEmail();
      expect((await linkPhone(fresh.token, THIEF_PHONE)).status).toBe(204);
      const thief = await loggedInByPhone(THIEF_PHONE);
      expect(thief.userId).toBe(owner.userId);

      // The owner resets the password.
      expect((await api().post('/v1/auth/password/forgot').send({ email: EMAIL })).status).toBe(202);
      const { code } = await inbox.codeFor(EMAIL);
      expect((await api().post('/v1/auth/password/reset').send({ email: EMAIL, code, password: 'a brand new passphrase' })).status).toBe(204);

      for (const token of [owner.token, stolen.token, fresh.token, thief.token]) {
        expect(await isLive(token)).toBe(false);
        expect(t.mesibo.isTokenValid(token)).toBe(false);
      }

      // The owner logs in, sees the thief's phone and removes it; it never opens the account again.
      const back = await loggedInByEmail(EMAIL, 'a brand new passphrase');
      expect(await identitiesOf(back.token)).toEqual([`email:${EMAIL}`, `phone:${THIEF_PHONE}`]);
      expect((await api().delete(`/v1/me/identities/${await identityId(back.token, 'phone', THIEF_PHONE)}`).set(bearer(back.token))).status).toBe(204);
      const thiefAgain = await phoneLogin(THIEF_PHONE, await phoneCode(THIEF_PHONE));
      expect(thiefAgain.status).toBe(200);
      expect(thiefAgain.body.userId).not.toBe(owner.userId);
      expect(await identitiesOf(back.token)).toEqual([`email:${EMAIL}`]);
    });

    it('a password change ends the other sessions and revokes their tokens at mesibo; this one stays valid', async () => {
      await emailAccount();
      const here = await loggedInByEmail();
      const elsewhere = await loggedInByEmail();
      const byPhone = await loggedInByPhone(OWNER_PHONE);
      expect(byPhone.userId).not.toBe(here.userId);

      expect((await api().post('/v1/me/password').set(bearer(here.token)).send({ currentPassword: PASSWORD, newPassword: 'a brand new passphrase' })).status).toBe(204);

      expect(await isLive(elsewhere.token)).toBe(false);
      expect(t.mesibo.isTokenValid(elsewhere.token)).toBe(false);
      expect(await isLive(here.token)).toBe(true);
      expect(t.mesibo.isTokenValid(here.token)).toBe(true);
      // Another user is untouched.
      expect(t.mesibo.isTokenValid(byPhone.token)).toBe(true);
    });

    it('log out everywhere ends every session of the user, this one too, and revokes every token at mesibo', async () => {
      const first = await loggedInByPhone(OWNER_PHONE);
      const second = await loggedInByPhone(OWNER_PHONE);
      const other = await loggedInByPhone(THIEF_PHONE);

      expectProblem(await api().post('/v1/me/logout-all'), 401, 'invalid_token');
      expect((await api().post('/v1/me/logout-all').set(bearer(second.token))).status).toBe(204);

      for (const token of [first.token, second.token]) {
        expect(await isLive(token)).toBe(false);
        expect(t.mesibo.isTokenValid(token)).toBe(false);
      }
      expect(await isLive(other.token)).toBe(true);
      expect(t.mesibo.isTokenValid(other.token)).toBe(true);
      expectProblem(await api().post('/v1/me/logout-all').set(bearer(second.token)), 401, 'invalid_token');
    });

    it('keeps each token only encrypted, drops it when the session ends, and never logs it', async () => {
      const { token } = await loggedInByPhone(OWNER_PHONE);
      const row = await t.db.selectFrom('sessions').selectAll().where('token_hash', '=', hashUserToken(token)).executeTakeFirstOrThrow();
      expect(row.token_ciphertext).toMatch(/^v1\./);
      expect(row.token_ciphertext).not.toContain(token);

      expect((await api().post('/v1/me/logout-all').set(bearer(token))).status).toBe(204);

      const ended = await t.db.selectFrom('sessions').selectAll().where('token_hash', '=', hashUserToken(token)).executeTakeFirstOrThrow();
      expect(ended.token_ciphertext).toBeNull();
      expect(ended.revoked_at).not.toBeNull();
      expect(t.logs.lines.join('\n')).not.toContain(token);
    });

    it('still ends the sessions when mesibo cannot be reached (revocation is best effort)', async () => {
      const { token } = await loggedInByPhone(OWNER_PHONE);
      await t.mesibo.stop();

      expect((await api().post('/v1/me/logout-all').set(bearer(token))).status).toBe(204);

      expect(await isLive(token)).toBe(false);
      expect(t.logs.lines.some((line) => line.includes('Could not revoke a user token at mesibo'))).toBe(true);
    });
  });
});
