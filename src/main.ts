import { Logger } from '@nestjs/common';
import cluster from 'node:cluster';
import { startBuiltInMesiboIfNoAppToken } from './cluster/built-in-mesibo';
import { startupFromPrimary, WorkerStartup } from './cluster/worker-startup';
import { errorMessage } from './common/errors';
import { allConfigs, ConfigError } from './config';
import { loadAppConfig } from './config/app.config';
import { loadLoggingConfig } from './config/logging.config';
import { processLogger } from './logging/root-logger';
import { loadDotEnvFile, validateAll } from './config/env';
import { LOGIN_METHOD_SETTINGS } from './login-methods';

const logger = new Logger('Bootstrap');

async function main(): Promise<void> {
  loadDotEnvFile();
  // Validate every setting of every namespace before anything starts: one line per problem, all at once.
  validateAll([...allConfigs, ...LOGIN_METHOD_SETTINGS]);
  Logger.overrideLogger(processLogger(loadLoggingConfig()));

  const { clusterWorkers } = loadAppConfig();
  if (clusterWorkers > 1) {
    // A worker: the primary has migrated the database and may run the simulator for all workers.
    if (cluster.isWorker) return serve(await startupFromPrimary());
    // The primary only forks and watches the workers; it loads none of the application.
    const { runClusterPrimary } = await import('./cluster/cluster-primary');
    process.exit(await runClusterPrimary(clusterWorkers));
  }

  const mesibo = await startBuiltInMesiboIfNoAppToken(logger);
  await serve({ mesibo: mesibo?.endpoint }, () => mesibo?.stop());
}

/** Runs the Nest application on the configured port until SIGTERM/SIGINT. */
async function serve(startup: WorkerStartup, afterClose?: () => Promise<void> | undefined): Promise<void> {
  // Loaded here, not at the top: a cluster's primary never needs them.
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('./app.module');
  const { configureApp } = await import('./app.setup');

  const app = await NestFactory.create(AppModule.register({ mesibo: startup.mesibo }), { bodyParser: false, bufferLogs: true });
  configureApp(app);
  // On SIGTERM/SIGINT: stop accepting, let requests in flight finish, close pools, exit 0. Once:
  // Ctrl-C reaches a worker both from the terminal and from its primary.
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.log(`${signal} received: finishing requests in flight, then stopping`);
      void app
        .close()
        .then(() => afterClose?.())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error(`Shutdown failed: ${errorMessage(error)}`);
            process.exit(1);
          },
        );
    });
  }
  const { port, host } = loadAppConfig();
  await app.listen(port, host);
  logger.log(`Listening on ${await app.getUrl()}`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(describeConfigError(error));
  } else {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});

/** One line per problem, each naming its variable; no stack trace. */
function describeConfigError(error: ConfigError): string {
  if (error.problems.length === 1) return `Invalid configuration: ${error.problems[0]}\n`;
  return `Invalid configuration (${error.problems.length} problems):\n${error.problems.map((problem) => `  ${problem}\n`).join('')}`;
}
