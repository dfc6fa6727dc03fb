import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import request from 'supertest';
import { openDatabase } from '../src/database/connection';
import { AppProcess, startAppProcess } from './support/app-process';
import { freePorts } from './support/free-ports';
import { SmsGateway } from './support/sms-gateway';
import { createTestDatabase, TestDatabase } from './support/test-database';

const APPID = 'com.mesibo.firstapp';
/** Wrong codes one number may have compared per window, from all clients together. */
const FAILURES_PER_NUMBER = 3;
const METRICS_KEY = 'cluster-metrics-key-0123456789abcdefgh';

/** The pids of a process's children: here, the primary's workers. */
function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** CPU time (user + system, in clock ticks) a process has used so far. */
function cpuTicks(pid: number): number {
  // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** How much CPU time each of `pids` uses while `work` runs. */
async function cpuDuring(pids: number[], work: () => Promise<unknown>): Promise<number[]> {
  const before = pids.map(cpuTicks);
  await work();
  return pids.map((pid, i) => cpuTicks(pid) - before[i]);
}

/** A code of the same length that is certainly not `code`. */
function wrongCode(code: string, salt: number): string {
  return `${code.slice(0, -1)}${(Number(code.at(-1)) + (salt % 9) + 1) % 10}`;
}

function statuses(responses: Array<{ status: number }>): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of responses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/**
 * CLUSTER_WORKERS=2: a primary that migrates and runs the development mesibo simulator once, and
 * two workers sharing the port, the database (and Redis with E2E_REDIS_URL) and one OTP key.
 */
describe('the service with two cluster workers', () => {
  let database: TestDatabase;
  let gateway: SmsGateway;
  let app: AppProcess;
  let primary: number;
  let metricsPort: number;

  const clean = (): string => app.output().replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
  /** Waits until the service's log has a line matching `pattern`; resolves with its match. */
  const logLine = async (pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> => {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
      const match = pattern.exec(clean());
      if (match) return match;
      await new Promise((done) => setTimeout(done, 50));
    }
    throw new Error(`no log line matching ${pattern} within ${timeoutMs} ms:\n${clean()}`);
  };

  const api = () => request(app.url);
  /** A fresh connection per request, so the primary hands consecutive requests to alternate workers. */
  const post = (path: string, body: object, client = '198.51.100.7') =>
    api().post(path).set('Connection', 'close').set('X-Forwarded-For', client).send(body);

  async function fullLogin(phone: string): Promise<void> {
    expect((await post('/v1/auth/otp', { phone, appid: APPID })).status).toBe(202);
    const verified = await post('/v1/auth/otp/verify', { phone, appid: APPID, otp: gateway.lastCodeFor(phone) });
    expect(verified.status).toBe(200);
    const token = verified.body.token as string;
    const me = await api().get('/v1/me').set('Connection', 'close').auth(token, { type: 'bearer' });
    expect(me.status).toBe(200);
    expect((await post('/', { op: 'logout', token })).body.result).toBe('OK');
    expect((await api().get('/v1/me').set('Connection', 'close').auth(token, { type: 'bearer' })).status).toBe(401);
  }

  beforeAll(async () => {
    [metricsPort] = await freePorts(1);
    database = await createTestDatabase();
    gateway = await new SmsGateway().start();
    app = await startAppProcess({
      CLUSTER_WORKERS: '2',
      DATABASE_URL: database.url,
      // No App Token: the primary runs the built-in simulator for both workers. No OTP_SECRET: the
      // primary draws one key for both.
      MESIBO_APP_TOKEN: '',
      OTP_SECRET: '',
      OTP_SENDER: 'webhook',
      OTP_WEBHOOK_URL: gateway.url,
      OTP_MAX_FAILURES_PER_WINDOW: String(FAILURES_PER_NUMBER),
      REDIS_URL: process.env.E2E_REDIS_URL ?? '',
      REDIS_KEY_PREFIX: `e2e-${randomBytes(6).toString('hex')}:`,
      // The client address comes from X-Forwarded-For, so one test can be many clients.
      TRUST_PROXY: 'loopback',
      THROTTLE_LIMIT: '1000000',
      METRICS_PORT: String(metricsPort),
      METRICS_TOKEN: METRICS_KEY,
    });
    primary = app.child.pid!;
    await logLine(/All 2 workers are listening/);
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    await gateway?.stop();
    await database?.drop();
  });

  it('runs two workers under a primary that applied the migrations and started the simulator, once', () => {
    expect(childrenOf(primary)).toHaveLength(2);
    const log = clean();
    expect(log.match(/Applied migrations/g)).toHaveLength(1);
    expect(log).toMatch(new RegExp(`\\(${primary}\\): \\[Cluster\\] Applied migrations`));
    expect(log.match(/using the built-in mesibo simulator/g)).toHaveLength(1);
  });

  it('logs in, each step on a fresh connection, so a code sent by one worker is checked by the other', async () => {
    for (const phone of ['14155550111', '14155550112', '14155550113']) await fullLogin(phone);
  }, 30_000);

  it('compares exactly the per-number budget of 200 concurrent wrong codes from 200 clients, across both workers', async () => {
    const phone = '14155550120';
    expect((await post('/v1/auth/otp', { phone, appid: APPID })).status).toBe(202);
    const code = gateway.lastCodeFor(phone);

    let guesses: Array<{ status: number }> = [];
    const workers = childrenOf(primary);
    const cpu = await cpuDuring(workers, async () => {
      guesses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          api()
            .post('/v1/auth/otp/verify')
            .set('X-Forwarded-For', `203.0.${Math.floor(i / 250)}.${(i % 250) + 1}`)
            .send({ phone, appid: APPID, otp: wrongCode(code, i) }),
        ),
      );
    });
    expect(statuses(guesses)).toEqual({ 401: FAILURES_PER_NUMBER, 429: 200 - FAILURES_PER_NUMBER });
    // Both workers did a share of the work (a clock tick is 10 ms).
    for (const ticks of cpu) expect(ticks).toBeGreaterThanOrEqual(10);

    const db = openDatabase(database.url, { poolMax: 1 });
    try {
      const pending = await db.selectFrom('otp_challenges').select('attempts').where('destination', '=', phone).executeTakeFirstOrThrow();
      expect(Number(pending.attempts)).toBe(FAILURES_PER_NUMBER);
    } finally {
      await db.destroy();
    }
    const right = await post('/v1/auth/otp/verify', { phone, appid: APPID, otp: code }, '198.51.100.99');
    expect(right.status).toBe(429);
  }, 30_000);


  it('serves the sum of both workers\' metrics on METRICS_PORT, from the primary, to the key holder only', async () => {
    const scrape = () => request(`http://127.0.0.1:${metricsPort}`).get('/metrics').set('Authorization', `Bearer ${METRICS_KEY}`);
    expect((await request(`http://127.0.0.1:${metricsPort}`).get('/metrics')).status).toBe(401);
    const text = (await scrape()).text;
    const count = (status: number) => {
      const series = `http_request_duration_seconds_count{method="POST",route="/v1/auth/otp/verify",status="${status}"} `;
      return Number(text.split('\n').find((line) => line.startsWith(series))?.slice(series.length));
    };
    // Each worker answered a share of the 200 guesses above (and the right code after them, 429
    // too): only their sum is 201.
    expect([count(401), count(429)]).toEqual([FAILURES_PER_NUMBER, 200 - FAILURES_PER_NUMBER + 1]);
    expect(text).toMatch(/^db_pool_max_connections \d+/m);
  });
  it('replaces a worker killed with SIGKILL, and keeps answering meanwhile', async () => {
    const [killed, survivor] = childrenOf(primary);
    process.kill(killed, 'SIGKILL');
    await logLine(new RegExp(`Worker \\d+ \\(pid ${killed}\\) was killed by SIGKILL`));
    await fullLogin('14155550130');

    const [, replacement] = await logLine(new RegExp(`pid ${killed}\\) was killed by SIGKILL[\\s\\S]*Worker \\d+ \\(pid (\\d+)\\) is listening`));
    expect(childrenOf(primary).sort()).toEqual([survivor, Number(replacement)].sort());
    // The replacement takes its share of requests.
    const cpu = await cpuDuring([Number(replacement)], () =>
      Promise.all(Array.from({ length: 100 }, (_, i) => post('/v1/auth/otp/verify', { phone: '14155550131', appid: APPID, otp: '123456' }, `192.0.2.${i + 1}`))),
    );
    expect(cpu[0]).toBeGreaterThanOrEqual(4);
    await fullLogin('14155550132');
  }, 45_000);

  it('stops on SIGTERM with exit code 0, leaving no worker running', async () => {
    const workers = childrenOf(primary);
    expect(workers).toHaveLength(2);
    expect(await app.stop()).toBe(0);
    expect(workers.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
    expect(clean()).toMatch(/SIGTERM received: stopping 2 workers/);
  }, 45_000);
});
