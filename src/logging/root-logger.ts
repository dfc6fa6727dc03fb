import { LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import pino, { DestinationStream, Logger } from 'pino';
import pretty from 'pino-pretty';
import { LoggingConfig } from '../config/logging.config';

/**
 * Field names whose values are secrets, wherever a log call passes an object (our own log lines
 * are strings that never contain one; this is the net under them).
 */
const SECRET_FIELDS = ['password', 'newPassword', 'otp', 'token', 'appToken', 'secret', 'authorization', 'cookie'];

/** Where a logged object carries them: an error's fields, a request's or response's headers, a call's options. */
const OBJECTS_WITH_SECRETS = ['err', 'error', 'req.headers', 'res.headers', 'headers', 'body', 'options', 'config'];

export const REDACTED = '[redacted]';

/**
 * The one pino logger of an application: every log line and every request line goes through it.
 * `destination` replaces the standard output (tests capture the lines there).
 */
export function createRootLogger(config: LoggingConfig, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      // Named places, not `*.` wildcards: a wildcard walks every key of every line, a cost each request paid.
      paths: SECRET_FIELDS.flatMap((field) => [field, ...OBJECTS_WITH_SECRETS.map((object) => `${object}.${field}`)]),
      censor: REDACTED,
    },
  };
  // Synchronous, one write per line: measured under load, handing each line to a libuv thread
  // (sync: false) cost more CPU per login than writing it at once.
  if (config.format === 'json') return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(
    options,
    pretty({
      destination: destination ?? 1,
      sync: true,
      colorize: config.colour,
      translateTime: 'SYS:HH:MM:ss.l',
      // The pid stays: it tells a cluster's processes apart.
      ignore: 'hostname,context,reqId,method,route,status,ms,ip',
      messageFormat: '{if context}[{context}] {end}{msg}{if reqId}  (request {reqId}){end}',
    }),
  );
}

/**
 * Nest's Logger, writing through a root logger before any application exists (start-up, the
 * cluster's primary): the same format and level as the application's own lines.
 */
export function processLogger(config: LoggingConfig): LoggerService {
  const pinoHttp = { logger: createRootLogger(config) };
  return new NestPinoLogger(new PinoLogger({ pinoHttp }), { pinoHttp });
}
