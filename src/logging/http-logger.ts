import { NextFunction, Request, RequestHandler, Response } from 'express';
import { storage, Store } from 'nestjs-pino/storage';
import { randomUUID } from 'node:crypto';
import { Level, Logger } from 'pino';
import { routeOf } from '../common/request-route';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A request id a client or proxy may choose: a UUID, a trace id; nothing that could break a log line. */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Probes and scrapes come every few seconds: their lines are for debugging, not for the log. */
const QUIET_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * One line per request, when it ends: method, route pattern, status, duration and client address;
 * never a body, a header or a query string. Every line logged while a request is served carries
 * its id (`reqId`), taken from `X-Request-Id` when well-formed, else made, and sent back in that header:
 * the request's child logger is made current for everything that runs for it (nestjs-pino's store,
 * which its Logger reads).
 *
 * Written here rather than with pino-http, which also builds a logger bound to the whole serialized
 * request for every request, used or not: that doubled the cost of logging a login.
 */
export function createHttpLogger(root: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader(REQUEST_ID_HEADER, id);
    const log = root.child({ reqId: id });
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      const status = res.statusCode;
      // A connection closed before the answer was sent is an error too.
      const level: Level = status >= 500 || !res.writableFinished ? 'error' : QUIET_ROUTES.has(routeOf(req)) ? 'debug' : 'info';
      if (!log.isLevelEnabled(level)) return;
      const ms = Math.round(performance.now() - started);
      const route = routeOf(req);
      log[level]({ method: req.method, route, status, ms, ip: req.ip }, `${req.method} ${route} ${status} ${ms}ms`);
    };
    res.once('finish', end);
    res.once('close', end);
    storage.run(new Store(log), next);
  };
}
