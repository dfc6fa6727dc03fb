import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { loadAppConfig } from '../config/app.config';
import { DatabaseConfig, loadDatabaseConfig } from '../config/database.config';
import { loadMetricsConfig } from '../config/metrics.config';
import { loadOtpConfig } from '../config/otp.config';
import { openDatabase, prepareSchema } from '../database/connection';
import { startBuiltInMesiboIfNoAppToken } from './built-in-mesibo';
import { superviseWorkers } from './worker-supervisor';

/** Beyond SHUTDOWN_DELAY_MS, how long the workers get to finish their requests after SIGTERM. */
const SHUTDOWN_GRACE_MS = 30_000;

/**
 * The primary of CLUSTER_WORKERS > 1, after the configuration was validated: it does once what
 * every instance would otherwise do at start (migrations, the development simulator, a random
 * OTP key), forks the workers, which run the Nest application and share the port, and watches over
 * them. It never loads the application itself. Returns the process's exit code.
 */
export async function runClusterPrimary(workers: number): Promise<number> {
  const logger = new Logger('Cluster');
  await prepareSchemaOnce(loadDatabaseConfig(), logger);
  const mesibo = await startBuiltInMesiboIfNoAppToken(logger);
  const env = {
    ...sharedOtpSecret(logger),
    // Applied (or checked) above: a worker only checks that nothing is pending.
    DB_MIGRATE: 'false',
  };
  const metrics = await serveWorkersMetrics(logger);
  logger.log(`Starting ${workers} workers`);
  const exitCode = await superviseWorkers({
    workers,
    env,
    startup: { mesibo: mesibo?.endpoint },
    shutdownTimeoutMs: loadAppConfig().shutdownDelayMs + SHUTDOWN_GRACE_MS,
  });
  await metrics?.close();
  await mesibo?.stop();
  logger.log(`Stopped (exit code ${exitCode})`);
  return exitCode;
}

/** Applies the pending migrations once, before any worker starts; or, with DB_MIGRATE=false, refuses a schema that lacks some. */
async function prepareSchemaOnce(config: DatabaseConfig, logger: Logger): Promise<void> {
  // No statement timeout: a migration may rewrite a large table.
  const db = openDatabase(config.url, { poolMax: 1, acquireTimeoutMs: config.acquireTimeoutMs });
  try {
    const applied = await prepareSchema(db, config.migrateOnStart);
    if (applied.length > 0) logger.log(`Applied migrations: ${applied.join(', ')}`);
  } finally {
    await db.destroy();
  }
}

/** With METRICS_PORT, the primary serves the workers' metrics added up (each worker answers for itself on PORT). */
async function serveWorkersMetrics(logger: Logger): Promise<{ close(): Promise<void> } | undefined> {
  const config = loadMetricsConfig();
  if (config.port === undefined) return undefined;
  // Loaded only here: a primary without a metrics port never loads prom-client.
  const { AggregatorRegistry } = await import('prom-client');
  const { startMetricsServer } = await import('../metrics/metrics-server');
  const aggregator = new AggregatorRegistry();
  const server = await startMetricsServer({
    ...config,
    port: config.port,
    collect: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
  });
  logger.log(`Metrics of all workers on port ${server.port}`);
  return server;
}

/**
 * Without OTP_SECRET every process would draw a key of its own, and a code sent by one worker
 * would fail on the others: the workers get one random key, drawn here.
 */
function sharedOtpSecret(logger: Logger): { OTP_SECRET?: string } {
  if (!loadOtpConfig().ephemeralSecret) return {};
  logger.warn('OTP_SECRET is not set: the workers share a random key, so pending codes die on restart');
  return { OTP_SECRET: randomBytes(32).toString('base64url') };
}
