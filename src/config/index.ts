import { appConfig } from './app.config';
import { clientConfig } from './client.config';
import { databaseConfig } from './database.config';
import { mesiboConfig } from './mesibo.config';
import { otpConfig } from './otp.config';
import { redisConfig } from './redis.config';

export { appConfig, clientConfig, databaseConfig, mesiboConfig, otpConfig, redisConfig };
export type { AppConfig } from './app.config';
export type { ClientConfig } from './client.config';
export type { DatabaseConfig } from './database.config';
export type { MesiboConfig } from './mesibo.config';
export type { OtpConfig, OtpSenderKind } from './otp.config';
export type { RedisConfig } from './redis.config';
export { ConfigError } from './env';

/** Every namespace, loaded (and validated) once at start-up. */
export const allConfigs = [appConfig, clientConfig, databaseConfig, mesiboConfig, otpConfig, redisConfig];
