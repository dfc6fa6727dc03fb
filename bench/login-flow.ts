/**
 * The full phone login under load: the service, from its production build in a process of its
 * own, against a bare node:http server doing the same flow in memory (bench/bare-login-server.ts),
 * and optionally against the production build of another checkout (the baseline: the code before
 * a change), all behind the same SMS webhook receiver (here) and mesibo simulator (a child process).
 *
 * A closed loop of virtual users, each login a fresh phone number, three steps per login:
 * POST /v1/auth/otp, the code read from the webhook receiver, POST /v1/auth/otp/verify. The
 * targets take turns (service, baseline, bare; the order rotates each round), each turn a warm-up
 * then a measured period, so drift in the speed of this shared machine hits all of them alike.
 *
 *   npm run bench:flow
 *   npm run bench:flow -- --baseline ../baseline --workers 2
 *   npm run bench:flow -- --database postgres://postgres@127.0.0.1:5432/postgres --redis redis://127.0.0.1:6379/5
 *   npm run bench:flow -- --targets service --users 64 --rounds 1 --cold-starts 0 --cpu-prof /tmp/prof
 *
 * This is a benchmark: it prints numbers, it is not a test.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { Pool } from 'undici';
import { randomAppToken } from '../src/mesibo-simulator/mesibo-simulator';
import { BenchDatabase, createDatabase, percentile, printRows } from './bench-support';
import { printProfileSummary, ProfileSummary, readProfile, summarizeProfile } from './cpu-profile-summary';
import {
  Child,
  cpuMsOf,
  describeBuiltCheckout,
  describeCheckout,
  ensureBuild,
  ROOT,
  serviceEntryOf,
  startBare,
  startService,
  startSimulator,
  TreeMeter,
} from './flow-processes';
import { FIRST_VALID_PHONE, LAST_VALID_PHONE, redact } from './seed-users';

/** The service (this checkout's build), the baseline (another checkout's build), the bare floor. */
type TargetName = 'service' | 'baseline' | 'bare';
const TARGET_NAMES: readonly TargetName[] = ['service', 'baseline', 'bare'];
/** The targets that run the project's production build. */
type BuildName = Exclude<TargetName, 'bare'>;
const RATIOS: ReadonlyArray<readonly [TargetName, TargetName]> = [
  ['service', 'baseline'],
  ['service', 'bare'],
  ['baseline', 'bare'],
];
const APPID = 'com.mesibo.bench';

interface Options {
  users: number[];
  rounds: number;
  warmupMs: number;
  firstWarmupMs: number;
  measureMs: number;
  targets: TargetName[];
  /** A built checkout of the project (`<dir>/dist/main.js`, `<dir>/node_modules`): the baseline target. */
  baseline?: string;
  /** CLUSTER_WORKERS of the service and the baseline. */
  workers: number;
  /** CLUSTER_WORKERS of the baseline; the same as the service's unless given. */
  baselineWorkers: number;
  database?: string;
  redis?: string;
  coldStarts: number;
  cpuProf?: string;
  /** Flags for node itself, per build (e.g. V8 heap settings to compare). */
  nodeArgs: Record<'service' | 'baseline', string[]>;
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
      targets: { type: 'string' },
      baseline: { type: 'string' },
      workers: { type: 'string', default: '1' },
      'baseline-workers': { type: 'string' },
      database: { type: 'string' },
      redis: { type: 'string' },
      'cold-starts': { type: 'string', default: '5' },
      'cpu-prof': { type: 'string' },
      'service-node-args': { type: 'string', default: '' },
      'baseline-node-args': { type: 'string', default: '' },
      build: { type: 'boolean', default: false },
    },
  });
  const count = (name: string, value: string, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}`);
    return n;
  };
  const baseline = values.baseline === undefined ? undefined : resolve(values.baseline);
  const targets = values.targets?.split(',').map((t) => t.trim()) ?? ['service', ...(baseline ? ['baseline'] : []), 'bare'];
  for (const target of targets) {
    if (!TARGET_NAMES.includes(target as TargetName)) throw new Error(`unknown target ${target}: ${TARGET_NAMES.join(', ')}`);
  }
  if (targets.includes('baseline') && !baseline) throw new Error('the baseline target needs --baseline <dir>');
  if (values.database && !/^(sqlite:|postgres(ql)?:\/\/)/.test(values.database)) {
    throw new Error('--database must be sqlite:<file> or postgres://user@host:port/db');
  }
  return {
    users: values.users.split(',').map((u) => count('users', u.trim(), 1)),
    rounds: count('rounds', values.rounds, 1),
    warmupMs: Number(values.warmup) * 1000,
    firstWarmupMs: Number(values['first-warmup']) * 1000,
    measureMs: count('measure', values.measure, 1) * 1000,
    // Always in the same order, whatever the order given: the turns rotate from it.
    targets: TARGET_NAMES.filter((name) => targets.includes(name)),
    baseline,
    workers: count('workers', values.workers, 1),
    baselineWorkers: count('baseline-workers', values['baseline-workers'] ?? values.workers, 1),
    database: values.database,
    redis: values.redis,
    coldStarts: count('cold-starts', values['cold-starts'], 0),
    cpuProf: values['cpu-prof'],
    nodeArgs: { service: splitArgs(values['service-node-args']), baseline: splitArgs(values['baseline-node-args']) },
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
  /** The highest sum of resident memory over the target's processes. */
  peakRssMb: number;
  /** The highest resident memory of any one of them. */
  peakProcessRssMb: number;
  /** The most processes the target had in one measured period (a cluster: primary and workers). */
  processes: number;
  /** Every process of the target seen in a measured period. */
  pids: Set<number>;
  errors: number;
  warmupErrors: number;
  errorKinds: Map<string, number>;
  /** The measured periods, in µs of CLOCK_MONOTONIC (process.hrtime), as CPU profiles count time. */
  windows: Array<[number, number]>;
}

function newTally(): Tally {
  return {
    logins: 0,
    windowMs: 0,
    latencies: [],
    cpuMs: 0,
    clientCpuMs: 0,
    mesiboCpuMs: 0,
    peakRssMb: 0,
    peakProcessRssMb: 0,
    processes: 0,
    pids: new Set(),
    errors: 0,
    warmupErrors: 0,
    errorKinds: new Map(),
    windows: [],
  };
}

let nextPhone = FIRST_VALID_PHONE;
function freshPhone(): string {
  if (nextPhone > LAST_VALID_PHONE) throw new Error('ran out of fresh phone numbers');
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
  let before = { client: 0, mesibo: 0 };
  let meter: TreeMeter | undefined;
  let monotonicStart = 0;
  const snapshot = () => ({ client: clientCpuMs(), mesibo: cpuMsOf(simulator.pid) });
  const opened = new Promise<void>((resolve) =>
    setTimeout(() => {
      // The target's process and all its descendants: a cluster primary and its workers.
      meter = new TreeMeter(target.child.pid);
      before = snapshot();
      windowStart = performance.now();
      monotonicStart = monotonicUs();
      resolve();
    }, options.warmupMs),
  );
  const closed = new Promise<void>((resolve) =>
    setTimeout(() => {
      const after = snapshot();
      windowEnd = performance.now();
      const usage = meter?.finish();
      turn.cpuMs = usage?.cpuMs ?? NaN;
      turn.peakRssMb = usage?.peakRssMb ?? NaN;
      turn.peakProcessRssMb = usage?.peakProcessRssMb ?? NaN;
      turn.processes = usage?.pids.length ?? 0;
      for (const pid of usage?.pids ?? []) turn.pids.add(pid);
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
  tally.peakProcessRssMb = Math.max(tally.peakProcessRssMb, turn.peakProcessRssMb);
  tally.processes = Math.max(tally.processes, turn.processes);
  for (const pid of turn.pids) tally.pids.add(pid);
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

/**
 * The database of one target. The service's is the one --database names (a SQLite file used as it
 * is, or a new bench_<random> database on that PostgreSQL server), or a temporary SQLite file. The
 * baseline always gets a fresh one of the same kind: a temporary SQLite file (beside the given
 * file, so on the same disk), or a bench_<random> database of its own on the same server.
 */
async function openDatabase(options: Options, target: BuildName): Promise<BenchDatabase> {
  const label = `flow-${target}`;
  if (!options.database) return createDatabase('sqlite', '', label);
  if (options.database.startsWith('sqlite:')) {
    const file = options.database.slice('sqlite:'.length);
    if (file === ':memory:') return { url: options.database, describeSize: () => Promise.resolve(''), drop: () => Promise.resolve() };
    // Absolute: the service runs in a directory of its own.
    if (target === 'service') return { url: `sqlite:${resolve(file)}`, describeSize: () => Promise.resolve(''), drop: () => Promise.resolve() };
    return createDatabase('sqlite', '', label, dirname(resolve(file)));
  }
  return createDatabase('postgres', options.database, label);
}

/** What a target of the project's build needs: where its build is, its database and its Redis key prefix. */
interface BuildTarget {
  name: BuildName;
  entry: string;
  env: Record<string, string>;
  /** An empty working directory: no `.env` for the service to read. */
  cwd: string;
}

async function main(): Promise<void> {
  const options = readOptions();
  ensureBuild(options.build);
  const baselineDescription = options.baseline ? describeBuiltCheckout(options.baseline) : undefined;

  const work = mkdtempSync(join(tmpdir(), 'mesibo-backend-flow-'));
  cleanups.push(() => Promise.resolve(rmSync(work, { recursive: true, force: true })));

  const appToken = randomAppToken();
  const simulator = await startSimulator(appToken);
  cleanups.push(() => simulator.child.stop());
  const inbox = await new CodeInbox().start();
  cleanups.push(() => inbox.stop());
  const otpSecret = randomBytes(32).toString('base64url');

  const commonEnv: Record<string, string> = {
    NODE_ENV: 'production',
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
  const redisRun = randomBytes(4).toString('hex');
  const builds: BuildTarget[] = [];
  const storage: string[] = [];
  for (const name of options.targets) {
    if (name === 'bare') continue;
    const database = await openDatabase(options, name);
    cleanups.push(() => database.drop());
    const redisPrefix = `bench-flow-${redisRun}-${name}:`;
    if (options.redis) cleanups.push(() => deleteRedisKeys(options.redis!, redisPrefix));
    const cwd = join(work, name);
    mkdirSync(cwd);
    // More than 1 makes the process a cluster primary with that many workers; a build without the
    // setting ignores it.
    const workers = String(name === 'baseline' ? options.baselineWorkers : options.workers);
    const env = { ...commonEnv, CLUSTER_WORKERS: workers, DATABASE_URL: database.url, ...(options.redis ? { REDIS_URL: options.redis, REDIS_KEY_PREFIX: redisPrefix } : {}) };
    builds.push({ name, entry: name === 'baseline' ? serviceEntryOf(options.baseline!) : serviceEntryOf(ROOT), env, cwd });
    storage.push(`${name}: database ${redact(database.url)}${options.redis ? `, counters in ${redact(options.redis)} under ${redisPrefix}` : ', counters in the database'}`);
  }

  console.log(
    `login flow under load on ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GB, node ${process.version}\n` +
      `service: ${describeCheckout(ROOT)}\n` +
      (baselineDescription ? `baseline: ${baselineDescription}\n` : '') +
      (builds.length > 0 ? `${builds.map((b) => `${b.name}: CLUSTER_WORKERS=${b.env.CLUSTER_WORKERS}`).join(', ')}\n${storage.join('\n')}\n` : '') +
      `mesibo simulator pid ${simulator.child.pid}`,
  );

  await measureColdStarts(builds, options.coldStarts);

  const targets = new Map<TargetName, Target>();
  const maxUsers = Math.max(...options.users);
  const pool = (url: string) => new Pool(url, { connections: maxUsers, pipelining: 1, keepAliveTimeout: 60_000 });
  const nodeArgs = options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`] : [];
  for (const name of options.targets) {
    const build = builds.find((b) => b.name === name);
    const started = build
      ? await startService(build.env, build.cwd, { label: name, entry: build.entry, nodeArgs: [...nodeArgs, ...options.nodeArgs[build.name]] })
      : await startBare({ WEBHOOK_URL: inbox.url, MESIBO_API_URL: simulator.url, MESIBO_APP_TOKEN: appToken, OTP_SECRET: otpSecret }, join(work, 'bare'));
    cleanups.push(() => started.child.stop());
    targets.set(name, { name, child: started.child, pool: pool(started.url) });
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
  const names = [...targets.keys()];
  for (let round = 0; round < options.rounds; round++) {
    for (const users of options.users) {
      // service, baseline, bare; then baseline, bare, service; …: each goes first in turn.
      const order = names.map((_, i) => targets.get(names[(i + round) % names.length])!);
      for (const target of order) {
        const key = `${target.name}:${users}`;
        const tally = tallies.get(key) ?? newTally();
        tallies.set(key, tally);
        const turn = await runTurn(target, users, options, inbox, simulator.child, tally);
        const d = describe(turn);
        console.log(
          `round ${round + 1}/${options.rounds}  ${target.name.padEnd(8)} ${String(users).padStart(3)} users: ` +
            `${d.perSecond.toFixed(0).padStart(5)} logins/s, p50 ${d.p50.toFixed(1)} ms, p99 ${d.p99.toFixed(1)} ms, ` +
            `${d.cpuPerLogin.toFixed(2)} CPU ms/login (${(d.cpuShare * 100).toFixed(0)}% of a core), ${turn.peakRssMb.toFixed(0)} MB` +
            `${turn.processes > 1 ? ` in ${turn.processes} processes` : ''}, ` +
            `errors ${turn.errors}${turn.warmupErrors ? ` (+${turn.warmupErrors} in warm-up)` : ''}  [load ${loadavg()[0].toFixed(2)}]`,
        );
      }
    }
  }

  // A clean exit writes the CPU profiles; stopping again in the clean-up is a no-op.
  for (const build of builds) await targets.get(build.name)?.child.stop();
  printResults(tallies, options, names);
  if (options.cpuProf) {
    for (const build of builds) {
      const target = targets.get(build.name);
      if (!target) continue;
      const mine = [...tallies.entries()].filter(([key]) => key.startsWith(`${build.name}:`)).map(([, t]) => t);
      const pids = new Set([target.child.pid, ...mine.flatMap((t) => [...t.pids])]);
      summarizeProfiles(build.name, options.cpuProf, pids, mine.flatMap((t) => t.windows));
    }
  }
  await cleanUp();
  if ([...tallies.values()].some((t) => t.errors + t.warmupErrors > 0)) process.exitCode = 1;
}

/**
 * Each build's first start applies its migrations and is not counted. Then `count` cold starts of
 * each, taking turns (the order flips each time): spawn to the first 200 of GET /health/live.
 */
async function measureColdStarts(builds: BuildTarget[], count: number): Promise<void> {
  for (const build of builds) {
    const first = await startService(build.env, build.cwd, { label: build.name, entry: build.entry });
    await first.child.stop();
    console.log(`first start of the ${build.name} (migrations included): ${first.startMs.toFixed(0)} ms`);
  }
  if (count === 0 || builds.length === 0) return;
  const times = new Map<BuildName, number[]>(builds.map((b) => [b.name, []]));
  for (let i = 0; i < count; i++) {
    const order = i % 2 === 0 ? builds : [...builds].reverse();
    for (const build of order) {
      const started = await startService(build.env, build.cwd, { label: build.name, entry: build.entry });
      times.get(build.name)!.push(started.startMs);
      await started.child.stop();
    }
  }
  for (const [name, ms] of times) {
    console.log(
      `cold start of the ${name}, node dist/main.js until /health/live answers: median ${median(ms).toFixed(0)} ms of ${ms.length} ` +
        `(${ms.map((t) => t.toFixed(0)).join(', ')})`,
    );
  }
  const service = times.get('service');
  const baseline = times.get('baseline');
  if (service && baseline) console.log(`cold start service / baseline: ${(median(service) / median(baseline)).toFixed(2)}x`);
}

function printResults(tallies: Map<string, Tally>, options: Options, names: TargetName[]): void {
  const processes = (name: TargetName) => Math.max(0, ...options.users.map((users) => tallies.get(`${name}:${users}`)?.processes ?? 0));
  const clustered = names.some((name) => processes(name) > 1);
  console.log(
    `\nprocesses per target, whose CPU and memory are summed (the target's process and its descendants): ` +
      names.map((name) => `${name} ${processes(name)}`).join(', '),
  );
  const rows: string[][] = [
    [
      'target',
      'users',
      'logins',
      'logins/s',
      'p50 ms',
      'p99 ms',
      'CPU ms/login',
      'CPU %',
      'peak RSS MB',
      ...(clustered ? ['max process MB'] : []),
      'client CPU %',
      'mesibo CPU %',
      'errors',
    ],
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
        ...(clustered ? [t.peakProcessRssMb.toFixed(0)] : []),
        ((t.clientCpuMs / t.windowMs) * 100).toFixed(0),
        ((t.mesiboCpuMs / t.windowMs) * 100).toFixed(0),
        String(t.errors + t.warmupErrors),
      ]);
    }
  }
  console.log('');
  printRows(rows, 2);

  const ratios: string[][] = [['ratio', 'users', 'logins/s', 'p50', 'p99', 'CPU ms/login', 'peak RSS']];
  const x = (v: number) => `${v.toFixed(2)}x`;
  for (const [a, b] of RATIOS) {
    for (const users of options.users) {
      const ta = tallies.get(`${a}:${users}`);
      const tb = tallies.get(`${b}:${users}`);
      if (!ta || !tb) continue;
      const da = describe(ta);
      const db = describe(tb);
      ratios.push([`${a} / ${b}`, String(users), x(da.perSecond / db.perSecond), x(da.p50 / db.p50), x(da.p99 / db.p99), x(da.cpuPerLogin / db.cpuPerLogin), x(ta.peakRssMb / tb.peakRssMb)]);
    }
  }
  if (ratios.length > 1) {
    console.log('');
    printRows(ratios, 2);
  }

  const failures = [...tallies.entries()].filter(([, t]) => t.errorKinds.size > 0);
  for (const [key, t] of failures) {
    console.log(`\nerrors of ${key.replace(':', ' at ')} users (measured ${t.errors}, warm-up ${t.warmupErrors}):`);
    for (const [kind, n] of [...t.errorKinds.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${n} × ${kind}`);
  }
  if (failures.length === 0) console.log('\nerrors: none');
}

/**
 * The CPU profiles that the processes `pids` of one target wrote to `dir` (node names them
 * CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile), measured periods only, added up: a cluster
 * writes one per process.
 */
function summarizeProfiles(name: BuildName, dir: string, pids: Set<number>, windows: Array<[number, number]>): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && pids.has(Number(f.split('.')[3])))
    .map((f) => join(dir, f));
  if (files.length === 0) {
    console.log(`\nno .cpuprofile of the ${name} in ${dir}: did it exit cleanly?`);
    return;
  }
  console.log(
    `\nCPU profile of the ${name}, measured periods only (the profiler was on: the numbers above are slower than without it): ` +
      files.join(', '),
  );
  printProfileSummary(addSummaries(files.map((file) => summarizeProfile(readProfile(file), windows))), 10);
}

/** Several processes' profile summaries as one: self times added, shares of the total. */
function addSummaries(summaries: ProfileSummary[]): ProfileSummary {
  const functions = new Map<string, ProfileSummary['functions'][number]>();
  const groups = new Map<string, number>();
  let busyMs = 0;
  let idleMs = 0;
  for (const summary of summaries) {
    busyMs += summary.busyMs;
    idleMs += summary.idleMs;
    for (const f of summary.functions) {
      const key = `${f.name}@${f.location}`;
      const entry = functions.get(key) ?? { ...f, ms: 0 };
      entry.ms += f.ms;
      functions.set(key, entry);
    }
    for (const g of summary.groups) groups.set(g.group, (groups.get(g.group) ?? 0) + g.ms);
  }
  const share = (ms: number) => (busyMs > 0 ? ms / busyMs : 0);
  return {
    busyMs,
    idleMs,
    functions: [...functions.values()].sort((a, b) => b.ms - a.ms).map((f) => ({ ...f, share: share(f.ms) })),
    groups: [...groups.entries()].sort((a, b) => b[1] - a[1]).map(([group, ms]) => ({ group, ms, share: share(ms) })),
  };
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

function splitArgs(value: string): string[] {
  return value.split(/\s+/).filter(Boolean);
}
