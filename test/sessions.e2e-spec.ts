import { Migrator } from 'kysely';
import request from 'supertest';
import { AuditTrail } from '../src/audit/audit-trail';
import { migrateToLatest, openDatabase } from '../src/database/connection';
import { migrationProvider } from '../src/database/migrations';
import { createTestDatabase } from './support/test-database';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const PHONE = '18005551234';
const OTHER_PHONE = '919876543210';

interface ListedSession {
  id: string;
  device: string | null;
  appid: string;
  loginMethod: string | null;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  current: boolean;
}

/** A user's devices: the list of live sessions, ending one, and ending all but the current one. */
describe('device sessions: GET /v1/me/sessions, DELETE /v1/me/sessions/:id, POST /v1/me/sessions/logout-others', () => {
  let t: TestApp;

  beforeEach(async () => {
    // Several logins of one number: more codes than the hourly limit of one number allows.
    t = await startTestApp({ OTP_MAX_SENDS_PER_WINDOW: '50', OTP_MAX_SENDS_PER_IP_PER_WINDOW: '500' });
  });
  afterEach(() => t.close());

  const api = () => request(t.url);
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  /** A phone login from a device; past the resend cooldown of the previous code. */
  async function login(phone: string, device: string): Promise<{ token: string; userId: string }> {
    t.clock.advance(31);
    expect((await api().post('/v1/auth/otp').send({ phone, appid: APPID })).status).toBe(202);
    const res = await api().post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp: t.gateway.lastCodeFor(phone), device });
    expect(res.status).toBe(200);
    return { token: res.body.token as string, userId: res.body.userId as string };
  }

  async function list(token: string): Promise<ListedSession[]> {
    const res = await api().get('/v1/me/sessions').set(bearer(token));
    expect(res.status).toBe(200);
    return res.body as ListedSession[];
  }

  async function sessionOf(token: string): Promise<ListedSession> {
    const found = (await list(token)).find((session) => session.current);
    if (!found) throw new Error('no current session');
    return found;
  }

  const isLive = async (token: string) => (await api().get('/v1/me').set(bearer(token))).status === 200;
  const storedLastUse = async (id: string) =>
    Number((await t.db.selectFrom('sessions').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()).last_used_at);
  const iso = (ms: number) => new Date(ms).toISOString();

  it('lists every live session with its device, app and method, marks the current one, and moves "last used" at most once a minute', async () => {
    const phone = await login(PHONE, 'Pixel 9');
    const loggedInAt = t.clock.nowMs();
    const tablet = await login(PHONE, 'iPad');
    const tabletAt = t.clock.nowMs();

    const seen = await list(phone.token);
    expect(seen).toHaveLength(2);
    const mine = seen.find((session) => session.current);
    const other = seen.find((session) => !session.current);
    expect(mine).toMatchObject({ device: 'Pixel 9', appid: APPID, loginMethod: 'phone', createdAt: iso(loggedInAt), lastUsedAt: iso(loggedInAt) });
    expect(other).toMatchObject({ device: 'iPad', appid: APPID, loginMethod: 'phone', createdAt: iso(tabletAt), lastUsedAt: iso(tabletAt) });
    expect(Date.parse(mine!.expiresAt)).toBeGreaterThan(t.clock.nowMs());
    // The other device sees the same two, with itself as current.
    expect((await list(tablet.token)).map((session) => [session.id, session.current])).toEqual(
      expect.arrayContaining([
        [mine!.id, false],
        [other!.id, true],
      ]),
    );

    // Used 59 s after its last recorded use: nothing is written.
    t.clock.advance(59 - 31);
    expect(await isLive(phone.token)).toBe(true);
    expect(await storedLastUse(mine!.id)).toBe(loggedInAt);

    // A minute and more: the next request records it, however many arrive together.
    t.clock.advance(2);
    const usedAt = t.clock.nowMs();
    const burst = await Promise.all(Array.from({ length: 100 }, () => api().get('/v1/me').set(bearer(phone.token))));
    expect(burst.map((res) => res.status)).toEqual(Array(100).fill(200));
    expect(await storedLastUse(mine!.id)).toBe(usedAt);
    t.clock.advance(30);
    expect((await sessionOf(phone.token)).lastUsedAt).toBe(iso(usedAt));
    // The tablet was not used meanwhile.
    expect(await storedLastUse(other!.id)).toBe(tabletAt);
    t.clock.advance(31);
    expect((await sessionOf(phone.token)).lastUsedAt).toBe(iso(t.clock.nowMs()));
  });

  it('ends one session: its token stops working here at once and is revoked at mesibo; the caller stays logged in', async () => {
    const phone = await login(PHONE, 'Pixel 9');
    const tablet = await login(PHONE, 'iPad');
    const tabletSession = await sessionOf(tablet.token);
    expect(t.mesibo.isTokenValid(tablet.token)).toBe(true);

    expect((await api().delete(`/v1/me/sessions/${tabletSession.id}`).set(bearer(phone.token))).status).toBe(204);

    expect(await isLive(tablet.token)).toBe(false);
    expect(t.mesibo.isTokenValid(tablet.token)).toBe(false);
    expect(await isLive(phone.token)).toBe(true);
    expect(t.mesibo.isTokenValid(phone.token)).toBe(true);
    expect((await list(phone.token)).map((session) => session.device)).toEqual(['Pixel 9']);
    // Ended already: not a live session any more.
    const again = await api().delete(`/v1/me/sessions/${tabletSession.id}`).set(bearer(phone.token));
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 404, code: 'not_found' });

    const events = await t.app.get(AuditTrail).list({ type: 'sessions.ended' });
    expect(events.map((event) => event.outcome)).toEqual(['logout-device']);
    expect(events[0].user_id).toBe(phone.userId);
  });

  it("answers another user's session id exactly as an unknown one (404), ends nothing, and refuses a malformed id (400)", async () => {
    const mine = await login(PHONE, 'Pixel 9');
    const theirs = await login(OTHER_PHONE, 'Galaxy');
    const theirSession = await sessionOf(theirs.token);

    const foreign = await api().delete(`/v1/me/sessions/${theirSession.id}`).set(bearer(mine.token));
    const unknown = await api().delete('/v1/me/sessions/3f1c9a52-6d0e-4a8b-9b7c-2f4e5d6a7b8c').set(bearer(mine.token));
    expect(foreign.status).toBe(404);
    expect(foreign.headers['content-type']).toMatch(/^application\/problem\+json/);
    const comparable = (res: request.Response): Record<string, unknown> => ({ status: res.status, ...(res.body as Record<string, unknown>), instance: undefined });
    expect(comparable(foreign)).toEqual(comparable(unknown));

    // Look-alikes of the id: other case, padding, another user's id with one digit changed.
    for (const lookalike of [theirSession.id.toUpperCase(), ` ${theirSession.id}`, theirSession.id.replace(/.$/, (c) => (c === '0' ? '1' : '0'))]) {
      const res = await api().delete(`/v1/me/sessions/${encodeURIComponent(lookalike)}`).set(bearer(mine.token));
      expect([400, 404]).toContain(res.status);
    }
    const malformed = await api().delete('/v1/me/sessions/not-a-session').set(bearer(mine.token));
    expect({ status: malformed.status, code: malformed.body.code }).toEqual({ status: 400, code: 'invalid_request' });

    expect(await isLive(theirs.token)).toBe(true);
    expect(t.mesibo.isTokenValid(theirs.token)).toBe(true);
    // Nobody's list shows the other's sessions.
    expect((await list(mine.token)).map((session) => session.device)).toEqual(['Pixel 9']);
    // No token, no list.
    expect((await api().get('/v1/me/sessions')).status).toBe(401);
  });

  it('logs out every other device and keeps the current one; a burst of them ends each session once', async () => {
    const phone = await login(PHONE, 'Pixel 9');
    const others = [await login(PHONE, 'iPad'), await login(PHONE, 'Web'), await login(PHONE, 'Laptop')];
    const someoneElse = await login(OTHER_PHONE, 'Galaxy');
    const revokesBefore = t.mesibo.requests.filter((call) => call.op === 'usertokendel').length;

    const burst = await Promise.all(Array.from({ length: 20 }, () => api().post('/v1/me/sessions/logout-others').set(bearer(phone.token))));
    expect(burst.map((res) => res.status)).toEqual(Array(20).fill(200));
    expect(burst.reduce((sum, res) => sum + (res.body.ended as number), 0)).toBe(3);

    expect(await isLive(phone.token)).toBe(true);
    expect(t.mesibo.isTokenValid(phone.token)).toBe(true);
    for (const other of others) {
      expect(await isLive(other.token)).toBe(false);
      expect(t.mesibo.isTokenValid(other.token)).toBe(false);
    }
    expect(t.mesibo.requests.filter((call) => call.op === 'usertokendel').length - revokesBefore).toBe(3);
    expect(await isLive(someoneElse.token)).toBe(true);
    expect((await list(phone.token)).map((session) => session.current)).toEqual([true]);

    const ended = await t.app.get(AuditTrail).list({ type: 'sessions.ended' });
    expect(ended.map((event) => event.outcome)).toEqual(['logout-others']);
  });

  it('reads a session without a recorded use as used at its creation, and records the next use past the minute', async () => {
    const phone = await login(PHONE, 'Pixel 9');
    const session = await sessionOf(phone.token);
    await t.db.updateTable('sessions').set({ last_used_at: null }).where('id', '=', session.id).execute();
    t.clock.advance(61);
    expect((await sessionOf(phone.token)).lastUsedAt).toBe(iso(t.clock.nowMs()));
  });
});

describe('migration 0008 on sessions from before it', () => {
  it('starts their "last used" at their creation', async () => {
    const database = await createTestDatabase();
    const db = openDatabase(database.url, { poolMax: 2 });
    try {
      const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0007-audit-events');
      expect(error).toBeUndefined();
      await db.insertInto('users').values({ id: 'u1', address: PHONE, display_name: null, mesibo_uid: '1', created_at: 1, updated_at: 1 }).execute();
      const session = { user_id: 'u1', app_id: APPID, device: null, expires_at: 9_000_000_000_000, revoked_at: null };
      await db
        .insertInto('sessions')
        .values([
          { ...session, id: 's1', token_hash: 'a'.repeat(64), created_at: 1_700_000_000_000 },
          { ...session, id: 's2', token_hash: 'b'.repeat(64), created_at: 1_700_000_500_000 },
        ])
        .execute();

      await migrateToLatest(db);

      const rows = await db.selectFrom('sessions').select(['id', 'last_used_at']).orderBy('id').execute();
      expect(rows.map((row) => [row.id, Number(row.last_used_at)])).toEqual([
        ['s1', 1_700_000_000_000],
        ['s2', 1_700_000_500_000],
      ]);
      expect(await db.selectFrom('pending_mesibo_deletions').selectAll().execute()).toEqual([]);
    } finally {
      await db.destroy();
      await database.drop();
    }
  });
});
