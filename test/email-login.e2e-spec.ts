import { hash } from '@node-rs/argon2';
import request from 'supertest';
import { SmtpInbox } from './support/smtp-inbox';
import { startTestApp, TestApp } from './support/test-app';

const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';
const APPID = 'com.mesibo.firstapp';

describe('email and password login, with codes delivered by a real SMTP server', () => {
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
  const login = (email = EMAIL, password = PASSWORD) => api().post('/v1/auth/email/login').send({ email, password, appid: APPID });

  async function registerAndConfirm(email = EMAIL, password = PASSWORD): Promise<void> {
    expect((await api().post('/v1/auth/email/register').send({ email, password, name: 'Ada' })).status).toBe(202);
    const { code } = await inbox.codeFor(email);
    expect((await api().post('/v1/auth/email/verify').send({ email, code, password })).status).toBe(204);
  }

  it('registers, confirms the address with the emailed code, then logs in with the email as mesibo address', async () => {
    const registered = await api().post('/v1/auth/email/register').send({ email: 'Ada@Example.com', password: PASSWORD });
    expect(registered.status).toBe(202);
    const { code, mail } = await inbox.codeFor(EMAIL);
    expect(mail.subject).toContain(code);

    // Until the code comes back, the address answers like a wrong password.
    const early = await login();
    expect(early.status).toBe(401);
    expect(early.body.code).toBe('invalid_credentials');

    const wrongCode = code === '000000' ? '111111' : '000000';
    expect((await api().post('/v1/auth/email/verify').send({ email: EMAIL, code: wrongCode, password: PASSWORD })).status).toBe(401);
    // The password given with the code is the one set, so it must pass the policy (the code stays usable).
    const weak = await api().post('/v1/auth/email/verify').send({ email: EMAIL, code, password: 'password1' });
    expect([weak.status, weak.body.code]).toEqual([400, 'weak_password']);
    expect((await api().post('/v1/auth/email/verify').send({ email: EMAIL, code, password: PASSWORD })).status).toBe(204);

    const res = await login();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token: expect.any(String), address: EMAIL, newUser: true });
    expect(t.mesibo.users.get(EMAIL)?.tokens.has(res.body.token)).toBe(true);
    const me = await api().get('/v1/me').auth(res.body.token, { type: 'bearer' });
    expect(me.body.identities).toEqual([expect.objectContaining({ method: 'email', subject: EMAIL, verified: true })]);
  });

  it('gives the same answers whether or not an account exists', async () => {
    await registerAndConfirm();

    const again = await api().post('/v1/auth/email/register').send({ email: EMAIL, password: 'another good passphrase' });
    const fresh = await api().post('/v1/auth/email/register').send({ email: 'new@example.com', password: 'another good passphrase' });
    expect([again.status, again.body]).toEqual([fresh.status, fresh.body]);
    await inbox.codeFor('new@example.com');
    expect(inbox.count(EMAIL)).toBe(1);
    expect((await login()).status).toBe(200);

    const unknown = await login('nobody@example.com', PASSWORD);
    const wrong = await login(EMAIL, 'not the password at all');
    expect(unknown.status).toBe(401);
    expect([unknown.status, unknown.body]).toEqual([wrong.status, wrong.body]);

    const forgotKnown = await api().post('/v1/auth/password/forgot').send({ email: EMAIL });
    const forgotUnknown = await api().post('/v1/auth/password/forgot').send({ email: 'nobody@example.com' });
    expect([forgotKnown.status, forgotKnown.body]).toEqual([forgotUnknown.status, forgotUnknown.body]);
    await inbox.codeFor(EMAIL, 2);
    expect(inbox.count('nobody@example.com')).toBe(0);
  });

  it.each([
    ['too short', 'short77'],
    ['too long', 'x'.repeat(129)],
    ['too common', 'password1'],
    ['the email itself', EMAIL],
  ])('refuses a password that is %s', async (_why, password) => {
    const res = await api().post('/v1/auth/email/register').send({ email: EMAIL, password });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('weak_password');
  });

  it('resets the password with an emailed code and ends every session', async () => {
    await registerAndConfirm();
    const token = (await login()).body.token as string;

    expect((await api().post('/v1/auth/password/forgot').send({ email: EMAIL })).status).toBe(202);
    const { code, mail } = await inbox.codeFor(EMAIL, 2);
    expect(mail.text).toContain('new password');
    const newPassword = 'a brand new passphrase';
    expect((await api().post('/v1/auth/password/reset').send({ email: EMAIL, code, password: newPassword })).status).toBe(204);

    expect((await api().get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(401);
    expect((await login()).status).toBe(401);
    expect((await login(EMAIL, newPassword)).status).toBe(200);
    // The code is used up.
    expect((await api().post('/v1/auth/password/reset').send({ email: EMAIL, code, password: 'yet another passphrase' })).status).toBe(401);
  });

  it('changes the password of a logged-in user and ends their other sessions only', async () => {
    await registerAndConfirm();
    const here = (await login()).body.token as string;
    const elsewhere = (await login()).body.token as string;

    const wrong = await api().post('/v1/me/password').auth(here, { type: 'bearer' }).send({ currentPassword: 'nope nope nope', newPassword: 'a brand new passphrase' });
    expect(wrong.status).toBe(401);
    const changed = await api().post('/v1/me/password').auth(here, { type: 'bearer' }).send({ currentPassword: PASSWORD, newPassword: 'a brand new passphrase' });
    expect(changed.status).toBe(204);

    expect((await api().get('/v1/me').auth(here, { type: 'bearer' })).status).toBe(200);
    expect((await api().get('/v1/me').auth(elsewhere, { type: 'bearer' })).status).toBe(401);
    expect((await login(EMAIL, 'a brand new passphrase')).status).toBe(200);
  });

  it('logs in through the op API with email and password instead of phone', async () => {
    await registerAndConfirm();
    const ok = await api().post('/').send({ op: 'login', email: EMAIL, password: PASSWORD, appid: APPID });
    expect(ok.body).toMatchObject({ op: 'login', result: 'OK', token: expect.any(String), phone: EMAIL });
    expect(ok.body.share).toEqual({ text: expect.any(String), subject: expect.any(String), title: expect.any(String) });

    const bad = await api().post('/').send({ op: 'login', email: EMAIL, password: 'not the password', appid: APPID });
    expect(bad.status).toBe(200);
    expect(bad.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'BADLOGIN' });
  });

  it('locks an address after 10 wrong passwords, whoever tries, until the window ends', async () => {
    await registerAndConfirm();
    for (let i = 0; i < 10; i++) expect((await login(EMAIL, `wrong password ${i}`)).status).toBe(401);
    const locked = await login();
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    t.clock.advance(901);
    expect((await login()).status).toBe(200);
  });

  it('rehashes a password made with older parameters at the next login', async () => {
    const now = t.clock.nowMs();
    const old = await hash(PASSWORD, { algorithm: 2, memoryCost: 8192, timeCost: 1, parallelism: 1 });
    await t.db.insertInto('email_accounts').values({ email: EMAIL, password_hash: old, display_name: null, verified_at: now, created_at: now, updated_at: now }).execute();

    expect((await login()).status).toBe(200);
    const row = await t.db.selectFrom('email_accounts').select('password_hash').where('email', '=', EMAIL).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await login()).status).toBe(200);
  });

  it('does not hand the account to someone who registered the same address with another password, nor stop its owner', async () => {
    expect((await api().post('/v1/auth/email/register').send({ email: EMAIL, password: PASSWORD, name: 'Ada' })).status).toBe(202);
    const { code } = await inbox.codeFor(EMAIL);
    // Before the owner confirms, someone else registers the address with their own password (within
    // the resend cooldown, so no new code goes out).
    expect((await api().post('/v1/auth/email/register').send({ email: EMAIL, password: 'the intruders password', name: 'Mallory' })).status).toBe(202);
    expect((await login(EMAIL, 'the intruders password')).status).toBe(401);

    // The owner's code, with the owner's password, confirms the address.
    expect((await api().post('/v1/auth/email/verify').send({ email: EMAIL, code, password: PASSWORD, name: 'Ada' })).status).toBe(204);
    expect(inbox.count(EMAIL)).toBe(1);
    const res = await login();
    expect(res.status).toBe(200);
    const me = await api().get('/v1/me').auth(res.body.token, { type: 'bearer' });
    expect(me.body.displayName).toBe('Ada');
    expect((await login(EMAIL, 'the intruders password')).status).toBe(401);
  });

  it('lets the owner confirm with the newest code after someone else registered the address again after the cooldown', async () => {
    expect((await api().post('/v1/auth/email/register').send({ email: EMAIL, password: PASSWORD })).status).toBe(202);
    await inbox.codeFor(EMAIL);
    t.clock.advance(31);
    expect((await api().post('/v1/auth/email/register').send({ email: EMAIL, password: 'the intruders password' })).status).toBe(202);

    // The newer code goes to the owner's mailbox too, never to the intruder.
    const { code } = await inbox.codeFor(EMAIL, 2);
    expect((await api().post('/v1/auth/email/verify').send({ email: EMAIL, code, password: PASSWORD })).status).toBe(204);
    expect((await login()).status).toBe(200);
    expect((await login(EMAIL, 'the intruders password')).status).toBe(401);
  });

  it('links an email login to a phone user, lists both, and never removes the last', async () => {
    expect((await api().post('/v1/auth/otp').send({ phone: '18005551234', appid: APPID })).status).toBe(202);
    const token = (await api().post('/v1/auth/otp/verify').send({ phone: '18005551234', appid: APPID, otp: t.gateway.lastCodeFor('18005551234') })).body.token as string;
    const me = () => api().get('/v1/me/identities').auth(token, { type: 'bearer' });

    expect((await api().post('/v1/me/identities/email').auth(token, { type: 'bearer' }).send({ email: EMAIL, password: PASSWORD })).status).toBe(202);
    const { code } = await inbox.codeFor(EMAIL);
    expect((await api().post('/v1/me/identities/email/verify').auth(token, { type: 'bearer' }).send({ email: EMAIL, code, password: PASSWORD })).status).toBe(204);

    const identities = (await me()).body as Array<{ id: string; method: string; subject: string }>;
    expect(identities.map((i) => i.method).sort()).toEqual(['email', 'phone']);
    // The email login now opens the same user, still at the phone's mesibo address.
    const byEmail = await login();
    expect(byEmail.body).toMatchObject({ address: '18005551234', newUser: false });

    const phone = identities.find((i) => i.method === 'phone')!;
    const email = identities.find((i) => i.method === 'email')!;
    expect((await api().delete(`/v1/me/identities/${phone.id}`).auth(token, { type: 'bearer' })).status).toBe(204);
    const last = await api().delete(`/v1/me/identities/${email.id}`).auth(token, { type: 'bearer' });
    expect(last.status).toBe(409);
    expect(last.body.code).toBe('last_identity');
    expect((await me()).body).toHaveLength(1);
  });

  it('refuses to link a phone that logs in to another user', async () => {
    await registerAndConfirm();
    const emailToken = (await login()).body.token as string;
    expect((await api().post('/v1/auth/otp').send({ phone: '18005551234', appid: APPID })).status).toBe(202);
    await api().post('/v1/auth/otp/verify').send({ phone: '18005551234', appid: APPID, otp: t.gateway.lastCodeFor('18005551234') });

    t.clock.advance(31);
    expect((await api().post('/v1/me/identities/phone').auth(emailToken, { type: 'bearer' }).send({ phone: '18005551234' })).status).toBe(202);
    const res = await api()
      .post('/v1/me/identities/phone/verify')
      .auth(emailToken, { type: 'bearer' })
      .send({ phone: '18005551234', otp: t.gateway.lastCodeFor('18005551234') });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('identity_in_use');
  });
});
