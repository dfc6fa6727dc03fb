import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import { migrationProvider } from '../src/database/migrations';
import { startTestApp, TestApp } from './support/test-app';
import { createTestDatabase } from './support/test-database';

const APPID = 'com.mesibo.firstapp';
const PHONE = '18005551234';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run cli -- <args>` as operators do, on the test app's database and mesibo (its settings are in process.env). */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'src/cli.ts', ...args],
      { cwd: join(__dirname, '..'), env: { ...process.env, NODE_ENV: 'test', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

describe('the operator commands of the admin CLI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const api = () => request(t.url);
  async function phoneLogin(phone: string): Promise<request.Response> {
    await api().post('/v1/auth/otp').send({ phone, appid: APPID }).expect(202);
    return api().post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp: t.gateway.lastCodeFor(phone) }).expect(200);
  }

  it('creates an admin key, printed once and kept only as its hash; revoked, it stops working', async () => {
    const created = await cli(['admin:create-key', 'support-desk']);
    expect(created.code).toBe(0);
    // stdout is the key alone, so a script can capture it; the note is on stderr.
    const key = created.stdout.trim();
    expect(key).toMatch(/^mpb_admin_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('it cannot be shown again');
    const row = await t.db.selectFrom('admin_keys').selectAll().where('name', '=', 'support-desk').executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(key.slice(10));

    expect((await api().get('/v1/admin/users').auth(key, { type: 'bearer' })).status).toBe(200);
    const listed = await cli(['admin:list-keys']);
    expect(JSON.parse(listed.stdout.trim())).toMatchObject({ name: 'support-desk', lastUsedAt: expect.any(String), revokedAt: null });
    expect(listed.stdout).not.toContain(key.slice(10));

    expect(await cli(['admin:create-key', 'support-desk'])).toMatchObject({ code: 1, stderr: expect.stringContaining('exists already') });
    expect(await cli(['admin:revoke-key', 'support-desk'])).toMatchObject({ code: 0, stdout: 'Revoked admin key "support-desk".\n' });
    expect((await api().get('/v1/admin/users').auth(key, { type: 'bearer' })).status).toBe(401);
    expect(await cli(['admin:revoke-key', 'support-desk'])).toMatchObject({ code: 1, stderr: expect.stringContaining('was not found') });
  }, 120_000);

  it('disables a user by an address as typed, which ends their sessions; enables them by id', async () => {
    const login = await phoneLogin(PHONE);
    const userId = login.body.userId as string;
    const disabled = await cli(['user:disable', '+1 (800) 555-1234']);
    expect(disabled).toMatchObject({ code: 0, stdout: `Disabled user ${userId}.\n` });
    expect((await api().get('/v1/me').auth(login.body.token, { type: 'bearer' })).status).toBe(401);
    expect(t.mesibo.isTokenValid(login.body.token)).toBe(false);
    t.clock.advance(61);
    await api().post('/v1/auth/otp').send({ phone: PHONE, appid: APPID }).expect(202);
    const refused = await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp: t.gateway.lastCodeFor(PHONE) });
    expect([refused.status, refused.body.code]).toEqual([403, 'account_disabled']);

    // No support token for a disabled user.
    expect(await cli(['user:token', PHONE, '--appid', APPID])).toMatchObject({ code: 1, stderr: expect.stringContaining('This account is disabled') });

    expect(await cli(['user:enable', userId.toUpperCase()])).toMatchObject({ code: 0, stdout: `Enabled user ${userId}.\n` });
    expect((await api().post('/v1/auth/otp/verify').send({ phone: PHONE, appid: APPID, otp: t.gateway.lastCodeFor(PHONE) })).status).toBe(200);

    // A look-alike of the number is nobody.
    expect(await cli(['user:disable', '１８００５５５１２３４'])).toMatchObject({ code: 1, stderr: expect.stringContaining('The user was not found') });
    const audit = await t.db.selectFrom('audit_events').selectAll().where('user_id', '=', userId).where('type', 'like', 'admin.%').execute();
    expect(audit.map((event) => [event.type, event.method]).sort()).toEqual([
      ['admin.user-disabled', 'cli'],
      ['admin.user-enabled', 'cli'],
    ]);
  }, 120_000);

  it('issues a support token on the one token path: a session of the method admin, revoked like any other', async () => {
    const login = await phoneLogin('14155550177');
    const userId = login.body.userId as string;
    const issued = await cli(['user:token', '+14155550177', '--appid', APPID]);
    expect(issued.code).toBe(0);
    const answer = JSON.parse(issued.stdout) as { userId: string; address: string; token: string; expiresAt: string };
    expect(answer).toMatchObject({ userId, address: '14155550177' });
    expect(t.mesibo.isTokenValid(answer.token)).toBe(true);
    const me = await api().get('/v1/me').auth(answer.token, { type: 'bearer' });
    expect([me.status, me.body.id]).toEqual([200, userId]);

    const key = (await cli(['admin:create-key', 'ops'])).stdout.trim();
    const details = await api().get(`/v1/admin/users/${userId}`).auth(key, { type: 'bearer' }).expect(200);
    expect(details.body.sessions).toEqual(expect.arrayContaining([expect.objectContaining({ loginMethod: 'admin', device: 'support', appid: APPID })]));
    // No identity was added: a support token is not a login.
    expect((details.body as { identities: Array<{ method: string }> }).identities.map((identity) => identity.method)).toEqual(['phone']);
    const audit = await t.db.selectFrom('audit_events').selectAll().where('type', '=', 'admin.token-issued').execute();
    expect(audit).toEqual([expect.objectContaining({ user_id: userId, method: 'cli', app_id: APPID })]);
    expect(JSON.stringify(audit)).not.toContain(answer.token);

    await api().post(`/v1/admin/users/${userId}/sessions/end`).auth(key, { type: 'bearer' }).expect(200);
    expect(t.mesibo.isTokenValid(answer.token)).toBe(false);
    expect(await cli(['user:token', '+14155550177'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Usage: npm run cli -- user:token') });
    expect(await cli(['user:token', 'nobody-here', '--appid', APPID])).toMatchObject({ code: 1, stderr: expect.stringContaining('The user was not found') });
  }, 120_000);

  it('purges expired records once', async () => {
    // Codes requested at the test clock's time have long expired by the command's (real) clock.
    await api().post('/v1/auth/otp').send({ phone: '14155550199', appid: APPID }).expect(202);
    const codes = async () => (await t.db.selectFrom('otp_challenges').select('id').execute()).length;
    expect(await codes()).toBeGreaterThan(0);
    const purged = await cli(['purge']);
    expect(purged.code).toBe(0);
    expect(purged.stdout).toMatch(/^Deleted: \d+ codes, /);
    expect(await codes()).toBe(0);
    // One run per interval, on whichever instance takes the lease first.
    expect((await cli(['purge'])).stdout).toMatch(/^Skipped: /);
  }, 120_000);

  it('applies migrations like npm run migrate, to a database of its own', async () => {
    const fresh = await createTestDatabase();
    try {
      const all = Object.keys(await migrationProvider.getMigrations()).sort();
      const first = await cli(['migrate'], { DATABASE_URL: fresh.url });
      expect(first).toMatchObject({ code: 0, stdout: `Applied: ${all.join(', ')}\n` });
      expect(await cli(['migrate'], { DATABASE_URL: fresh.url })).toMatchObject({ code: 0, stdout: 'Nothing to apply.\n' });
    } finally {
      await fresh.drop();
    }
  }, 120_000);

  it('answers an unknown command or a wrong use with the usage, exit code 2', async () => {
    const unknown = await cli(['nosuch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('admin:create-key <name>');
    expect(unknown.stderr).toContain('user:disable <user id | address>');
    expect(await cli(['migrate', '--force'])).toMatchObject({ code: 2 });
  }, 120_000);
});
