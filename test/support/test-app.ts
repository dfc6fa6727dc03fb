import { INestApplication } from '@nestjs/common';
import { __resetOutOfContextForTests as resetLoggerOutsideRequests } from 'nestjs-pino/PinoLogger';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { Clock } from '../../src/common/clock';
import { DB, Db } from '../../src/database/connection';
import { MesiboSimulator } from '../../src/mesibo-simulator/mesibo-simulator';
import { FakeClock } from './fake-clock';
import { SmsGateway } from './sms-gateway';
import { TcpProxy } from './tcp-proxy';
import { createTestDatabase } from './test-database';

export const APP_TOKEN = 'e2e-app-token-0123456789';

/**
 * Keeps every log line the app writes (its pino output, one JSON object per line), so tests can
 * assert what reaches the log and what never does.
 */
export class LogCapture {
  readonly lines: string[] = [];

  write(chunk: string): void {
    for (const line of chunk.split('\n')) if (line !== '') this.lines.push(line);
  }

  /** The lines as objects. */
  entries(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface TestApp {
  app: INestApplication;
  url: string;
  db: Db;
  clock: FakeClock;
  mesibo: MesiboSimulator;
  gateway: SmsGateway;
  logs: LogCapture;
  /** Between the app and a database server, when asked for. */
  databaseProxy?: TcpProxy;
  close(): Promise<void>;
}

/**
 * Boots the whole service on a real port, with a fresh database (see test-database.ts), the mesibo simulator over
 * HTTP and a real SMS webhook receiver. `env` adds or overrides settings.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { databaseProxy?: boolean } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  // On a database server, optionally reach it through a proxy the test can cut.
  const proxy = options.databaseProxy ? await proxyTo(database.url) : undefined;
  const mesibo = await new MesiboSimulator({ appToken: APP_TOKEN }).start();
  const gateway = await new SmsGateway().start();
  const clock = new FakeClock();
  const logs = new LogCapture();

  Object.assign(process.env, {
    NODE_ENV: 'test',
    DATABASE_URL: proxy?.url ?? database.url,
    MESIBO_API_URL: mesibo.url,
    MESIBO_APP_TOKEN: APP_TOKEN,
    MESIBO_RETRIES: '1',
    MESIBO_TIMEOUT_MS: '2000',
    OTP_SECRET: 'e2e-otp-secret-that-is-long-enough-0123',
    OTP_SENDER: 'webhook',
    OTP_WEBHOOK_URL: gateway.url,
    CORS_ORIGINS: '*',
    // The specs make many requests from 127.0.0.1; test/throttling.e2e-spec.ts sets its own low limits.
    THROTTLE_LIMIT: '1000000',
    // With E2E_REDIS_URL, counters live in that Redis database under a prefix of this app's own.
    REDIS_URL: process.env.E2E_REDIS_URL ?? '',
    REDIS_KEY_PREFIX: `e2e-${randomBytes(6).toString('hex')}:`,
    // Every test runs at the most verbose level, so each "never in the log" assertion sees everything.
    LOG_LEVEL: 'trace',
    LOG_FORMAT: 'json',
    ...env,
  });

  // nestjs-pino keeps one logger per process for lines written outside a request: this app's.
  resetLoggerOutsideRequests();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ logDestination: logs })] })
    .overrideProvider(Clock)
    .useValue(clock)
    .compile();
  const app = moduleRef.createNestApplication({ bodyParser: false, bufferLogs: true });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  const port = ((app.getHttpServer() as Server).address() as AddressInfo).port;

  return {
    app,
    url: `http://127.0.0.1:${port}`,
    db: app.get<Db>(DB),
    clock,
    mesibo,
    gateway,
    logs,
    databaseProxy: proxy?.proxy,
    async close() {
      await app.close();
      await proxy?.proxy.stop();
      await mesibo.stop();
      await gateway.stop();
      await database.drop();
    },
  };
}

async function proxyTo(databaseUrl: string): Promise<{ proxy: TcpProxy; url: string }> {
  const url = new URL(databaseUrl);
  const proxy = await new TcpProxy(url.hostname, Number(url.port)).start();
  url.hostname = '127.0.0.1';
  url.port = String(proxy.listeningPort);
  return { proxy, url: url.toString() };
}
