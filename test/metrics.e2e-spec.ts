import request from 'supertest';
import { AuditTrail } from '../src/audit/audit-trail';
import { freePorts } from './support/free-ports';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const TOKEN = 'metrics-scrape-key-0123456789-0123456789';

/** The value of one series in Prometheus' text format, or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Prometheus metrics at /metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN: TOKEN });
  });
  afterAll(() => t.close());

  const scrape = async (): Promise<string> => {
    const res = await request(t.url).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    return res.text;
  };

  it('refuses a scrape without the key, or with another one', async () => {
    expect((await request(t.url).get('/metrics')).status).toBe(401);
    expect((await request(t.url).get('/metrics').set('Authorization', `Bearer ${TOKEN.slice(0, -1)}x`)).status).toBe(401);
    expect((await request(t.url).get('/metrics').set('Authorization', `Basic ${TOKEN}`)).status).toBe(401);
  });

  it('counts a login, a wrong code and a rate limit, and times mesibo and the routes', async () => {
    const phone = '18005550111';
    expect((await request(t.url).post('/v1/auth/otp').send({ phone, appid: APPID })).status).toBe(202);
    // Within the resend cooldown: refused by a limit.
    expect((await request(t.url).post('/v1/auth/otp').send({ phone, appid: APPID })).status).toBe(429);
    const code = t.gateway.lastCodeFor(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    expect((await request(t.url).post('/v1/auth/otp/verify').send({ phone, appid: APPID, otp: wrong })).status).toBe(401);
    expect((await request(t.url).post('/').send({ op: 'login', phone, appid: APPID, otp: code })).body.result).toBe('OK');

    const text = await scrape();
    expect(sample(text, 'logins_total{method="phone",outcome="success"}')).toBe(1);
    expect(sample(text, 'logins_total{method="phone",outcome="invalid_code"}')).toBe(1);
    expect(sample(text, 'codes_sent_total{channel="sms",outcome="sent"}')).toBe(1);
    expect(sample(text, 'codes_sent_total{channel="sms",outcome="rate_limited"}')).toBe(1);
    expect(sample(text, 'limit_refusals_total{kind="otp-cooldown"}')).toBe(1);
    expect(sample(text, 'mesibo_request_duration_seconds_count{op="useradd",outcome="ok"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count{method="POST",route="/v1/auth/otp/verify",status="401"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count{method="POST",route="/",status="200"}')).toBe(1);
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('labels requests by route pattern, never by the path a client chose', async () => {
    await request(t.url).get('/no/such/path-d41d8cd98f00');
    await request(t.url).post('/v1/auth/nosuch-d41d8cd98f00/login').send({ appid: APPID });
    const text = await scrape();
    expect(text).not.toContain('d41d8cd98f00');
    expect(sample(text, 'http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'http_request_duration_seconds_count{method="POST",route="/v1/auth/:method/login",status="404"}')).toBe(1);
  });
  it('shows the database pool: every connection a burst took is given back, also after failed statements', async () => {
    const engineIsServer = !t.db.getExecutor().adapter.constructor.name.startsWith('Sqlite');
    // A burst of logins (most refused, some by a unique-key race) keeps the pool busy, then ends.
    await Promise.all(
      Array.from({ length: 120 }, (_, i) => request(t.url).post('/').send({ op: 'login', phone: `1800555${String(2000 + (i % 7))}`, appid: 'com.example.pool', otp: '000000' })),
    );
    await Promise.all(Array.from({ length: 20 }, () => t.db.selectFrom('no_such_table' as never).selectAll().execute().catch(() => undefined)));
    // The burst's audit rows are written up to 50 ms later, on a pooled connection: at rest means after that.
    await t.app.get(AuditTrail).flush();
    const text = await scrape();
    expect(sample(text, 'db_pool_max_connections')).toBe(engineIsServer ? 10 : 1);
    expect(sample(text, 'db_pool_connections_in_use')).toBe(0);
    expect(sample(text, 'db_pool_waiting_requests')).toBe(0);
  });
});

describe('metrics without METRICS_TOKEN (the default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN: '' });
  });
  afterAll(() => t.close());

  it('has no /metrics endpoint', async () => {
    expect((await request(t.url).get('/metrics')).status).toBe(404);
    expect((await request(t.url).get('/metrics').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(404);
  });
});

describe('metrics on a port of their own (METRICS_PORT)', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    [port] = await freePorts(1);
    t = await startTestApp({ METRICS_TOKEN: '', METRICS_PORT: String(port) });
  });
  afterAll(() => t.close());

  const metricsPort = () => request(`http://127.0.0.1:${port}`);

  it('serves /metrics there without a key when METRICS_TOKEN is unset, and nothing else', async () => {
    await request(t.url).post('/v1/auth/otp/verify').send({ phone: '18005550142', appid: APPID, otp: '000000' });
    const res = await metricsPort().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(sample(res.text, 'http_request_duration_seconds_count{method="POST",route="/v1/auth/otp/verify",status="401"}')).toBe(1);
    expect((await metricsPort().get('/')).status).toBe(404);
    expect((await metricsPort().post('/metrics')).status).toBe(404);
    expect((await metricsPort().get('/v1/me')).status).toBe(404);
    // The API's port still has no /metrics.
    expect((await request(t.url).get('/metrics')).status).toBe(404);
  });

  it('stops serving when the service stops', async () => {
    const other = await freePorts(1);
    const app = await startTestApp({ METRICS_TOKEN: TOKEN, METRICS_PORT: String(other[0]) });
    const scrape = () => request(`http://127.0.0.1:${other[0]}`).get('/metrics');
    expect((await scrape()).status).toBe(401);
    expect((await scrape().set('Authorization', `Bearer ${TOKEN}`)).status).toBe(200);
    await app.close();
    await expect(scrape()).rejects.toThrow(/ECONNREFUSED/);
  });
});
