import { sql } from 'kysely';
import request from 'supertest';
import { migrationProvider } from '../src/database/migrations';
import { startTestApp, TestApp } from './support/test-app';

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
    expect(res.body.info.mesibo).toEqual({ status: 'down' });
    expect(res.body.details).toMatchObject({ database: { status: 'up' }, migrations: { status: 'up' }, mesibo: { status: 'down' } });
    expect(t.logs.lines.some((line) => /mesibo API at .* is unreachable/.test(line))).toBe(true);
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
    // Kysely's destroy is idempotent, so the app's own destroy at shutdown still succeeds.
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

  it('is listed in the OpenAPI document under the health tag', async () => {
    const doc = await api().get('/docs/openapi.json');
    expect(doc.body.paths['/health/live'].get.tags).toEqual(['health']);
    expect(doc.body.paths['/health/ready'].get.tags).toEqual(['health']);
    expect(Object.keys(doc.body.paths['/health/ready'].get.responses)).toEqual(expect.arrayContaining(['200', '503']));
  });
});
