import { sql } from 'kysely';
import request from 'supertest';
import { migrationProvider } from '../src/database/migrations';
import { MesiboSimulator } from '../src/mesibo-simulator/mesibo-simulator';
import { AppProcess, startAppProcess } from './support/app-process';
import { APP_TOKEN, startTestApp, TestApp } from './support/test-app';
import { createTestDatabase, TestDatabase } from './support/test-database';

describe('health checks (/health)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  const api = () => request(t.url);

  async function lastMigration(): Promise<string> {
    return Object.keys(await migrationProvider.getMigrations()).sort().at(-1)!;
  }

  it('live: 200 ok, checking nothing, not cacheable', async () => {
    const res = await api().get('/health/live');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toContain('no-store');
    expect(res.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
  });

  it('ready: 200 with the database up, every migration applied, and mesibo reachable', async () => {
    const res = await api().get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      info: {
        database: { status: 'up' },
        migrations: { status: 'up', applied: Object.keys(await migrationProvider.getMigrations()).length },
        mesibo: { status: 'up' },
      },
      error: {},
      details: {
        database: { status: 'up' },
        migrations: { status: 'up', applied: expect.any(Number) },
        mesibo: { status: 'up' },
      },
    });
  });

  it('ready: still 200 when mesibo is unreachable, reporting it down', async () => {
    await t.mesibo.stop();
    const res = await api().get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.error).toEqual({});
    expect(res.body.info.mesibo).toEqual({ status: 'down', message: 'unreachable' });
    expect(res.body.details).toMatchObject({ database: { status: 'up' }, migrations: { status: 'up' }, mesibo: { status: 'down' } });
    expect(t.logs.lines.some((line) => /mesibo API is unreachable/.test(line))).toBe(true);
  });

  it('ready: asks mesibo with the App Token, harmlessly, and reuses the answer for a while', async () => {
    const asks = () => t.mesibo.requests.filter((request) => request.op === 'useradd' && request.body.user === undefined).length;
    for (let i = 0; i < 3; i++) expect((await api().get('/health/ready')).status).toBe(200);
    expect(asks()).toBe(1);
    expect(t.mesibo.users.size).toBe(0);

    t.clock.advance(30);
    expect((await api().get('/health/ready')).status).toBe(200);
    expect(asks()).toBe(2);
  });

  it('ready: 503 naming the migrations check when a migration is not applied', async () => {
    const missing = await lastMigration();
    await sql`delete from kysely_migration where name = ${missing}`.execute(t.db);

    const res = await api().get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      status: 'error',
      info: { database: { status: 'up' }, mesibo: { status: 'up' } },
      error: { migrations: { status: 'down', message: '1 migration(s) not applied', pending: [missing] } },
      details: {
        database: { status: 'up' },
        migrations: { status: 'down', message: '1 migration(s) not applied', pending: [missing] },
        mesibo: { status: 'up' },
      },
    });

    // Live does not depend on the database.
    expect((await api().get('/health/live')).status).toBe(200);
  });

  it('ready: 503 naming both database checks when the database is unreachable; live stays 200', async () => {
    // Kysely's destroy is idempotent, so the app's own destroy at shutdown still succeeds. It is a
    // no-op on a driver that never ran a query (migrations run on a connection of their own).
    await sql`select 1`.execute(t.db);
    await t.db.destroy();

    const res = await api().get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      status: 'error',
      info: { mesibo: { status: 'up' } },
      error: {
        database: { status: 'down', message: 'the database did not answer' },
        migrations: { status: 'down', message: 'could not read the applied migrations' },
      },
      details: {
        database: { status: 'down', message: 'the database did not answer' },
        migrations: { status: 'down', message: 'could not read the applied migrations' },
        mesibo: { status: 'up' },
      },
    });
    // The cause goes to the log, not to the public body.
    expect(t.logs.lines.some((line) => line.includes('database: the database did not answer: driver has already been destroyed'))).toBe(true);
    expect((await api().get('/health/live')).status).toBe(200);
  });

  it('ready: 503 naming mesibo when it refuses the App Token (every login would fail BADAPP)', async () => {
    await t.close();
    t = await startTestApp({ MESIBO_APP_TOKEN: 'not-the-app-token-of-this-app' });

    const res = await api().get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      status: 'error',
      info: { database: { status: 'up' }, migrations: { status: 'up', applied: expect.any(Number) } },
      error: { mesibo: { status: 'down', message: 'app token refused' } },
      details: {
        database: { status: 'up' },
        migrations: { status: 'up', applied: expect.any(Number) },
        mesibo: { status: 'down', message: 'app token refused' },
      },
    });
    expect(t.logs.lines.some((line) => line.includes('mesibo refuses the App Token'))).toBe(true);
    expect(t.logs.lines.join('\n')).not.toContain('not-the-app-token-of-this-app');
    // The op API says the same to the apps.
    const legacy = await api().post('/').send({ op: 'login', phone: '18005551234', appid: 'com.mesibo.firstapp', otp: '123456' });
    expect(legacy.body.result).toBe('FAIL');
  });

  it('is listed in the OpenAPI document under the health tag', async () => {
    const doc = await api().get('/docs/openapi.json');
    expect(doc.body.paths['/health/live'].get.tags).toEqual(['health']);
    expect(doc.body.paths['/health/ready'].get.tags).toEqual(['health']);
    expect(Object.keys(doc.body.paths['/health/ready'].get.responses)).toEqual(expect.arrayContaining(['200', '503']));
  });
});

describe('readiness while shutting down (SIGTERM to the service process)', () => {
  let database: TestDatabase;
  let mesibo: MesiboSimulator;
  let service: AppProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    mesibo = await new MesiboSimulator({ appToken: APP_TOKEN }).start();
  });
  afterAll(async () => {
    await service?.stop();
    await mesibo.stop();
    await database.drop();
  });

  it('answers 503 "shutting down" for SHUTDOWN_DELAY_MS while still serving, then exits 0', async () => {
    service = await startAppProcess({
      DATABASE_URL: database.url,
      MESIBO_API_URL: mesibo.url,
      MESIBO_APP_TOKEN: APP_TOKEN,
      OTP_SECRET: 'shutdown-spec-otp-secret-long-enough-0123',
      SHUTDOWN_DELAY_MS: '4000',
      // Settings left in process.env by the test apps above must not leak into this process.
      OTP_SENDER: 'console',
      OTP_WEBHOOK_URL: '',
      REDIS_URL: '',
    });
    expect((await request(service.url).get('/health/ready')).status).toBe(200);

    const exited = service.stop();
    let ready: request.Response | undefined;
    for (let i = 0; i < 50 && ready?.status !== 503; i++) {
      ready = await request(service.url).get('/health/ready');
      if (ready.status !== 503) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(ready?.status).toBe(503);
    expect(ready?.body).toEqual({
      status: 'error',
      info: {},
      error: { shutdown: { status: 'down', message: 'shutting down' } },
      details: { shutdown: { status: 'down', message: 'shutting down' } },
    });
    // Everything else is still served meanwhile.
    expect((await request(service.url).get('/health/live')).status).toBe(200);
    expect((await request(service.url).post('/v1/auth/otp').send({ phone: '18005551234', appid: 'com.mesibo.firstapp' })).status).toBe(202);

    expect(await exited).toBe(0);
    expect(service.output()).toContain('Readiness is off');
  }, 60_000);
});
