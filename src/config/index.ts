import { appConfig } from './app.config';
import { clientConfig } from './client.config';
import { databaseConfig } from './database.config';
import { demoConfig } from './demo.config';
import { emailConfig } from './email.config';
import { mesiboAccountsConfig, mesiboConfig } from './mesibo.config';
import { hooksConfig } from './hooks.config';
import { oidcConfig } from './oidc.config';
import { otpConfig } from './otp.config';
import { passwordConfig } from './password.config';
import { redisConfig } from './redis.config';
import { smsPolicyConfig } from './sms-policy.config';
import { throttleConfig } from './throttle.config';
import { sessionConfig } from './session.config';
import { metricsConfig } from './metrics.config';
import { cleanupConfig } from './cleanup.config';
import { loggingConfig } from './logging.config';
import { testNumbersConfig } from './test-numbers.config';

export { appConfig, clientConfig, databaseConfig, emailConfig, mesiboConfig, oidcConfig, otpConfig, passwordConfig, redisConfig };
export { smsPolicyConfig, throttleConfig };
export { sessionConfig, metricsConfig, cleanupConfig, loggingConfig };
export { mesiboAccountsConfig };
export type { AppConfig } from './app.config';
export type { ClientConfig } from './client.config';
export type { DatabaseConfig } from './database.config';
export type { EmailConfig, EmailSenderKind } from './email.config';
export type { PasswordConfig } from './password.config';
export type { MesiboConfig } from './mesibo.config';
export type { OtpConfig, OtpSenderKind } from './otp.config';
export type { RedisConfig } from './redis.config';
export type { SmsPolicyConfig } from './sms-policy.config';
export type { ThrottleConfig } from './throttle.config';
export type { SessionConfig } from './session.config';
export type { MetricsConfig } from './metrics.config';
export type { CleanupConfig } from './cleanup.config';
export type { LoggingConfig } from './logging.config';
export { ConfigError } from './env';

/** Every namespace, loaded (and validated) once at start-up. */
export const allConfigs = [
  appConfig,
  clientConfig,
  databaseConfig,
  demoConfig,
  emailConfig,
  mesiboConfig,
  mesiboAccountsConfig,
  hooksConfig,
  oidcConfig,
  otpConfig,
  passwordConfig,
  redisConfig,
  smsPolicyConfig,
  throttleConfig,
  sessionConfig,
  metricsConfig,
  cleanupConfig,
  loggingConfig,
  testNumbersConfig,
];
