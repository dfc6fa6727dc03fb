import { DynamicModule, Global, Module } from '@nestjs/common';
import { Logger as NestPinoLogger, Params, PARAMS_PROVIDER_TOKEN, PinoLogger } from 'nestjs-pino';
import { DestinationStream, Logger } from 'pino';
import { loggingConfig, LoggingConfig } from '../config';
import { createHttpLogger } from './http-logger';
import { createRootLogger } from './root-logger';

const ROOT_LOGGER = Symbol('ROOT_LOGGER');
/** The request-logging middleware; app.setup.ts mounts it before anything else answers. */
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

/**
 * Structured logs (pino, through nestjs-pino's Logger): Nest's Logger writes to the application's
 * pino logger, and inside a request to that request's child logger, so every line carries the
 * request id. The request middleware (http-logger.ts) makes the child current; nestjs-pino's own
 * middleware is not used, so its LoggerModule is not either: its Logger and PinoLogger are
 * provided here, over our root logger.
 */
@Global()
@Module({})
export class LoggingModule {
  static register(destination?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      providers: [
        { provide: ROOT_LOGGER, inject: [loggingConfig.KEY], useFactory: (config: LoggingConfig) => createRootLogger(config, destination) },
        { provide: HTTP_LOGGER, inject: [ROOT_LOGGER], useFactory: createHttpLogger },
        { provide: PARAMS_PROVIDER_TOKEN, inject: [ROOT_LOGGER], useFactory: (root: Logger): Params => ({ pinoHttp: { logger: root } }) },
        PinoLogger,
        NestPinoLogger,
      ],
      exports: [ROOT_LOGGER, HTTP_LOGGER, NestPinoLogger],
    };
  }
}
