import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { allConfigs, ConfigError } from './config';
import { loadAppConfig } from './config/app.config';
import { loadDotEnvFile } from './config/env';
import { loadMesiboConfig } from './config/mesibo.config';
import { MesiboEndpointOverride } from './mesibo/mesibo.settings';
import { MesiboSimulator, randomAppToken } from './mesibo-simulator/mesibo-simulator';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Bootstrap');
  loadDotEnvFile();
  // Validate every setting before anything starts, so a bad one is one clear line.
  for (const load of allConfigs) load();

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
  app.enableShutdownHooks();
  if (simulator) {
    const running = simulator;
    process.once('beforeExit', () => void running.stop());
  }
  const { port, host } = loadAppConfig();
  await app.listen(port, host);
  logger.log(`Listening on http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`);
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
