import request from 'supertest';
import { databaseEngineOf } from '../src/config/database.config';
import { startTestApp, TestApp } from './support/test-app';

const PHONE = '18005551234';
const APPID = 'com.mesibo.firstapp';
const server = process.env.E2E_DATABASE_URL;
// An outage needs a database server to lose; the embedded SQLite file cannot go away.
const onServer = server !== undefined && databaseEngineOf(server) !== 'sqlite' ? describe : describe.skip;

onServer('database outage: clear errors while it is gone, service again when it is back', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startTestApp({ DB_POOL_MAX: '2' }, { databaseProxy: true });
  });
  afterEach(async () => {
    await t.close();
  });

  async function login(): Promise<string> {
    expect((await request(t.url).post('/v1/auth/otp').send({ phone: PHONE, appid: APPID })).status).toBe(202);
    const verify = await request(t.url)
      .post('/v1/auth/otp/verify')
      .send({ phone: PHONE, appid: APPID, otp: t.gateway.lastCodeFor(PHONE) });
    expect(verify.status).toBe(200);
    return verify.body.token as string;
  }

  it('answers 503 / UNAVAILABLE during the outage and recovers without a restart', async () => {
    const token = await login();
    await t.databaseProxy!.stop();

    const rest = await request(t.url).post('/v1/auth/otp').send({ phone: PHONE, appid: APPID });
    expect(rest.status).toBe(503);
    expect(rest.body.code).toBe('service_unavailable');

    const me = await request(t.url).get('/v1/me').auth(token, { type: 'bearer' });
    expect(me.status).toBe(503);

    const legacy = await request(t.url).post('/').send({ op: 'login', phone: PHONE, appid: APPID });
    expect(legacy.status).toBe(200);
    expect(legacy.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'UNAVAILABLE' });

    await t.databaseProxy!.start();
    expect((await request(t.url).get('/v1/me').auth(token, { type: 'bearer' })).status).toBe(200);
    t.clock.advance(31);
    expect(await login()).toEqual(expect.any(String));
  });
});
