import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationProvider } from '../src/database/migrations';
import { StartOutcome, startServiceOnce } from './support/start-service-once';



describe('a bad configuration stops start-up with one line per problem, naming the variable', () => {
  let dir: string;
  let base: Record<string, string>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-errors-e2e-'));
    base = { NODE_ENV: 'test', DATABASE_URL: `sqlite:${join(dir, 'service.db')}` };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function expectOneLine(outcome: StartOutcome, ...expected: string[]): void {
    expect(outcome.result).toBe(1);
    const lines = outcome.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: /);
    for (const text of expected) expect(lines[0]).toContain(text);
  }

  it('MESIBO_API_URL without a scheme: one line, no stack trace', async () => {
    expectOneLine(await startServiceOnce(dir, { ...base, MESIBO_API_URL: 'api.mesibo.com/backend/' }), 'MESIBO_API_URL');
  }, 60_000);

  it('TRUST_PROXY=ture, CORS_ORIGINS separated by ";" and EMAIL_LOGIN=nope: one line each', async () => {
    const outcome = await startServiceOnce(dir, {
      ...base,
      TRUST_PROXY: 'ture',
      CORS_ORIGINS: 'https://a.example.com;https://b.example.com',
      EMAIL_LOGIN: 'nope',
    });
    expect(outcome.result).toBe(1);
    expect(outcome.stderr.trim().split('\n')).toEqual([
      'Invalid configuration (3 problems):',
      expect.stringMatching(/^ {2}CORS_ORIGINS has "https:\/\/a.example.com;https:\/\/b.example.com"/),
      expect.stringMatching(/^ {2}TRUST_PROXY has "ture"/),
      expect.stringMatching(/^ {2}EMAIL_LOGIN must be true or false/),
    ]);
  }, 60_000);

  it('production with nothing set: every problem at once', async () => {
    const outcome = await startServiceOnce(dir, { NODE_ENV: 'production', DATABASE_URL: base.DATABASE_URL });
    expect(outcome.result).toBe(1);
    const [heading, ...problems] = outcome.stderr.trim().split('\n');
    expect(heading).toMatch(/^Invalid configuration \(\d+ problems\):$/);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}EMAIL_SENDER=console .* refused in production/),
        expect.stringMatching(/^ {2}MESIBO_APP_TOKEN must be set in production/),
        expect.stringMatching(/^ {2}OTP_SECRET must be set in production/),
        expect.stringMatching(/^ {2}OTP_SENDER=console .* refused in production/),
      ]),
    );
    expect(outcome.stderr).not.toMatch(/^\s+at /m);
  }, 60_000);

  it('DB_MIGRATE=false on a database without the migrations: refuses, naming them', async () => {
    const names = Object.keys(await migrationProvider.getMigrations()).sort();
    const outcome = await startServiceOnce(dir, { ...base, DATABASE_URL: `sqlite:${join(dir, 'empty.db')}`, DB_MIGRATE: 'false' });
    expectOneLine(outcome, 'DB_MIGRATE=false', `${names.length} migration(s)`, ...names, 'npm run migrate');
  }, 60_000);

  it('a real App Token with NODE_ENV unset: console senders need DEV_PRINT_CODES=true', async () => {
    const env = { DATABASE_URL: base.DATABASE_URL, MESIBO_APP_TOKEN: 'a-real-looking-app-token', MESIBO_API_URL: 'http://127.0.0.1:9/backend/' };
    const [refused, allowed] = await Promise.all([startServiceOnce(dir, env), startServiceOnce(dir, { ...env, DEV_PRINT_CODES: 'true' })]);
    expect(refused.result).toBe(1);
    expect(refused.stderr).toMatch(/OTP_SENDER=console prints codes .*DEV_PRINT_CODES=true/);
    expect(refused.stderr).toMatch(/EMAIL_SENDER=console prints codes .*DEV_PRINT_CODES=true/);
    expect(allowed.result).toBe('listening');
  }, 120_000);

  it('a .env with bad values in the working directory is ignored under NODE_ENV=test, and read otherwise', async () => {
    const withDotEnv = mkdtempSync(join(tmpdir(), 'config-errors-dotenv-'));
    try {
      writeFileSync(join(withDotEnv, '.env'), 'PORT=not-a-port\nTRUST_PROXY=ture\n');
      const [test, development] = await Promise.all([
        startServiceOnce(withDotEnv, { ...base }),
        startServiceOnce(withDotEnv, { ...base, NODE_ENV: 'development' }),
      ]);
      expect(test.result).toBe('listening');
      expect(development.result).toBe(1);
      expect(development.stderr).toContain('TRUST_PROXY');
    } finally {
      rmSync(withDotEnv, { recursive: true, force: true });
    }
  }, 120_000);
});
