import { execFile } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { UsernameAccountsService } from '../src/methods/username/username-accounts.service';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const PASSWORD = 'correct horse battery staple';

function statuses(responses: Array<{ status: number }>): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of responses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe('username and password login', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ USERNAME_LOGIN: 'true', USERNAME_SELF_REGISTRATION: 'true', TRUST_PROXY: 'loopback' });
  });
  afterAll(() => t.close());

  const api = () => request(t.url);
  const login = (username: string, password = PASSWORD, client = '198.51.100.1') =>
    api().post('/v1/auth/username/login').set('X-Forwarded-For', client).send({ username, password, appid: APPID });
  const create = (username: string, password = PASSWORD, name?: string) => t.app.get(UsernameAccountsService).create(username, password, name);

  it('logs an operator-created account in on both surfaces, with the username as mesibo address', async () => {
    await create('ada', PASSWORD, 'Ada Lovelace');
    const rest = await login('ada');
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ address: 'ada', newUser: true });
    expect(t.mesibo.users.get('ada')?.tokens.has(rest.body.token)).toBe(true);
    const me = await api().get('/v1/me').auth(rest.body.token, { type: 'bearer' });
    expect(me.body).toMatchObject({ displayName: 'Ada Lovelace', identities: [expect.objectContaining({ method: 'username', subject: 'ada' })] });

    const op = await api().post('/').send({ op: 'login', method: 'username', username: 'ada', password: PASSWORD, appid: APPID, dt: 'android' });
    expect(op.body).toMatchObject({ op: 'login', result: 'OK', phone: 'ada' });
    expect(t.mesibo.users.get('ada')?.tokens.has(op.body.token)).toBe(true);
  });

  it('answers a wrong password and an unknown username alike, on both surfaces', async () => {
    await create('grace');
    const wrong = await login('grace', 'not the password');
    const unknown = await login('nobody-here', 'not the password');
    for (const res of [wrong, unknown]) expect([res.status, res.body.code, res.body.detail]).toEqual([401, 'invalid_credentials', 'Wrong username or password.']);
    const op = await api().post('/').send({ op: 'login', method: 'username', username: 'nobody-here', password: 'x', appid: APPID });
    expect(op.body).toMatchObject({ result: 'FAIL', error: 'BADLOGIN' });
  });

  it('treats case and surrounding spaces as one account, and look-alike letters as no account', async () => {
    await create('Linus');
    expect((await login('LINUS')).status).toBe(200);
    expect((await login('  linus ')).status).toBe(200);
    // Cyrillic "і" and "ո" look like i and n.
    expect((await login('lіnus')).status).toBe(401);
    expect((await login('liոus')).status).toBe(401);
    await expect(create('lіnus')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(create('LINUS')).rejects.toMatchObject({ code: 'identity_in_use' });
    const rows = await t.db.selectFrom('username_accounts').select('username').where('username', 'like', '%nus').execute();
    expect(rows.map((row) => row.username)).toEqual(['linus']);
  });

  describe('self-registration', () => {
    const register = (body: Record<string, unknown>) => api().post('/v1/auth/username/register').send(body);

    it('creates an account that logs in; a taken username is a 409', async () => {
      const res = await register({ username: 'Margaret', password: PASSWORD, name: 'Margaret H.' });
      expect([res.status, res.body]).toEqual([201, { username: 'margaret' }]);
      expect((await login('margaret')).status).toBe(200);
      const again = await register({ username: 'margaret', password: 'another fine passphrase' });
      expect([again.status, again.body.code]).toEqual([409, 'identity_in_use']);
    });

    it.each([
      ['all digits, a phone number', '18005550199', 'invalid_request'],
      ['an email address', 'x@example.com', 'invalid_request'],
      ['too short', 'ab', 'invalid_request'],
      ['non-ASCII', 'zoë', 'invalid_request'],
      ['a dot at the end', 'ada.', 'invalid_request'],
    ])('refuses a username that is %s', async (_case, username, code) => {
      const res = await register({ username, password: PASSWORD });
      expect([res.status, res.body.code]).toEqual([400, code]);
    });

    it('refuses a weak password, and one equal to the username', async () => {
      expect((await register({ username: 'weakling', password: 'password1' })).body.code).toBe('weak_password');
      expect((await register({ username: 'samename1', password: 'samename1' })).body.code).toBe('weak_password');
    });
  });

  it('checks at most 10 of 150 concurrent wrong passwords from one client; the owner, elsewhere, still logs in', async () => {
    await create('target');
    const guesses = await Promise.all(Array.from({ length: 150 }, (_, i) => login('target', `wrong guess ${i}`, '192.0.2.66')));
    expect(statuses(guesses)).toEqual({ 401: 10, 429: 140 });
    expect((await login('target', PASSWORD, '192.0.2.66')).status).toBe(429);
    expect((await login('target', PASSWORD, '198.51.100.9')).status).toBe(200);
  }, 60_000);

  it('checks at most 100 of 200 concurrent wrong passwords from 200 clients, then locks the account for the window', async () => {
    await create('locked');
    const guesses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => login('locked', `wrong guess ${i}`, `203.0.${Math.floor(i / 250)}.${(i % 250) + 1}`)),
    );
    // A password check the hashing queue had no room for (503) still spent its unit.
    const counts = statuses(guesses);
    expect(counts[429]).toBe(100);
    expect((counts[401] ?? 0) + (counts[503] ?? 0)).toBe(100);
    expect((await login('locked', PASSWORD, '198.51.100.77')).status).toBe(429);
    t.clock.advance(901);
    expect((await login('locked', PASSWORD, '198.51.100.77')).status).toBe(200);
  }, 120_000);

  it('never logs a password', () => {
    expect(t.logs.lines.join('\n')).not.toContain(PASSWORD);
    expect(t.logs.lines.join('\n')).not.toContain('wrong guess');
  });
});

describe('username login switched off (the default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ USERNAME_LOGIN: '', USERNAME_SELF_REGISTRATION: '' });
  });
  afterAll(() => t.close());

  it('offers neither login nor registration', async () => {
    expect((await request(t.url).post('/v1/auth/username/login').send({ username: 'ada', password: PASSWORD, appid: APPID })).status).toBe(404);
    expect((await request(t.url).post('/v1/auth/username/register').send({ username: 'ada', password: PASSWORD })).status).toBe(404);
  });
});

describe('the operator command username:create', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The command and the service share the database (a file on SQLite, a server otherwise).
    t = await startTestApp({ USERNAME_LOGIN: 'true' });
  });
  afterAll(() => t.close());

  const cli = (args: string[], stdin: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', 'src/cli.ts', ...args],
        { cwd: join(__dirname, '..'), env: { ...process.env, NODE_ENV: 'test' } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end(stdin);
    });

  it('creates an account with the password from stdin; the service logs it in', async () => {
    const created = await cli(['username:create', 'Operator.Made', '--name', 'Made By Ops'], `${PASSWORD}\n`);
    expect(created).toMatchObject({ code: 0, stdout: 'Created username account "operator.made".\n' });
    const res = await request(t.url).post('/v1/auth/username/login').send({ username: 'operator.made', password: PASSWORD, appid: APPID });
    expect(res.status).toBe(200);
  }, 60_000);

  it('says why it refused, without a stack trace, and exits non-zero', async () => {
    const weak = await cli(['username:create', 'someone'], 'password1');
    expect(weak.code).toBe(1);
    expect(weak.stderr.trim().split('\n').at(-1)).toBe('This password is too common; choose another.');
    expect(weak.stderr).not.toMatch(/^\s+at /m);
    const usage = await cli(['username:create'], PASSWORD);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: npm run cli -- username:create <username>');
  }, 60_000);
});
