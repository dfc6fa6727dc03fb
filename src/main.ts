import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { errorMessage } from './common/errors';
import { allConfigs, ConfigError } from './config';
import { loadAppConfig } from './config/app.config';
import { loadDotEnvFile, validateAll } from './config/env';
import { loadMesiboConfig } from './config/mesibo.config';
import { MesiboEndpointOverride } from './mesibo/mesibo.settings';
import { MesiboSimulator, randomAppToken } from './mesibo-simulator/mesibo-simulator';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Bootstrap');
  loadDotEnvFile();
  // Validate every setting of every namespace before anything starts: one line per problem, all at once.
  validateAll(allConfigs);

  // Without an App Token, development runs against the built-in mesibo simulator.
  let mesibo: MesiboEndpointOverride | undefined;
  let simulator: MesiboSimulator | undefined;
  if (loadMesiboConfig().appToken === undefined) {
    const appToken = randomAppToken();
    simulator = await new MesiboSimulator({ appToken }).start();
    mesibo = { apiUrl: simulator.url, appToken };
    logger.warn(
      `MESIBO_APP_TOKEN is not set: using the built-in mesibo simulator at ${simulator.url} (development only; its tokens do not work with real mesibo)`,
    );
  }

  const app = await NestFactory.create(AppModule.register({ mesibo }), { bodyParser: false });
  configureApp(app);
  // On SIGTERM/SIGINT: stop accepting, let requests in flight finish, close pools, exit 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal} received: finishing requests in flight, then stopping`);
      void app
        .close()
        .then(() => simulator?.stop())
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

bootstrap().catch((error: unknown) => {
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
