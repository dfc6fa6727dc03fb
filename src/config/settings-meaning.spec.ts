import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from './app.config';
import { loadClientConfig } from './client.config';
import { loadDatabaseConfig } from './database.config';
import { loadEmailConfig } from './email.config';
import { ConfigError, loadDotEnvFile, validateAll } from './env';
import { loadMesiboConfig } from './mesibo.config';
import { loadOtpConfig } from './otp.config';

/** The ConfigError a load throws; fails the test when it returns. */
function configErrorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the configuration to be refused');
}

const REAL_TOKEN = { MESIBO_APP_TOKEN: 'a-real-app-token-from-the-console' };

describe('settings mean what they say', () => {
  describe('booleans: true/false, 1/0, yes/no (any case), anything else refused', () => {
    const booleans: Array<[string, (value: string) => boolean]> = [
      ['DB_MIGRATE', (value) => loadDatabaseConfig({ DB_MIGRATE: value }).migrateOnStart],
      ['EMAIL_LOGIN', (value) => loadEmailConfig({ EMAIL_LOGIN: value }).loginEnabled],
      ['API_DOCS', (value) => loadAppConfig({ API_DOCS: value }).apiDocs],
    ];

    it.each(booleans)('%s', (variable, read) => {
      for (const value of ['false', 'FALSE', '0', 'no', 'No']) expect(read(value)).toBe(false);
      for (const value of ['true', 'True', '1', 'yes', 'YES']) expect(read(value)).toBe(true);
      for (const value of ['ture', 'off', 'maybe', '2']) {
        expect(configErrorOf(() => read(value)).message).toContain(`${variable} must be true or false`);
      }
    });

    it('DEV_PRINT_CODES is checked too', () => {
      expect(configErrorOf(() => loadAppConfig({ DEV_PRINT_CODES: 'sure' })).message).toContain('DEV_PRINT_CODES');
    });
  });

  describe('URLs need their scheme', () => {
    it.each<[string, () => unknown]>([
      ['MESIBO_API_URL', () => loadMesiboConfig({ MESIBO_API_URL: 'api.mesibo.com/backend/' })],
      ['OTP_WEBHOOK_URL', () => loadOtpConfig({ OTP_SENDER: 'webhook', OTP_WEBHOOK_URL: 'sms.example.com/send' })],
      ['APP_UPLOAD_URL', () => loadClientConfig({ APP_UPLOAD_URL: 's3.example.com/upload' })],
      ['APP_DOWNLOAD_URL', () => loadClientConfig({ APP_DOWNLOAD_URL: 'files.example.com/' })],
    ])('%s without http(s):// is refused', (variable, load) => {
      expect(configErrorOf(load).message).toContain(variable);
    });

    it('a local URL with a port is fine', () => {
      expect(loadMesiboConfig({ MESIBO_API_URL: 'http://127.0.0.1:4000/backend/' }).apiUrl).toBe('http://127.0.0.1:4000/backend/');
    });
  });

  describe('TRUST_PROXY', () => {
    it.each([
      ['true', true],
      ['yes', true],
      ['false', false],
      ['no', false],
      ['1', 1],
      ['loopback', ['loopback']],
      ['loopback, 10.0.0.0/8, ::1, fd00::/8, 192.168.0.0/255.255.0.0', ['loopback', '10.0.0.0/8', '::1', 'fd00::/8', '192.168.0.0/255.255.0.0']],
    ])('%p is read as %p', (value, expected) => {
      expect(loadAppConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
    });

    it.each(['ture', '10.0.0.0/33', 'proxy.internal', '10.0.0.1;10.0.0.2', 'loopback,bogus'])('%p is refused, naming TRUST_PROXY', (value) => {
      expect(configErrorOf(() => loadAppConfig({ TRUST_PROXY: value })).message).toContain('TRUST_PROXY');
    });
  });

  describe('CORS_ORIGINS', () => {
    it('accepts origins with scheme, host and port', () => {
      expect(loadAppConfig({ CORS_ORIGINS: 'https://chat.example.com,http://localhost:5173' }).corsOrigins).toEqual([
        'https://chat.example.com',
        'http://localhost:5173',
      ]);
    });

    it.each([
      'https://a.example.com;https://b.example.com',
      'https://chat.example.com/',
      'https://chat.example.com/app',
      'chat.example.com',
      'ftp://files.example.com',
    ])('refuses %p, naming CORS_ORIGINS', (value) => {
      const error = configErrorOf(() => loadAppConfig({ CORS_ORIGINS: value }));
      expect(error.problems).toEqual([expect.stringMatching(/^CORS_ORIGINS has ".*", which is not an origin/)]);
    });
  });

  describe('database timeouts', () => {
    it('reads DB_STATEMENT_TIMEOUT_MS and DB_ACQUIRE_TIMEOUT_MS', () => {
      expect(loadDatabaseConfig({ DB_STATEMENT_TIMEOUT_MS: '1500', DB_ACQUIRE_TIMEOUT_MS: '800' })).toMatchObject({
        statementTimeoutMs: 1500,
        acquireTimeoutMs: 800,
      });
    });

    it.each(['DB_STATEMENT_TIMEOUT_MS', 'DB_ACQUIRE_TIMEOUT_MS'])('%s must be a number of milliseconds, 100 or more', (variable) => {
      expect(configErrorOf(() => loadDatabaseConfig({ [variable]: '5s' })).message).toContain(variable);
      expect(configErrorOf(() => loadDatabaseConfig({ [variable]: '10' })).message).toContain(variable);
    });
  });

  describe('API docs: on while developing, off in production unless API_DOCS says so', () => {
    it.each<[NodeJS.ProcessEnv, boolean]>([
      [{}, true],
      [{ NODE_ENV: 'production' }, false],
      [{ NODE_ENV: 'production', API_DOCS: 'true' }, true],
      [{ API_DOCS: 'false' }, false],
    ])('%p', (env, expected) => {
      expect(loadAppConfig(env).apiDocs).toBe(expected);
    });
  });

  describe('printing codes to the log needs more than a forgotten NODE_ENV', () => {
    it('is allowed against the built-in simulator (no App Token)', () => {
      expect(loadOtpConfig({ OTP_SENDER: 'console' }).sender).toBe('console');
      expect(loadEmailConfig({ EMAIL_SENDER: 'console' }).sender).toBe('console');
    });

    it('is refused with a real App Token and NODE_ENV unset, naming the way out', () => {
      expect(configErrorOf(() => loadOtpConfig({ ...REAL_TOKEN })).problems).toEqual([
        expect.stringMatching(/^OTP_SENDER=console prints codes .*DEV_PRINT_CODES=true/),
      ]);
      expect(configErrorOf(() => loadEmailConfig({ ...REAL_TOKEN })).problems).toEqual([
        expect.stringMatching(/^EMAIL_SENDER=console prints codes .*DEV_PRINT_CODES=true/),
      ]);
      expect(() => loadOtpConfig({ ...REAL_TOKEN, NODE_ENV: 'development' })).toThrow(ConfigError);
    });

    it('is allowed with DEV_PRINT_CODES=true, or for the email sender while email login is off', () => {
      expect(loadOtpConfig({ ...REAL_TOKEN, DEV_PRINT_CODES: 'true' }).sender).toBe('console');
      expect(loadEmailConfig({ ...REAL_TOKEN, DEV_PRINT_CODES: 'yes' }).sender).toBe('console');
      expect(loadEmailConfig({ ...REAL_TOKEN, EMAIL_LOGIN: 'false' }).loginEnabled).toBe(false);
    });

    it('is never allowed in production, and DEV_PRINT_CODES=true is refused there', () => {
      expect(configErrorOf(() => loadAppConfig({ NODE_ENV: 'production', DEV_PRINT_CODES: 'true' })).message).toContain('DEV_PRINT_CODES');
      expect(
        configErrorOf(() => loadOtpConfig({ ...REAL_TOKEN, NODE_ENV: 'production', DEV_PRINT_CODES: 'true', OTP_SECRET: 'x'.repeat(32) })).message,
      ).toContain('refused in production');
    });
  });

  describe('every problem at once', () => {
    it('production with nothing set lists all its problems in one error', () => {
      const env = { NODE_ENV: 'production' };
      const loaders = [() => loadAppConfig(env), () => loadMesiboConfig(env), () => loadOtpConfig(env), () => loadEmailConfig(env)];
      const error = configErrorOf(() => validateAll(loaders));

      expect(error.problems).toEqual([
        expect.stringMatching(/^MESIBO_APP_TOKEN must be set in production/),
        expect.stringMatching(/^OTP_SECRET must be set in production/),
        expect.stringMatching(/^OTP_SENDER=console .* refused in production/),
        expect.stringMatching(/^EMAIL_SENDER=console .* refused in production/),
      ]);
    });

    it('lists bad values and missing ones of one namespace together', () => {
      const error = configErrorOf(() => loadOtpConfig({ NODE_ENV: 'production', OTP_LENGTH: '3', OTP_SENDER: 'webhook' }));
      expect(error.problems).toEqual([
        expect.stringContaining('OTP_LENGTH'),
        expect.stringContaining('OTP_SECRET'),
        expect.stringContaining('OTP_WEBHOOK_URL'),
      ]);
    });

    it('passes through an error that is not a configuration problem', () => {
      const bug = new TypeError('a bug');
      expect(() =>
        validateAll([
          () => {
            throw bug;
          },
        ]),
      ).toThrow(bug);
    });
  });

  describe('.env', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'dotenv-spec-'));
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('is not read under the test runner, so a developer .env cannot change what the tests do', () => {
      const file = join(dir, '.env');
      writeFileSync(file, 'DOTENV_SPEC_MARKER=from-dotenv\n');

      expect(loadDotEnvFile(file, { NODE_ENV: 'test' })).toBe(false);
      expect(loadDotEnvFile(file, { JEST_WORKER_ID: '1' })).toBe(false);
      expect(process.env.DOTENV_SPEC_MARKER).toBeUndefined();

      // Outside the tests it is read (test/config-errors.e2e-spec.ts shows what it then does).
      expect(loadDotEnvFile(file, {})).toBe(true);
    });
  });
});
