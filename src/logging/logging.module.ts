import { DynamicModule, Global, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { DestinationStream, Logger } from 'pino';
import { loggingConfig, LoggingConfig } from '../config';
import { createHttpLogger } from './http-logger';
import { createRootLogger } from './root-logger';

const ROOT_LOGGER = Symbol('ROOT_LOGGER');
/** The request-logging middleware; app.setup.ts mounts it before anything else answers. */
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

/**
 * Structured logs (pino, through nestjs-pino): Nest's Logger writes to the application's pino
 * logger, and inside a request to that request's child logger, so every line carries the request id.
 */
@Global()
@Module({})
export class LoggingModule {
  static register(destination?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [ROOT_LOGGER],
          // The request logger is mounted by app.setup.ts ahead of the body parsers (their refusals
          // are logged too); nestjs-pino only makes each request's logger current for its handlers.
          useFactory: (root: Logger) => ({
            pinoHttp: { logger: root },
            useExisting: true,
            forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          }),
        }),
      ],
      providers: [
        { provide: ROOT_LOGGER, inject: [loggingConfig.KEY], useFactory: (config: LoggingConfig) => createRootLogger(config, destination) },
        { provide: HTTP_LOGGER, inject: [ROOT_LOGGER], useFactory: createHttpLogger },
      ],
      exports: [ROOT_LOGGER, HTTP_LOGGER],
    };
  }
}
