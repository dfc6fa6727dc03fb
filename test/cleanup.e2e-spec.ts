import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ExpiredRecordsCleanup } from '../src/maintenance/expired-records-cleanup';
import { startTestApp, TestApp } from './support/test-app';

const DAY = 24 * 3600 * 1000;
const APPID = 'com.mesibo.firstapp';

/** The scheduled clean-up, run by hand on a moved clock: what has expired goes, nothing else. */
describe('deleting expired records', () => {
  let t: TestApp;
  let cleanup: ExpiredRecordsCleanup;

  beforeAll(async () => {
    t = await startTestApp({ CLEANUP_INTERVAL_SECONDS: '300', ENDED_SESSIONS_KEPT_DAYS: '30', UNCONFIRMED_EMAIL_ACCOUNTS_KEPT_DAYS: '7' });
    cleanup = t.app.get(ExpiredRecordsCleanup);
  });
  afterAll(() => t.close());

  const count = async (table: 'otp_challenges' | 'sessions' | 'oidc_login_states' | 'email_accounts' | 'counters'): Promise<number> => {
    const row = await t.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  };

  async function session(userId: string, fields: { expiresAt: number; revokedAt?: number }): Promise<string> {
    const id = randomUUID();
    await t.db
      .insertInto('sessions')
      .values({
        id,
        user_id: userId,
        token_hash: randomUUID().replace(/-/g, ''),
        app_id: APPID,
        device: null,
        created_at: t.clock.nowMs() - 60 * DAY,
        expires_at: fields.expiresAt,
        revoked_at: fields.revokedAt ?? null,
        token_ciphertext: null,
        proven_at: null,
        login_method: null,
        login_subject: null,
      })
      .execute();
    return id;
  }

  it('deletes expired codes, counters, old ended sessions, unfinished web logins and stale registrations, and keeps the rest', async () => {
    const now = t.clock.nowMs();
    // A code that will have expired, and a counter (its send budget) whose window will have ended.
    expect((await request(t.url).post('/v1/auth/otp').send({ phone: '18005550177', appid: APPID })).status).toBe(202);
    t.clock.advance(24 * 3600);
    const later = t.clock.nowMs();
    expect((await request(t.url).post('/v1/auth/otp').send({ phone: '18005550178', appid: APPID })).status).toBe(202);

    const user = randomUUID();
    await t.db.insertInto('users').values({ id: user, address: 'cleanup-user', display_name: null, mesibo_uid: null, created_at: now, updated_at: now }).execute();
    await session(user, { expiresAt: later - 31 * DAY });
    await session(user, { expiresAt: later + DAY, revokedAt: later - 31 * DAY });
    const recentlyEnded = await session(user, { expiresAt: later + DAY, revokedAt: later - 29 * DAY });
    const live = await session(user, { expiresAt: later + DAY });

    const state = (name: string, expiresAt: number) => ({
      state: name,
      provider: 'corp',
      code_verifier: 'v',
      nonce: 'n',
      app_id: APPID,
      return_to: null,
      created_at: later - 600_000,
      expires_at: expiresAt,
    });
    await t.db.insertInto('oidc_login_states').values([state('ended', later - 1), state('open', later + 60_000)]).execute();

    const account = (email: string, createdAt: number, verifiedAt: number | null) => ({
      email,
      password_hash: 'x',
      display_name: null,
      verified_at: verifiedAt,
      created_at: createdAt,
      updated_at: createdAt,
    });
    await t.db
      .insertInto('email_accounts')
      .values([
        account('stale@example.com', later - 8 * DAY, null),
        account('waiting@example.com', later - 6 * DAY, null),
        account('confirmed@example.com', later - 400 * DAY, later - 400 * DAY),
      ])
      .execute();
    const countersBefore = await count('counters');

    const report = await cleanup.runOnce();

    expect(report).toMatchObject({ codes: 1, sessions: 2, webLogins: 1, unconfirmedEmailAccounts: 1 });
    // Counters in Redis (E2E_REDIS_URL) expire by themselves; in the database they are deleted here.
    const countersInDatabase = !process.env.E2E_REDIS_URL;
    expect(report !== 'skipped' && report.counters > 0).toBe(countersInDatabase);
    expect(await count('otp_challenges')).toBe(1);
    const sessions = await t.db.selectFrom('sessions').select('id').orderBy('id').execute();
    expect(sessions.map((row) => row.id).sort()).toEqual([recentlyEnded, live].sort());
    expect((await t.db.selectFrom('oidc_login_states').select('state').execute()).map((row) => row.state)).toEqual(['open']);
    const emails = (await t.db.selectFrom('email_accounts').select('email').execute()).map((row) => row.email).sort();
    expect(emails).toEqual(['confirmed@example.com', 'waiting@example.com']);
    if (countersInDatabase) {
      // The second code's budgets (and the lease of this run) are live and stay.
      expect(await count('counters')).toBeLessThan(countersBefore + 1);
      expect(await count('counters')).toBeGreaterThan(0);
    }
    // Its code still works: nothing live was touched.
    const code = t.gateway.lastCodeFor('18005550178');
    expect((await request(t.url).post('/v1/auth/otp/verify').send({ phone: '18005550178', appid: APPID, otp: code })).status).toBe(200);
  });

  it('runs once per interval however many instances try: the others skip', async () => {
    t.clock.advance(300);
    const runs = await Promise.all([cleanup.runOnce(), cleanup.runOnce(), cleanup.runOnce()]);
    expect(runs.filter((run) => run === 'skipped')).toHaveLength(2);
    expect((await cleanup.runOnce()) === 'skipped').toBe(true);
    t.clock.advance(300);
    expect(await cleanup.runOnce()).not.toBe('skipped');
  });
});
