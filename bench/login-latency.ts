/**
 * Does login latency hold up as the user base grows? For each engine it seeds a small and a large
 * population (1,000 and 1,000,000 users by default) into fresh databases, boots the real service
 * in-process on each (as test/support/test-app.ts does, with the mesibo simulator and an SMS
 * gateway over real HTTP), and times full logins over HTTP: POST /v1/auth/otp, read the code the
 * gateway received, POST /v1/auth/otp/verify. Logins run one at a time (latency, not throughput),
 * for new phone numbers and for numbers of seeded users. The two populations are measured
 * interleaved (by default switching app after every login) so that drift in the machine's speed and
 * other load on it hit both alike.
 *
 *   npm run bench:login
 *   npm run bench:login -- --engines sqlite --large 200000 --logins 1000
 *
 * This is a benchmark: it prints numbers, it is not a test.
 */
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import passport from 'passport';
import { Agent, request } from 'undici';
import { AppModule } from '../src/app.module';
import { configureApp } from '../src/app.setup';
import { migrateToLatest, openDatabase } from '../src/database/connection';
import { MesiboSimulator, randomAppToken } from '../src/mesibo-simulator/mesibo-simulator';
import { SmsGateway } from '../test/support/sms-gateway';
import { BenchDatabase, createDatabase, percentile, printRows } from './bench-support';
import { FIRST_UNSEEDED_PHONE, LAST_VALID_PHONE, MAX_SEEDED_USERS, redact, seededPhone, seedUsers, settle } from './seed-users';

type Engine = 'sqlite' | 'postgres';
type Case = 'new' | 'existing';
type Size = 'small' | 'large';
const CASES: Case[] = ['new', 'existing'];
const APPID = 'com.mesibo.bench';

interface Options {
  engines: Engine[];
  pg: string;
  small: number;
  large: number;
  logins: number;
  warmup: number;
  rounds: number;
  block: number;
  threshold: number;
}

interface Sample {
  total: number;
  otp: number;
  verify: number;
}

interface Stats {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  otpP50: number;
  verifyP50: number;
}

/** Run on exit, also on Ctrl-C, so no bench_* database or temp file is left behind. */
const cleanups: Array<() => Promise<void>> = [];

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      engines: { type: 'string', default: 'sqlite,postgres' },
      pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
      small: { type: 'string', default: '1000' },
      large: { type: 'string', default: '1000000' },
      logins: { type: 'string', default: '2000' },
      warmup: { type: 'string', default: '200' },
      rounds: { type: 'string', default: '4' },
      block: { type: 'string', default: '1' },
      threshold: { type: 'string', default: '1.2' },
    },
  });
  const engines = values.engines.split(',').map((engine) => engine.trim());
  for (const engine of engines) {
    if (engine !== 'sqlite' && engine !== 'postgres') throw new Error(`unknown engine ${engine}: use sqlite and/or postgres`);
  }
  const positive = (name: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  const options: Options = {
    engines: engines as Engine[],
    pg: values.pg,
    small: positive('small', values.small),
    large: positive('large', values.large),
    logins: positive('logins', values.logins),
    warmup: Number(values.warmup),
    rounds: positive('rounds', values.rounds),
    block: positive('block', values.block),
    threshold: Number(values.threshold),
  };
  if (options.logins % options.rounds !== 0) throw new Error('--logins must be a multiple of --rounds');
  if (Math.max(options.small, options.large) > MAX_SEEDED_USERS) throw new Error(`--small and --large: at most ${MAX_SEEDED_USERS} users`);
  return options;
}

async function seed(database: BenchDatabase, users: number, label: string): Promise<void> {
  const db = openDatabase(database.url, { poolMax: 2 });
  try {
    await migrateToLatest(db);
    const result = await seedUsers(db, users);
    const settleStarted = performance.now();
    await settle(db);
    console.log(
      `  seeded ${label}: ${users.toLocaleString('en-US')} users, ${result.rows.toLocaleString('en-US')} rows in ` +
        `${(result.elapsedMs / 1000).toFixed(1)} s = ${Math.round(result.rowsPerSecond).toLocaleString('en-US')} rows/s ` +
        `(${result.rowsPerStatement} rows per INSERT; settle ${((performance.now() - settleStarted) / 1000).toFixed(1)} s; ` +
        `${await database.describeSize()})`,
    );
  } finally {
    await db.destroy();
  }
}

/** One running service on a seeded database, with its own mesibo simulator, SMS gateway and HTTP connection. */
class BenchApp {
  private nextNewPhone = FIRST_UNSEEDED_PHONE;
  private readonly agent = new Agent({ connections: 1, pipelining: 1, keepAliveTimeout: 60_000 });

  private constructor(
    readonly label: string,
    readonly size: Size,
    readonly population: number,
    private readonly app: INestApplication,
    private readonly url: string,
    private readonly mesibo: MesiboSimulator,
    private readonly gateway: SmsGateway,
    private readonly strategies: Array<[string, passport.Strategy]>,
  ) {}

  /** Boots AppModule the way test/support/test-app.ts does, on the real clock. */
  static async start(label: string, size: Size, population: number, databaseUrl: string): Promise<BenchApp> {
    const appToken = randomAppToken();
    const mesibo = await new MesiboSimulator({ appToken }).start();
    const gateway = await new SmsGateway().start();
    // The configuration is read while the module compiles: set it, then build this app before the next.
    Object.assign(process.env, {
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      MESIBO_API_URL: mesibo.url,
      MESIBO_APP_TOKEN: appToken,
      OTP_SECRET: `bench-otp-secret-${randomBytes(16).toString('hex')}`,
      OTP_SENDER: 'webhook',
      OTP_WEBHOOK_URL: gateway.url,
      OTP_RESEND_COOLDOWN_SECONDS: '0',
      // Every login comes from 127.0.0.1, and seeded numbers repeat on the small population: lift the
      // send limits (settings that an older service ignores) so that they count but never refuse.
      OTP_MAX_SENDS_PER_WINDOW: '1000000000',
      OTP_MAX_SENDS_PER_IP_PER_WINDOW: '1000000000',
      THROTTLE_LIMIT: '1000000000',
      SMS_MAX_PER_HOUR: '1000000000',
      SMS_MAX_PER_COUNTRY_PER_HOUR: '1000000000',
      PHONE_DEFAULT_REGION: '',
      REDIS_URL: '',
      // One line per request would interleave with the numbers this prints.
      LOG_LEVEL: 'warn',
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register()] }).compile();
    const app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    configureApp(app);
    await app.listen(0, '127.0.0.1');
    const port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
    // Passport's registry now holds the strategies this app's providers registered while it was built.
    const strategies = Object.entries((passport as unknown as { _strategies: Record<string, passport.Strategy> })._strategies);
    return new BenchApp(label, size, population, app, `http://127.0.0.1:${port}`, mesibo, gateway, strategies);
  }

  /**
   * Passport keeps strategies in one process-wide registry, by name: each app created registers
   * its own, replacing those of the app before, and every app would then verify codes against the
   * last one's database. Put this app's strategies (as registered when it was built) back before
   * sending it logins.
   */
  activate(): void {
    for (const [name, strategy] of this.strategies) passport.use(name, strategy);
  }

  phoneFor(kind: Case): string {
    if (kind === 'new') {
      if (this.nextNewPhone > LAST_VALID_PHONE) throw new Error('ran out of valid phone numbers for new users');
      return String(this.nextNewPhone++);
    }
    return seededPhone(Math.floor(Math.random() * this.population));
  }

  /** One full login; throws unless every step answered as a working service would. */
  async login(kind: Case): Promise<Sample> {
    const phone = this.phoneFor(kind);
    const started = performance.now();
    const sent = await this.post('/v1/auth/otp', { phone, appid: APPID });
    if (sent.status !== 202) throw new Error(`${this.label}: POST /v1/auth/otp answered ${sent.status}: ${JSON.stringify(sent.body)}`);
    const otpDone = performance.now();
    // The webhook sender waits for the gateway's answer before the 202, so the code is here already.
    const message = this.gateway.messages.pop();
    if (message?.to !== phone) throw new Error(`${this.label}: no code reached the gateway for ${phone}`);
    const verified = await this.post('/v1/auth/otp/verify', { phone, appid: APPID, otp: message.code });
    const done = performance.now();
    if (verified.status !== 200) {
      throw new Error(`${this.label}: POST /v1/auth/otp/verify answered ${verified.status}: ${JSON.stringify(verified.body)}`);
    }
    if (verified.body.newUser !== (kind === 'new')) {
      throw new Error(`${this.label}: a login of a ${kind} user answered newUser=${String(verified.body.newUser)} for ${phone}`);
    }
    return { total: done - started, otp: otpDone - started, verify: done - otpDone };
  }

  async close(): Promise<void> {
    await this.agent.close();
    await this.app.close();
    await this.mesibo.stop();
    await this.gateway.stop();
  }

  private async post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await request(`${this.url}${path}`, {
      method: 'POST',
      dispatcher: this.agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
  }
}

function statsOf(samples: Sample[]): Stats {
  const totals = samples.map((s) => s.total).sort((a, b) => a - b);
  const pick = percentile;
  const median = (values: number[]) => pick([...values].sort((a, b) => a - b), 0.5);
  return {
    count: samples.length,
    p50: pick(totals, 0.5),
    p95: pick(totals, 0.95),
    p99: pick(totals, 0.99),
    mean: totals.reduce((sum, v) => sum + v, 0) / totals.length,
    otpP50: median(samples.map((s) => s.otp)),
    verifyP50: median(samples.map((s) => s.verify)),
  };
}

interface Result {
  engine: Engine;
  size: Size;
  population: number;
  kind: Case;
  stats: Stats;
}

async function benchEngine(engine: Engine, options: Options): Promise<Result[]> {
  console.log(`\n${engine}${engine === 'postgres' ? ` (${redact(options.pg)})` : ''}`);
  const apps: BenchApp[] = [];
  try {
    const populations: Array<{ size: Size; users: number }> = [
      { size: 'small', users: options.small },
      { size: 'large', users: options.large },
    ];
    for (const population of populations) {
      const database = await createDatabase(engine, options.pg, population.size);
      cleanups.push(() => database.drop());
      await seed(database, population.users, population.size);
      apps.push(await BenchApp.start(`${engine}/${population.size}`, population.size, population.users, database.url));
    }

    for (const app of apps) {
      app.activate();
      for (const kind of CASES) for (let i = 0; i < options.warmup; i++) await app.login(kind);
    }
    console.log(`  warmed up: ${options.warmup} logins per app and case`);

    const samples = new Map<string, Sample[]>();
    const perRound = options.logins / options.rounds;
    for (let round = 0; round < options.rounds; round++) {
      const started = performance.now();
      for (const kind of CASES) {
        // Switch apps every `block` logins (default: every login), flipping which goes first, so a
        // burst of other work on the machine lands on both populations alike.
        for (let done = 0, turn = round; done < perRound; done += options.block, turn++) {
          const order = turn % 2 === 0 ? apps : [...apps].reverse();
          for (const app of order) {
            const key = `${app.label}:${kind}`;
            const list = samples.get(key) ?? [];
            app.activate();
            for (let i = 0; i < Math.min(options.block, perRound - done); i++) list.push(await app.login(kind));
            samples.set(key, list);
          }
        }
      }
      console.log(
        `  round ${round + 1}/${options.rounds}: ${perRound} logins per population and case in ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s (load average ${loadavg()[0].toFixed(2)} on ${cpus().length} cores)`,
      );
    }
    return apps.flatMap((app) =>
      CASES.map((kind) => ({
        engine,
        size: app.size,
        population: app.population,
        kind,
        stats: statsOf(samples.get(`${app.label}:${kind}`) ?? []),
      })),
    );
  } finally {
    for (const app of apps) await app.close();
    while (cleanups.length > 0) await cleanups.pop()?.();
  }
}

function printTable(results: Result[], options: Options): void {
  const ms = (v: number) => v.toFixed(2);
  const rows: string[][] = [
    ['engine', 'population', 'case', 'logins', 'p50 ms', 'p95 ms', 'p99 ms', 'mean ms', 'otp p50', 'verify p50'],
  ];
  for (const r of results) {
    rows.push([
      r.engine,
      r.population.toLocaleString('en-US'),
      r.kind,
      String(r.stats.count),
      ms(r.stats.p50),
      ms(r.stats.p95),
      ms(r.stats.p99),
      ms(r.stats.mean),
      ms(r.stats.otpP50),
      ms(r.stats.verifyP50),
    ]);
  }
  printRows(rows);

  console.log(`\nlarge/small (${options.large.toLocaleString('en-US')} vs ${options.small.toLocaleString('en-US')} users), limit ${options.threshold}x:`);
  const ratios: string[][] = [['engine', 'case', 'p50 ratio', 'mean ratio', 'verdict']];
  for (const engine of options.engines) {
    for (const kind of CASES) {
      const find = (size: Size) => results.find((r) => r.engine === engine && r.kind === kind && r.size === size);
      const small = find('small');
      const large = find('large');
      if (!small || !large) continue;
      const p50 = large.stats.p50 / small.stats.p50;
      const mean = large.stats.mean / small.stats.mean;
      const pass = p50 <= options.threshold && mean <= options.threshold;
      ratios.push([engine, kind, `${p50.toFixed(3)}x`, `${mean.toFixed(3)}x`, pass ? 'PASS' : 'FAIL']);
    }
  }
  printRows(ratios);
}

async function main(): Promise<void> {
  const options = readOptions();
  const perRound = options.logins / options.rounds;
  console.log(
    `login latency: ${options.small.toLocaleString('en-US')} vs ${options.large.toLocaleString('en-US')} users on ${options.engines.join(', ')}\n` +
      `${options.logins} timed logins per engine, population and case (new phone / seeded phone), after ${options.warmup} warm-up logins each;\n` +
      `one login at a time over one keep-alive connection per app. Both apps (small and large population) run side by side\n` +
      `and are measured interleaved: ${options.rounds} rounds of ${perRound} logins per app and case, switching app every ` +
      `${options.block === 1 ? 'login' : `${options.block} logins`}\n` +
      `(which app goes first flips each time), so drift in the machine's speed and bursts of other load hit both alike.\n` +
      `A login = POST /v1/auth/otp + read the code at the SMS gateway + POST /v1/auth/otp/verify (mesibo simulator in-process).`,
  );
  const results: Result[] = [];
  for (const engine of options.engines) results.push(...(await benchEngine(engine, options)));
  console.log('');
  printTable(results, options);
}

process.once('SIGINT', () => {
  void (async () => {
    while (cleanups.length > 0) await cleanups.pop()?.().catch(() => undefined);
    process.exit(130);
  })();
});

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  while (cleanups.length > 0) await cleanups.pop()?.().catch(() => undefined);
  process.exitCode = 1;
});
