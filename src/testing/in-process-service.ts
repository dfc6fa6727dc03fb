import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { __resetOutOfContextForTests as resetLoggerOutsideRequests } from 'nestjs-pino/PinoLogger';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppModule } from '../app.module';
import { configureApp } from '../app.setup';
import { Clock } from '../common/clock';
import { withEnvironment } from '../config/env';

/** A running service: its base URL and how to stop it. */
export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

/**
 * The service in this process, as main.ts builds it (AppModule, configureApp), on a free loopback
 * port, reading time from `clock`. Migrations run as the service starts.
 */
export async function startInProcessService(settings: Readonly<Record<string, string>>, clock: Clock): Promise<RunningService> {
  const app = await withEnvironment(settings, async () => {
    // nestjs-pino keeps one logger per process for lines written outside a request, made by the
    // first application: a backend started after another one gets its own (its LOG_LEVEL).
    resetLoggerOutsideRequests();
    // abortOnError: a bad setting must reject here, not end the test runner's process. Until
    // configureApp hands Nest this app's logger, Nest's logger is off: the one a previous backend
    // left behind cannot write any more, and a failed start says why in its rejection.
    const created = await NestFactory.create(AppModule.register({ clock }), { bodyParser: false, bufferLogs: true, abortOnError: false, logger: false });
    try {
      configureApp(created);
      await created.listen(0, '127.0.0.1');
      return created;
    } catch (error) {
      await created.close();
      throw error;
    }
  });
  return { url: `http://127.0.0.1:${portOf(app)}`, stop: () => app.close() };
}

function portOf(app: INestApplication): number {
  return ((app.getHttpServer() as Server).address() as AddressInfo).port;
}
