/**
 * Which SQL statements one phone login runs, and how many: a new user's login and an existing
 * user's, with the limits of a production configuration counting (as bench/login-flow.ts sets them).
 * It boots the service in-process on a fresh database (a temporary SQLite file, or the server that
 * E2E_DATABASE_URL names) and counts at the driver, so whatever builds the queries, every statement
 * that reaches the database is seen.
 *
 *   npm run bench:statements
 *   E2E_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test E2E_REDIS_URL=redis://127.0.0.1:6379/5 npm run bench:statements
 *
 * This is a benchmark helper: it prints, it asserts nothing.
 */
import SqliteDatabase from 'better-sqlite3';
import { Client } from 'pg';
import { request } from 'undici';
import { startTestApp, TestApp } from '../test/support/test-app';

const seen: string[] = [];

/** Counts every statement better-sqlite3 runs (prepared once or not) and every query pg sends. */
function countStatements(): void {
  const probe = new SqliteDatabase(':memory:').prepare('SELECT 1');
  const statementPrototype = Object.getPrototypeOf(probe) as Record<string, (...args: unknown[]) => unknown>;
  for (const method of ['run', 'all', 'get', 'iterate']) {
    const original = statementPrototype[method];
    statementPrototype[method] = function (this: { source: string }, ...args: unknown[]) {
      seen.push(this.source);
      return original.apply(this, args);
    };
  }
  const pgQuery = Client.prototype.query as (...args: unknown[]) => unknown;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const first = args[0];
    seen.push(typeof first === 'string' ? first : String((first as { text?: string }).text));
    return pgQuery.apply(this, args);
  } as typeof Client.prototype.query;
}

async function post(app: TestApp, path: string, body: unknown): Promise<number> {
  const res = await request(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.body.dump();
  return res.statusCode;
}

async function login(app: TestApp, phone: string): Promise<{ otp: string[]; verify: string[] }> {
  seen.length = 0;
  const sent = await post(app, '/v1/auth/otp', { phone: `+${phone}`, appid: 'com.mesibo.bench' });
  const otp = seen.splice(0);
  const code = app.gateway.lastCodeFor(phone);
  const verified = await post(app, '/v1/auth/otp/verify', { phone: `+${phone}`, appid: 'com.mesibo.bench', otp: code });
  const verify = seen.splice(0);
  if (sent !== 202 || verified !== 200) throw new Error(`login answered ${sent} then ${verified}`);
  return { otp, verify };
}

function print(title: string, statements: string[]): void {
  const writes = statements.filter((sql) => /^\s*(insert|update|delete)/i.test(sql)).length;
  console.log(`\n${title}: ${statements.length} statements, ${writes} of them writes`);
  statements.forEach((sql, i) => console.log(`  ${String(i + 1).padStart(2)}  ${sql.replace(/\s+/g, ' ').slice(0, 150)}`));
}

async function main(): Promise<void> {
  countStatements();
  const app = await startTestApp({
    NODE_ENV: 'production',
    OTP_RESEND_COOLDOWN_SECONDS: '60',
    THROTTLE_LIMIT: '1000000000',
    OTP_MAX_SENDS_PER_IP_PER_WINDOW: '1000000000',
    SMS_MAX_PER_HOUR: '1000000000',
    SMS_MAX_PER_COUNTRY_PER_HOUR: '1000000000',
    EMAIL_LOGIN: 'false',
  });
  try {
    await login(app, '61400000001'); // warm: the first request of a process reads more
    const fresh = await login(app, '61400000002');
    app.clock.advance(120);
    const again = await login(app, '61400000002');
    print('new user, code request', fresh.otp);
    print('new user, verify', fresh.verify);
    print('existing user, code request', again.otp);
    print('existing user, verify', again.verify);
    const total = (l: { otp: string[]; verify: string[] }): number => l.otp.length + l.verify.length;
    console.log(`\nper login: new user ${total(fresh)} statements, existing user ${total(again)}`);
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
