import { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from 'pino';
import { HttpLogger, pinoHttp } from 'pino-http';
import { routeOf } from '../common/request-route';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A request id a client or proxy may choose: a UUID, a trace id; nothing that could break a log line. */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Probes and scrapes come every few seconds: their lines are for debugging, not for the log. */
const QUIET_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * One line per request, when it ends: method, route pattern, status, duration and client address;
 * never a body, a header or a query string. Every line logged while a request is served carries
 * its id (`reqId`), taken from `X-Request-Id` when well-formed, else made, and sent back in that header.
 */
export function createHttpLogger(root: Logger): HttpLogger {
  return pinoHttp({
    logger: root,
    quietReqLogger: true,
    quietResLogger: true,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    customLogLevel: (req, res, error) => {
      if (error !== undefined || res.statusCode >= 500) return 'error';
      return QUIET_ROUTES.has(routeOf(req as Request)) ? 'debug' : 'info';
    },
    customSuccessMessage: (req, res, ms) => requestSummary(req as Request, res as Response, ms),
    customErrorMessage: (req, res) => requestSummary(req as Request, res as Response),
    customSuccessObject: (req, res, fields: { responseTime: number }) => requestFields(req as Request, res as Response, fields.responseTime),
    customErrorObject: (req, res, _error, fields: { responseTime: number }) => requestFields(req as Request, res as Response, fields.responseTime),
  });
}

function requestSummary(req: Request, res: Response, ms?: number): string {
  return `${req.method} ${routeOf(req)} ${res.statusCode}${ms === undefined ? '' : ` ${ms}ms`}`;
}

function requestFields(req: Request, res: Response, ms: number): Record<string, unknown> {
  return { method: req.method, route: routeOf(req), status: res.statusCode, ms, ip: req.ip };
}
