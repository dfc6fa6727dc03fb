import { randomBytes } from 'node:crypto';

/** `test`: the limits below are raised; `production`: every limit keeps its default. */
export type LimitsProfile = 'test' | 'production';

/**
 * Limits that a test suite runs into although it does nothing wrong: every request comes from
 * 127.0.0.1, the same few numbers get code after code, and the whole suite runs within a minute.
 * Rules a test may want to see at work stay as they are: the tries per code (`OTP_MAX_ATTEMPTS`),
 * code expiry, the SMS number-type and country rules.
 */
export const RAISED_LIMITS: Readonly<Record<string, string>> = {
  THROTTLE_LIMIT: '1000000',
  OTP_RESEND_COOLDOWN_SECONDS: '0',
  OTP_MAX_SENDS_PER_WINDOW: '1000000',
  OTP_MAX_SENDS_PER_IP_PER_WINDOW: '1000000',
  // A number's own budget of wrong codes is at most 100 (NIST SP 800-63B); one client may spend all of it.
  OTP_MAX_FAILURES_PER_CLIENT_PER_WINDOW: '100',
  PASSWORD_MAX_FAILURES_PER_CLIENT_PER_WINDOW: '100',
  SMS_MAX_PER_HOUR: '1000000',
  SMS_MAX_PER_COUNTRY_PER_HOUR: '1000000',
};

export interface KitEndpoints {
  databaseUrl: string;
  mesiboApiUrl: string;
  mesiboAppToken: string;
  /** Where the codes go (the inbox's settings). */
  inbox: Readonly<Record<string, string>>;
}

/**
 * Every setting the kit gives a backend: its own database, the kit's mesibo simulator and inbox,
 * test-friendly timings, the raised limits unless `limits` is `production`; `overrides` (the
 * caller's `env`) win over all of them.
 */
export function backendSettings(endpoints: KitEndpoints, limits: LimitsProfile, overrides: Readonly<Record<string, string>>): Record<string, string> {
  return {
    // Never production: its checks refuse what a test needs (and NODE_ENV=test skips .env files).
    NODE_ENV: 'test',
    DATABASE_URL: endpoints.databaseUrl,
    MESIBO_API_URL: endpoints.mesiboApiUrl,
    MESIBO_APP_TOKEN: endpoints.mesiboAppToken,
    // A mesibo fault ends a login within about two seconds, inside a test runner's default timeout.
    MESIBO_TIMEOUT_MS: '1000',
    MESIBO_RETRIES: '1',
    OTP_SECRET: randomBytes(32).toString('base64url'),
    ...endpoints.inbox,
    // Shared counters stay in this backend's own database, whatever the suite's environment says.
    REDIS_URL: '',
    LOG_LEVEL: 'error',
    ...(limits === 'test' ? RAISED_LIMITS : {}),
    ...overrides,
  };
}
