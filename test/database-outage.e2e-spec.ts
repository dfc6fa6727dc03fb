import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import request from 'supertest';
import { isDatabaseUnavailable } from '../src/common/infrastructure-errors';
import { databaseEngineOf } from '../src/config/database.config';
import { startTestApp, TestApp } from './support/test-app';

const PHONE = '18005551234';
/** Asked for during an outage: a number of its own, so no resend cooldown of PHONE answers first. */
const OTHER_PHONE = '14155550123';
const APPID = 'com.mesibo.firstapp';
const server = process.env.E2E_DATABASE_URL;
const engine = server !== undefined ? databaseEngineOf(server) : 'sqlite';
// An outage needs a database server to lose; the embedded SQLite file cannot go away.
const onServer = engine !== 'sqlite' ? describe : describe.skip;
const onSqlite = engine === 'sqlite' ? describe : describe.skip;

async function login(t: TestApp, phone = PHONE): Promise<string> {
  expect((await request(t.url).post('/v1/auth/otp').send({ phone, appid: APPID })).status).toBe(202);
  const verify = await request(t.url).post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp: t.gateway.lastCodeFor(phone) });
  expect(verify.status).toBe(200);
  return verify.body.token as string;
}

/** startTestApp with every setting this spec varies given (process.env carries them from one app to the next). */
function start(env: Record<string, string>, options: { databaseProxy?: boolean } = {}): Promise<TestApp> {
  return startTestApp({ DB_POOL_MAX: '2', DB_STATEMENT_TIMEOUT_MS: '5000', DB_ACQUIRE_TIMEOUT_MS: '3000', ...env }, options);
}

/** The time a request takes, and its answer. */
async function timed<T>(work: Promise<T>): Promise<{ ms: number; value: T }> {
  const started = Date.now();
  const value = await work;
  return { ms: Date.now() - started, value };
}

/** A long statement on the app's own pool, holding one of its connections. */
function sleepOnServer(t: TestApp, seconds: number): Promise<unknown> {
  const statement = engine === 'postgres' ? sql`select pg_sleep(${seconds})` : sql`select sleep(${seconds})`;
  return statement.execute(t.db);
}

/** Ends, from outside, every connection of the app's database except this admin one. */
async function killAppConnections(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  if (engine === 'postgres') {
    const admin = new Client({ connectionString: server });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
    } finally {
      await admin.end();
    }
    return;
  }
  const admin = await createConnection({ uri: server!.replace(/^mariadb:/, 'mysql:') });
  try {
    const [rows] = await admin.query('select id from information_schema.processlist where db = ? and id <> connection_id()', [name]);
    for (const { id } of rows as Array<{ id: number }>) await admin.query(`kill ${Number(id)}`);
  } finally {
    await admin.end();
  }
}

onServer('database outage: clear errors while it is gone, service again when it is back', () => {
  let t: TestApp;

  afterEach(async () => {
    t?.databaseProxy?.resume();
    await t?.close();
  });

  it('answers 503 / UNAVAILABLE during the outage and recovers without a restart', async () => {
    t = await start({ DB_POOL_MAX: '2' }, { databaseProxy: true });
    const token = await login(t);
    await t.databaseProxy!.stop();

    const rest = await request(t.url).post('/v1/auth/otp').send({ phone: OTHER_PHONE, appid: APPID });
    expect(rest.status).toBe(503);
    expect(rest.body.code).toBe('service_unavailable');

    const me = await request(t.url).get('/v1/me').auth(token, { type: 'bearer' });
    expect(me.status).toBe(503);

    const legacy = await request(t.url).post('/').send({ op: 'login', phone: OTHER_PHONE, appid: APPID });
    expect(legacy.status).toBe(200);
    expect(legacy.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'UNAVAILABLE' });

    await t.databaseProxy!.start();
    expect((await request(t.url).get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(200);
    t.clock.advance(31);
    expect(await login(t)).toEqual(expect.any(String));
  });

  it(`survives a connection killed on the server while in use (${engine === 'postgres' ? 'pg_terminate_backend' : 'KILL'})`, async () => {
    t = await start({});
    await login(t);
    // A transaction holds its connection between statements: killed then, the connection reports
    // the error on itself rather than to a statement (an unhandled 'error' event ends the process).
    const transaction = t.db
      .transaction()
      .execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await sql`select 1`.execute(trx);
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await killAppConnections(String(process.env.DATABASE_URL));

    const failure = await transaction;
    // It fails as "unavailable" (503), not as a bug (500).
    expect(failure).toBeDefined();
    expect(isDatabaseUnavailable(failure)).toBe(true);
    // The process is still here, and the pool replaces the dead connections.
    t.clock.advance(31);
    expect(await login(t)).toEqual(expect.any(String));
    expect(t.logs.lines.some((line) => /connection lost/i.test(line))).toBe(true);
  });

  it('answers 503 for a request whose connection is cut while it waits, then recovers', async () => {
    // A long statement timeout, so that the cut (not the timeout) is what ends the request.
    t = await start({ DB_POOL_MAX: '2', DB_STATEMENT_TIMEOUT_MS: '30000' }, { databaseProxy: true });
    const token = await login(t);
    t.databaseProxy!.stall();
    const inFlight = request(t.url).get('/v1/me').auth(token, { type: 'bearer' }).then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await t.databaseProxy!.stop();

    const { ms, value: res } = await timed(inFlight);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('service_unavailable');
    expect(ms).toBeLessThan(5000);

    await t.databaseProxy!.start();
    t.databaseProxy!.resume();
    expect((await request(t.url).get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(200);
  });

  it('answers 503 within the statement timeout while the database hangs, and recovers', async () => {
    t = await start({ DB_POOL_MAX: '2', DB_STATEMENT_TIMEOUT_MS: '1000', DB_ACQUIRE_TIMEOUT_MS: '1000' }, { databaseProxy: true });
    const token = await login(t);
    t.databaseProxy!.stall();

    const me = await timed(request(t.url).get('/v1/me').auth(token, { type: 'bearer' }).then((res) => res));
    expect(me.value.status).toBe(503);
    expect(me.value.body.code).toBe('service_unavailable');
    // 1 s statement timeout, half a second of grace for a server that cannot answer, some slack.
    expect(me.ms).toBeLessThan(3500);

    // New connections hang too: they time out when acquired.
    const legacy = await timed(request(t.url).post('/').send({ op: 'login', phone: OTHER_PHONE, appid: APPID }).then((res) => res));
    expect(legacy.value.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'UNAVAILABLE' });
    expect(legacy.ms).toBeLessThan(3500);

    t.databaseProxy!.resume();
    expect((await request(t.url).get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(200);
    t.clock.advance(31);
    expect(await login(t)).toEqual(expect.any(String));
  });

  it('answers 503 when no pooled connection frees up within DB_ACQUIRE_TIMEOUT_MS', async () => {
    t = await start({ DB_POOL_MAX: '1', DB_ACQUIRE_TIMEOUT_MS: '500' });
    const token = await login(t);
    const holding = sleepOnServer(t, 2);

    const me = await timed(request(t.url).get('/v1/me').auth(token, { type: 'bearer' }).then((res) => res));
    expect(me.value.status).toBe(503);
    expect(me.ms).toBeLessThan(1800);

    await holding;
    expect((await request(t.url).get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(200);
  });
});

onSqlite('SQLite: a write lock held elsewhere', () => {
  let t: TestApp;
  afterEach(async () => {
    await t?.close();
  });

  it('answers 503 after DB_ACQUIRE_TIMEOUT_MS (the busy timeout), and works once the lock is gone', async () => {
    t = await start({ DB_ACQUIRE_TIMEOUT_MS: '300' });
    const file = String(process.env.DATABASE_URL).replace(/^sqlite:/, '');
    const other = new SqliteDatabase(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      const otp = await timed(request(t.url).post('/v1/auth/otp').send({ phone: PHONE, appid: APPID }).then((res) => res));
      expect(otp.value.status).toBe(503);
      expect(otp.value.body.code).toBe('service_unavailable');
      expect(otp.ms).toBeLessThan(3000);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect(await login(t)).toEqual(expect.any(String));
  });
});
