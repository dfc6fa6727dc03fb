import { availableParallelism } from 'node:os';
import { loadAppConfig } from './app.config';
import { loadThrottleConfig } from './throttle.config';
import { loadClientConfig } from './client.config';
import { loadDatabaseConfig } from './database.config';
import { ConfigError } from './env';
import { loadMesiboConfig } from './mesibo.config';
import { loadOtpConfig } from './otp.config';

const SECRET = 'an-otp-secret-of-at-least-32-characters!';
const PRODUCTION_OTP = { NODE_ENV: 'production', OTP_SECRET: SECRET, OTP_SENDER: 'webhook', OTP_WEBHOOK_URL: 'https://sms.example.com/send' };

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

describe('configuration', () => {
  describe('defaults on an empty environment', () => {
    it('app: port 3000, all interfaces, any CORS origin, not production', () => {
      expect(loadAppConfig({})).toMatchObject({
        production: false,
        port: 3000,
        host: '0.0.0.0',
        corsOrigins: true,
        corsEnforceOnSends: true,
        bodyLimit: '100kb',
        phoneDefaultRegion: undefined,
        trustProxy: false,
        apiDocs: true,
        shutdownDelayMs: 0,
      });
    });

    it.each([
      ['true', true],
      ['2', 2],
      ['loopback, 10.0.0.0/8', ['loopback', '10.0.0.0/8']],
    ])('app: TRUST_PROXY=%p', (value, expected) => {
      expect(loadAppConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
    });

    it('mesibo: the public API, a one-year token, no App Token outside production', () => {
      expect(loadMesiboConfig({})).toEqual({
        apiUrl: 'https://api.mesibo.com/backend/',
        appToken: undefined,
        tokenExpiryMinutes: 525600,
        timeoutMs: 5000,
        retries: 2,
        tokenRevokeOp: 'usertokendel',
      });
    });

    it('otp: 6 digits for 300 s, 5 tries, 30 s cooldown, 10 failures per client and 100 per number an hour, console sender, random secret', () => {
      const config = loadOtpConfig({});

      expect(config).toMatchObject({
        ephemeralSecret: true,
        length: 6,
        ttlSeconds: 300,
        maxAttempts: 5,
        resendCooldownSeconds: 30,
        maxFailuresPerWindow: 100,
        maxFailuresPerClientPerWindow: 10,
        maxFailureBackoffSeconds: 86400,
        failureWindowSeconds: 3600,
        sender: 'console',
        webhook: { url: undefined, authorization: undefined, timeoutMs: 5000 },
        messageTemplate: 'Your verification code is {code}',
      });
      expect(config.secret.length).toBeGreaterThanOrEqual(32);
      expect(loadOtpConfig({}).secret.equals(config.secret)).toBe(false);
    });

    it('database: sqlite:data/backend.db, migrated at start-up, 5 s per statement, 3 s to get a connection', () => {
      expect(loadDatabaseConfig({})).toMatchObject({
        url: 'sqlite:data/backend.db',
        engine: 'sqlite',
        migrateOnStart: true,
        statementTimeoutMs: 5000,
        acquireTimeoutMs: 3000,
      });
    });

    it('client: the mesibo file URLs and share texts', () => {
      const config = loadClientConfig({});

      expect(config.urls).toEqual({ upload: 'https://s3.mesibo.com/api.php', download: 'https://appimages.mesibo.com/' });
      expect(config.invite).toBe(config.share.text);
      expect(config.share.text).toContain('https://mesibo.com/messenger');
    });
  });

  describe('reading values', () => {
    it('converts numbers and keeps strings', () => {
      expect(loadAppConfig({ PORT: '8080', HOST: '127.0.0.1', PHONE_DEFAULT_REGION: 'US' })).toMatchObject({
        port: 8080,
        host: '127.0.0.1',
        phoneDefaultRegion: 'US',
      });
      expect(loadMesiboConfig({ MESIBO_TOKEN_EXPIRY_MINUTES: '60', MESIBO_RETRIES: '0', MESIBO_APP_TOKEN: 'abcdefgh12' })).toMatchObject({
        tokenExpiryMinutes: 60,
        retries: 0,
        appToken: 'abcdefgh12',
      });
    });

    it('shares the cores among the workers for password hashes, unless told', () => {
      const cores = availableParallelism();
      expect(loadThrottleConfig({}).passwordHashConcurrency).toBe(cores);
      expect(loadThrottleConfig({ CLUSTER_WORKERS: 'auto' }).passwordHashConcurrency).toBe(1);
      expect(loadThrottleConfig({ CLUSTER_WORKERS: String(cores * 4) }).passwordHashConcurrency).toBe(1);
      expect(loadThrottleConfig({ CLUSTER_WORKERS: 'auto', PASSWORD_HASH_CONCURRENCY: '3' })).toMatchObject({
        passwordHashConcurrency: 3,
        passwordHashQueueLimit: 48,
      });
    });

    it('uses OTP_SECRET as the key when set', () => {
      const config = loadOtpConfig({ OTP_SECRET: SECRET });

      expect(config.secret.toString('utf8')).toBe(SECRET);
      expect(config.ephemeralSecret).toBe(false);
    });

    it('tells the database engine from DATABASE_URL', () => {
      expect(loadDatabaseConfig({ DATABASE_URL: 'sqlite::memory:' }).engine).toBe('sqlite');
      expect(loadDatabaseConfig({ DATABASE_URL: 'postgres://app@db:5432/backend' }).engine).toBe('postgres');
      expect(loadDatabaseConfig({ DATABASE_URL: 'postgresql://app@db:5432/backend' }).engine).toBe('postgres');
      expect(loadDatabaseConfig({ DATABASE_URL: 'mysql://app@db:3306/backend' }).engine).toBe('mysql');
      expect(loadDatabaseConfig({ DATABASE_URL: 'mariadb://app@db:3306/backend' }).engine).toBe('mysql');
    });

    it('turns off start-up migrations with DB_MIGRATE=false', () => {
      expect(loadDatabaseConfig({ DB_MIGRATE: 'false' }).migrateOnStart).toBe(false);
      expect(loadDatabaseConfig({ DB_MIGRATE: 'true' }).migrateOnStart).toBe(true);
    });

    it('counts empty variables as unset', () => {
      expect(loadAppConfig({ PORT: '', HOST: '', CORS_ORIGINS: '' })).toMatchObject({ port: 3000, host: '0.0.0.0', corsOrigins: true });
      expect(loadOtpConfig({ OTP_LENGTH: '', OTP_SENDER: '', OTP_SECRET: '' })).toMatchObject({ length: 6, sender: 'console', ephemeralSecret: true });
      expect(loadDatabaseConfig({ DATABASE_URL: '' }).url).toBe('sqlite:data/backend.db');
      expect(loadMesiboConfig({ MESIBO_APP_TOKEN: '' }).appToken).toBeUndefined();
    });

    it('counts an empty MESIBO_APP_TOKEN as missing in production', () => {
      expect(configErrorOf(() => loadMesiboConfig({ NODE_ENV: 'production', MESIBO_APP_TOKEN: '' })).message).toContain('MESIBO_APP_TOKEN');
    });
  });

  describe('bad values are refused, naming the variable', () => {
    it.each<[string, () => unknown, string]>([
      ['PORT=abc', () => loadAppConfig({ PORT: 'abc' }), 'PORT'],
      ['PORT=70000', () => loadAppConfig({ PORT: '70000' }), 'PORT'],
      ['NODE_ENV=staging', () => loadAppConfig({ NODE_ENV: 'staging' }), 'NODE_ENV'],
      ['BODY_LIMIT=lots', () => loadAppConfig({ BODY_LIMIT: 'lots' }), 'BODY_LIMIT'],
      ['PHONE_DEFAULT_REGION=usa', () => loadAppConfig({ PHONE_DEFAULT_REGION: 'usa' }), 'PHONE_DEFAULT_REGION'],
      ['OTP_TTL_SECONDS=5', () => loadOtpConfig({ OTP_TTL_SECONDS: '5' }), 'OTP_TTL_SECONDS'],
      ['OTP_LENGTH=3', () => loadOtpConfig({ OTP_LENGTH: '3' }), 'OTP_LENGTH'],
      ['OTP_MAX_ATTEMPTS=1.5', () => loadOtpConfig({ OTP_MAX_ATTEMPTS: '1.5' }), 'OTP_MAX_ATTEMPTS'],
      ['OTP_SECRET too short', () => loadOtpConfig({ OTP_SECRET: 'short' }), 'OTP_SECRET'],
      ['OTP_SENDER=sms', () => loadOtpConfig({ OTP_SENDER: 'sms' }), 'OTP_SENDER'],
      ['OTP_MESSAGE without {code}', () => loadOtpConfig({ OTP_MESSAGE: 'Your code' }), 'OTP_MESSAGE'],
      ['MESIBO_API_URL=not a url', () => loadMesiboConfig({ MESIBO_API_URL: 'not a url' }), 'MESIBO_API_URL'],
      ['MESIBO_API_URL=ftp://…', () => loadMesiboConfig({ MESIBO_API_URL: 'ftp://api.mesibo.com/backend/' }), 'MESIBO_API_URL'],
      ['MESIBO_APP_TOKEN too short', () => loadMesiboConfig({ MESIBO_APP_TOKEN: 'abc' }), 'MESIBO_APP_TOKEN'],
      ['MESIBO_TIMEOUT_MS=10', () => loadMesiboConfig({ MESIBO_TIMEOUT_MS: '10' }), 'MESIBO_TIMEOUT_MS'],
      ['MESIBO_RETRIES=-1', () => loadMesiboConfig({ MESIBO_RETRIES: '-1' }), 'MESIBO_RETRIES'],
      ['DATABASE_URL=data/backend.db', () => loadDatabaseConfig({ DATABASE_URL: 'data/backend.db' }), 'DATABASE_URL'],
      ['DATABASE_URL=mongodb://…', () => loadDatabaseConfig({ DATABASE_URL: 'mongodb://localhost/db' }), 'DATABASE_URL'],
      ['DB_MIGRATE=maybe', () => loadDatabaseConfig({ DB_MIGRATE: 'maybe' }), 'DB_MIGRATE'],
      ['APP_UPLOAD_URL=not a url', () => loadClientConfig({ APP_UPLOAD_URL: 'not a url' }), 'APP_UPLOAD_URL'],
    ])('%s', (_label, load, variable) => {
      expect(configErrorOf(load).message).toContain(variable);
    });
  });

  describe('production', () => {
    it('requires MESIBO_APP_TOKEN', () => {
      expect(configErrorOf(() => loadMesiboConfig({ NODE_ENV: 'production' })).message).toContain('MESIBO_APP_TOKEN');
      expect(loadMesiboConfig({ NODE_ENV: 'production', MESIBO_APP_TOKEN: 'abcdefgh12' }).appToken).toBe('abcdefgh12');
    });

    it('requires OTP_SECRET', () => {
      expect(configErrorOf(() => loadOtpConfig({ ...PRODUCTION_OTP, OTP_SECRET: undefined })).message).toContain('OTP_SECRET');
      expect(configErrorOf(() => loadOtpConfig({ ...PRODUCTION_OTP, OTP_SECRET: '' })).message).toContain('OTP_SECRET');
    });

    it('refuses OTP_SENDER=console, also when it is the default', () => {
      expect(configErrorOf(() => loadOtpConfig({ ...PRODUCTION_OTP, OTP_SENDER: 'console' })).message).toContain('OTP_SENDER');
      expect(configErrorOf(() => loadOtpConfig({ NODE_ENV: 'production', OTP_SECRET: SECRET })).message).toContain('OTP_SENDER');
    });

    it('accepts a webhook sender with a secret', () => {
      expect(loadOtpConfig(PRODUCTION_OTP)).toMatchObject({
        sender: 'webhook',
        webhook: { url: 'https://sms.example.com/send' },
        ephemeralSecret: false,
      });
    });

    it('is production for the app config', () => {
      expect(loadAppConfig({ NODE_ENV: 'production' }).production).toBe(true);
    });
  });

  it('requires OTP_WEBHOOK_URL with the webhook sender', () => {
    expect(configErrorOf(() => loadOtpConfig({ OTP_SENDER: 'webhook' })).message).toContain('OTP_WEBHOOK_URL');
    expect(configErrorOf(() => loadOtpConfig({ OTP_SENDER: 'webhook', OTP_WEBHOOK_URL: '' })).message).toContain('OTP_WEBHOOK_URL');
  });

  describe('CORS_ORIGINS', () => {
    it('is a comma-separated list, trimmed, empty entries dropped', () => {
      expect(loadAppConfig({ CORS_ORIGINS: ' https://a.example.com ,https://b.example.com,, ' }).corsOrigins).toEqual([
        'https://a.example.com',
        'https://b.example.com',
      ]);
    });

    it('allows any origin when the list holds *', () => {
      expect(loadAppConfig({ NODE_ENV: 'production', CORS_ORIGINS: 'https://a.example.com,*' }).corsOrigins).toBe(true);
    });

    it('allows no origin by default in production', () => {
      expect(loadAppConfig({ NODE_ENV: 'production' }).corsOrigins).toEqual([]);
      expect(loadAppConfig({ NODE_ENV: 'production', CORS_ORIGINS: '' }).corsOrigins).toEqual([]);
    });

    it('keeps the listed origins in production', () => {
      expect(loadAppConfig({ NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example.com' }).corsOrigins).toEqual([
        'https://app.example.com',
      ]);
    });
  });

  describe('CORS_ENFORCE_ON_SENDS', () => {
    it('is on unless turned off, in production and elsewhere', () => {
      expect(loadAppConfig({ NODE_ENV: 'production' }).corsEnforceOnSends).toBe(true);
      expect(loadAppConfig({}).corsEnforceOnSends).toBe(true);
      expect(loadAppConfig({ CORS_ENFORCE_ON_SENDS: 'false' }).corsEnforceOnSends).toBe(false);
    });

    it('refuses a value that is not a boolean, naming the variable', () => {
      expect(() => loadAppConfig({ CORS_ENFORCE_ON_SENDS: 'maybe' })).toThrow(/CORS_ENFORCE_ON_SENDS/);
    });
  });
});
