/**
 * The full phone login under load: the service, from its production build in a process of its
 * own, against a bare node:http server doing the same flow in memory (bench/bare-login-server.ts),
 * both behind the same SMS webhook receiver (here) and mesibo simulator (a child process).
 *
 * A closed loop of virtual users, each login a fresh phone number, three steps per login:
 * POST /v1/auth/otp, the code read from the webhook receiver, POST /v1/auth/otp/verify. The
 * targets take turns (service, bare, service, bare, …; the order flips each round), each turn a
 * warm-up then a measured period, so drift in the speed of this shared machine hits both alike.
 *
 *   npm run bench:flow
 *   npm run bench:flow -- --database postgres://postgres@127.0.0.1:5432/postgres --redis redis://127.0.0.1:6379/5
 *   npm run bench:flow -- --targets service --users 64 --rounds 1 --cold-starts 0 --cpu-prof /tmp/prof
 *
 * This is a benchmark: it prints numbers, it is not a test.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { Pool } from 'undici';
import { randomAppToken } from '../src/mesibo-simulator/mesibo-simulator';
import { BenchDatabase, createDatabase, percentile, printRows } from './bench-support';
import { printProfileSummary, readProfile, summarizeProfile } from './cpu-profile-summary';
import { Child, cpuMsOf, ensureBuild, PeakRss, startBare, startService, startSimulator, ServiceProcess } from './flow-processes';
import { redact } from './seed-users';

type TargetName = 'service' | 'bare';
const APPID = 'com.mesibo.bench';
/** Every number in 61 400 000 000 … 61 439 999 999 is a valid Australian mobile: 40 million fresh logins. */
const FIRST_PHONE = 61_400_000_000;
const LAST_PHONE = 61_439_999_999;

interface Options {
  users: number[];
  rounds: number;
  warmupMs: number;
  firstWarmupMs: number;
  measureMs: number;
  targets: TargetName[];
  database?: string;
  redis?: string;
  coldStarts: number;
  cpuProf?: string;
  build: boolean;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '16,64' },
      rounds: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '3' },
      'first-warmup': { type: 'string', default: '10' },
      measure: { type: 'string', default: '10' },
      targets: { type: 'string', default: 'service,bare' },
      database: { type: 'string' },
      redis: { type: 'string' },
      'cold-starts': { type: 'string', default: '5' },
      'cpu-prof': { type: 'string' },
      build: { type: 'boolean', default: false },
    },
  });
  const count = (name: string, value: string, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}`);
    return n;
  };
  const targets = values.targets.split(',').map((t) => t.trim());
  for (const target of targets) if (target !== 'service' && target !== 'bare') throw new Error(`unknown target ${target}: service and/or bare`);
  if (values.database && !/^(sqlite:|postgres(ql)?:\/\/)/.test(values.database)) {
    throw new Error('--database must be sqlite:<file> or postgres://user@host:port/db');
  }
  return {
    users: values.users.split(',').map((u) => count('users', u.trim(), 1)),
    rounds: count('rounds', values.rounds, 1),
    warmupMs: Number(values.warmup) * 1000,
    firstWarmupMs: Number(values['first-warmup']) * 1000,
    measureMs: count('measure', values.measure, 1) * 1000,
    targets: targets as TargetName[],
    database: values.database,
    redis: values.redis,
    coldStarts: count('cold-starts', values['cold-starts'], 0),
    cpuProf: values['cpu-prof'],
    build: values.build,
  };
}

/** The SMS webhook both targets send codes to; keeps the last code per number until it is taken. */
class CodeInbox {
  private readonly codes = new Map<string, string>();
  private server?: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/sms`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        try {
          const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { to?: unknown; code?: unknown };
          if (typeof message.to !== 'string' || typeof message.code !== 'string') throw new Error('no to/code');
          this.codes.set(message.to, message.code);
          res.writeHead(202, { 'content-type': 'application/json' }).end('{"queued":true}');
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  take(phone: string): string | undefined {
    const code = this.codes.get(phone);
    this.codes.delete(phone);
    return code;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

interface Target {
  name: TargetName;
  child: Child;
  pool: Pool;
}

interface Tally {
  logins: number;
  windowMs: number;
  latencies: number[];
  cpuMs: number;
  clientCpuMs: number;
  mesiboCpuMs: number;
  peakRssMb: number;
  errors: number;
  warmupErrors: number;
  errorKinds: Map<string, number>;
  /** The measured periods, in µs of CLOCK_MONOTONIC (process.hrtime), as CPU profiles count time. */
  windows: Array<[number, number]>;
}

function newTally(): Tally {
  return { logins: 0, windowMs: 0, latencies: [], cpuMs: 0, clientCpuMs: 0, mesiboCpuMs: 0, peakRssMb: 0, errors: 0, warmupErrors: 0, errorKinds: new Map(), windows: [] };
}

let nextPhone = FIRST_PHONE;
function freshPhone(): string {
  if (nextPhone > LAST_PHONE) throw new Error('ran out of fresh phone numbers');
  return String(nextPhone++);
}

async function post(pool: Pool, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await pool.request({ path, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.body.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text: text.slice(0, 100) };
  }
  return { status: response.statusCode, body: parsed };
}

/** The stable `code` of a problem+json answer, or the start of a body that was not JSON. */
function problemCode(body: Record<string, unknown>): string {
  const value = body.code ?? body.text;
  return typeof value === 'string' ? value : '';
}

/** One login; undefined when it worked, else what went wrong (no secret in it). */
async function login(target: Target, inbox: CodeInbox): Promise<string | undefined> {
  const phone = freshPhone();
  try {
    const sent = await post(target.pool, '/v1/auth/otp', { phone, appid: APPID });
    if (sent.status !== 202) return `POST /v1/auth/otp ${sent.status} ${problemCode(sent.body)}`;
    // The webhook answered before the 202, so the code is already here.
    const code = inbox.take(phone);
    if (code === undefined) return 'no code at the webhook';
    const verified = await post(target.pool, '/v1/auth/otp/verify', { phone, appid: APPID, otp: code });
    if (verified.status !== 200) return `POST /v1/auth/otp/verify ${verified.status} ${problemCode(verified.body)}`;
    if (typeof verified.body.token !== 'string' || verified.body.newUser !== true) return 'verify answered without a token for a new user';
    return undefined;
  } catch (error) {
    return `network: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** A warm-up then a measured period of `users` virtual users on one target, added to `tally`. */
async function runTurn(target: Target, users: number, options: Options, inbox: CodeInbox, simulator: Child, tally: Tally): Promise<Tally> {
  const turn = newTally();
  const start = performance.now();
  let windowStart = Infinity;
  let windowEnd = Infinity;
  let before = { cpu: 0, client: 0, mesibo: 0 };
  let rss: PeakRss | undefined;
  let monotonicStart = 0;
  const snapshot = () => ({ cpu: cpuMsOf(target.child.pid), client: clientCpuMs(), mesibo: cpuMsOf(simulator.pid) });
  const opened = new Promise<void>((resolve) =>
    setTimeout(() => {
      before = snapshot();
      rss = new PeakRss(target.child.pid);
      windowStart = performance.now();
      monotonicStart = monotonicUs();
      resolve();
    }, options.warmupMs),
  );
  const closed = new Promise<void>((resolve) =>
    setTimeout(() => {
      const after = snapshot();
      windowEnd = performance.now();
      turn.peakRssMb = rss?.finish() ?? NaN;
      turn.cpuMs = after.cpu - before.cpu;
      turn.clientCpuMs = after.client - before.client;
      turn.mesiboCpuMs = after.mesibo - before.mesibo;
      turn.windowMs = windowEnd - windowStart;
      turn.windows.push([monotonicStart, monotonicUs()]);
      resolve();
    }, options.warmupMs + options.measureMs),
  );

  const virtualUser = async (): Promise<void> => {
    while (performance.now() < start + options.warmupMs + options.measureMs && windowEnd === Infinity) {
      const began = performance.now();
      const error = await login(target, inbox);
      const ended = performance.now();
      const inWindow = ended >= windowStart && ended <= windowEnd;
      if (error !== undefined) {
        if (inWindow) turn.errors++;
        else if (ended < windowStart) turn.warmupErrors++;
        turn.errorKinds.set(error, (turn.errorKinds.get(error) ?? 0) + 1);
      } else if (inWindow) {
        turn.logins++;
        turn.latencies.push(ended - began);
      }
    }
  };
  await Promise.all([opened, closed, ...Array.from({ length: users }, () => virtualUser())]);

  tally.logins += turn.logins;
  tally.windowMs += turn.windowMs;
  tally.latencies.push(...turn.latencies);
  tally.cpuMs += turn.cpuMs;
  tally.clientCpuMs += turn.clientCpuMs;
  tally.mesiboCpuMs += turn.mesiboCpuMs;
  tally.peakRssMb = Math.max(tally.peakRssMb, turn.peakRssMb);
  tally.errors += turn.errors;
  tally.warmupErrors += turn.warmupErrors;
  tally.windows.push(...turn.windows);
  for (const [kind, n] of turn.errorKinds) tally.errorKinds.set(kind, (tally.errorKinds.get(kind) ?? 0) + n);
  return turn;
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Logins at the highest user count for `ms`, measuring nothing: the JIT is still compiling the
 * service's hot paths for a good while after start-up. Errors still count (as warm-up errors).
 */
async function warmUp(target: Target, users: number, ms: number, inbox: CodeInbox, tally: Tally): Promise<void> {
  const deadline = performance.now() + ms;
  const virtualUser = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const error = await login(target, inbox);
      if (error === undefined) continue;
      tally.warmupErrors++;
      tally.errorKinds.set(error, (tally.errorKinds.get(error) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: users }, () => virtualUser()));
}

function clientCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function describe(t: Tally): { perSecond: number; p50: number; p99: number; cpuPerLogin: number; cpuShare: number } {
  const sorted = [...t.latencies].sort((a, b) => a - b);
  return {
    perSecond: t.logins / (t.windowMs / 1000),
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    cpuPerLogin: t.cpuMs / t.logins,
    cpuShare: t.cpuMs / t.windowMs,
  };
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}

/** Everything started, so that an error or Ctrl-C still stops and removes it. */
const cleanups: Array<() => Promise<unknown>> = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()?.().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
}

async function openDatabase(options: Options): Promise<BenchDatabase> {
  if (!options.database) return createDatabase('sqlite', '', 'flow');
  if (options.database.startsWith('sqlite:')) {
    return { url: options.database, describeSize: () => Promise.resolve(''), drop: () => Promise.resolve() };
  }
  return createDatabase('postgres', options.database, 'flow');
}

async function main(): Promise<void> {
  const options = readOptions();
  ensureBuild(options.build);

  const work = mkdtempSync(join(tmpdir(), 'mesibo-backend-flow-'));
  cleanups.push(() => Promise.resolve(rmSync(work, { recursive: true, force: true })));
  const database = await openDatabase(options);
  cleanups.push(() => database.drop());
  const redisPrefix = `bench-flow-${randomBytes(4).toString('hex')}:`;
  if (options.redis) cleanups.push(() => deleteRedisKeys(options.redis!, redisPrefix));

  const appToken = randomAppToken();
  const simulator = await startSimulator(appToken);
  cleanups.push(() => simulator.child.stop());
  const inbox = await new CodeInbox().start();
  cleanups.push(() => inbox.stop());
  const otpSecret = randomBytes(32).toString('base64url');

  const serviceEnv: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    ...(options.redis ? { REDIS_URL: options.redis, REDIS_KEY_PREFIX: redisPrefix } : {}),
    MESIBO_API_URL: simulator.url,
    MESIBO_APP_TOKEN: appToken,
    OTP_SECRET: otpSecret,
    OTP_SENDER: 'webhook',
    OTP_WEBHOOK_URL: inbox.url,
    EMAIL_LOGIN: 'false',
    // Every login comes from 127.0.0.1 and goes to +61: lift the limits that count per client,
    // per country and per hour, so that they count (their cost is part of a login) but never refuse.
    THROTTLE_LIMIT: '1000000000',
    OTP_MAX_SENDS_PER_IP_PER_WINDOW: '1000000000',
    SMS_MAX_PER_HOUR: '1000000000',
    SMS_MAX_PER_COUNTRY_PER_HOUR: '1000000000',
  };

  console.log(
    `login flow under load on ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GB, node ${process.version}\n` +
      `database ${redact(database.url)}${options.redis ? `, counters in ${redact(options.redis)}` : ', counters in the database'}; ` +
      `mesibo simulator pid ${simulator.child.pid}`,
  );

  // Cold starts: the first start applies the migrations and is not counted.
  const first = await startService(serviceEnv, work);
  await first.child.stop();
  console.log(`first start (migrations included): ${first.startMs.toFixed(0)} ms`);
  if (options.coldStarts > 0) {
    const times: number[] = [];
    for (let i = 0; i < options.coldStarts; i++) {
      const started = await startService(serviceEnv, work);
      times.push(started.startMs);
      await started.child.stop();
    }
    console.log(
      `cold start, node dist/main.js until /health/live answers: median ${median(times).toFixed(0)} ms of ${times.length} ` +
        `(${times.map((t) => t.toFixed(0)).join(', ')})`,
    );
  }

  const targets = new Map<TargetName, Target>();
  const maxUsers = Math.max(...options.users);
  const pool = (url: string) => new Pool(url, { connections: maxUsers, pipelining: 1, keepAliveTimeout: 60_000 });
  let service: ServiceProcess | undefined;
  if (options.targets.includes('service')) {
    const nodeArgs = options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`] : [];
    service = await startService(serviceEnv, work, nodeArgs);
    const started = service;
    cleanups.push(() => started.child.stop());
    targets.set('service', { name: 'service', child: service.child, pool: pool(service.url) });
  }
  if (options.targets.includes('bare')) {
    const bare = await startBare(
      { WEBHOOK_URL: inbox.url, MESIBO_API_URL: simulator.url, MESIBO_APP_TOKEN: appToken, OTP_SECRET: otpSecret },
      join(work, 'bare'),
    );
    cleanups.push(() => bare.child.stop());
    targets.set('bare', { name: 'bare', child: bare.child, pool: pool(bare.url) });
  }
  for (const target of targets.values()) cleanups.push(() => target.pool.close());
  console.log(
    `targets: ${[...targets.values()].map((t) => `${t.name} pid ${t.child.pid}`).join(', ')}; ${options.users.join(' and ')} virtual users; ` +
      `${options.firstWarmupMs / 1000} s of warm-up each, then ${options.rounds} rounds of ${options.warmupMs / 1000} s warm-up + ${options.measureMs / 1000} s measured per target and user count\n`,
  );

  const tallies = new Map<string, Tally>();
  if (options.firstWarmupMs > 0) {
    for (const target of targets.values()) {
      const tally = newTally();
      tallies.set(`${target.name}:${maxUsers}`, tally);
      await warmUp(target, maxUsers, options.firstWarmupMs, inbox, tally);
    }
    console.log(`warmed up: ${options.firstWarmupMs / 1000} s of logins at ${maxUsers} users per target`);
  }
  for (let round = 0; round < options.rounds; round++) {
    for (const users of options.users) {
      const order = [...targets.values()];
      if (round % 2 === 1) order.reverse();
      for (const target of order) {
        const key = `${target.name}:${users}`;
        const tally = tallies.get(key) ?? newTally();
        tallies.set(key, tally);
        const turn = await runTurn(target, users, options, inbox, simulator.child, tally);
        const d = describe(turn);
        console.log(
          `round ${round + 1}/${options.rounds}  ${target.name.padEnd(7)} ${String(users).padStart(3)} users: ` +
            `${d.perSecond.toFixed(0).padStart(5)} logins/s, p50 ${d.p50.toFixed(1)} ms, p99 ${d.p99.toFixed(1)} ms, ` +
            `${d.cpuPerLogin.toFixed(2)} CPU ms/login (${(d.cpuShare * 100).toFixed(0)}% of a core), ${turn.peakRssMb.toFixed(0)} MB, ` +
            `errors ${turn.errors}${turn.warmupErrors ? ` (+${turn.warmupErrors} in warm-up)` : ''}  [load ${loadavg()[0].toFixed(2)}]`,
        );
      }
    }
  }

  // A clean exit writes the CPU profile; stopping again in the clean-up is a no-op.
  await service?.child.stop();
  printResults(tallies, options, [...targets.keys()]);
  if (options.cpuProf) {
    const windows = [...tallies.entries()].filter(([key]) => key.startsWith('service:')).flatMap(([, t]) => t.windows);
    summarizeNewestProfile(options.cpuProf, windows);
  }
  await cleanUp();
  if ([...tallies.values()].some((t) => t.errors + t.warmupErrors > 0)) process.exitCode = 1;
}

function printResults(tallies: Map<string, Tally>, options: Options, names: TargetName[]): void {
  const rows: string[][] = [
    ['target', 'users', 'logins', 'logins/s', 'p50 ms', 'p99 ms', 'CPU ms/login', 'CPU %', 'peak RSS MB', 'client CPU %', 'mesibo CPU %', 'errors'],
  ];
  for (const users of options.users) {
    for (const name of names) {
      const t = tallies.get(`${name}:${users}`);
      if (!t) continue;
      const d = describe(t);
      rows.push([
        name,
        String(users),
        String(t.logins),
        d.perSecond.toFixed(0),
        d.p50.toFixed(1),
        d.p99.toFixed(1),
        d.cpuPerLogin.toFixed(2),
        (d.cpuShare * 100).toFixed(0),
        t.peakRssMb.toFixed(0),
        ((t.clientCpuMs / t.windowMs) * 100).toFixed(0),
        ((t.mesiboCpuMs / t.windowMs) * 100).toFixed(0),
        String(t.errors + t.warmupErrors),
      ]);
    }
  }
  console.log('');
  printRows(rows, 2);

  if (names.length === 2) {
    console.log('\nservice / bare:');
    const ratios: string[][] = [['users', 'logins/s', 'p50', 'p99', 'CPU ms/login', 'peak RSS']];
    for (const users of options.users) {
      const s = tallies.get(`service:${users}`);
      const b = tallies.get(`bare:${users}`);
      if (!s || !b) continue;
      const ds = describe(s);
      const db = describe(b);
      const x = (v: number) => `${v.toFixed(2)}x`;
      ratios.push([String(users), x(ds.perSecond / db.perSecond), x(ds.p50 / db.p50), x(ds.p99 / db.p99), x(ds.cpuPerLogin / db.cpuPerLogin), x(s.peakRssMb / b.peakRssMb)]);
    }
    printRows(ratios, 1);
  }

  const failures = [...tallies.entries()].filter(([, t]) => t.errorKinds.size > 0);
  for (const [key, t] of failures) {
    console.log(`\nerrors of ${key.replace(':', ' at ')} users (measured ${t.errors}, warm-up ${t.warmupErrors}):`);
    for (const [kind, n] of [...t.errorKinds.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${n} × ${kind}`);
  }
  if (failures.length === 0) console.log('\nerrors: none');
}

function summarizeNewestProfile(dir: string, windows: Array<[number, number]>): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (files.length === 0) {
    console.log(`\nno .cpuprofile in ${dir}: did the service exit cleanly?`);
    return;
  }
  console.log(
    `\nCPU profile of the service, measured periods only (the profiler was on: the numbers above are slower than without it): ${files[0]}`,
  );
  printProfileSummary(summarizeProfile(readProfile(files[0]), windows), 10);
}

async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

process.once('SIGINT', () => {
  void cleanUp().then(() => process.exit(130));
});

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  await cleanUp();
  process.exitCode = 1;
});
