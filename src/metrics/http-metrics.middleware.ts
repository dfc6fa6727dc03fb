import { Injectable, NestMiddleware } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { routeOf } from '../common/request-route';
import { Metrics } from './metrics';

/**
 * Times every request, labelled by the route's pattern (`/v1/auth/:method/login`), never by its
 * path: paths are chosen by clients and would make the number of series unbounded.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: Metrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.httpRequest(req.method, routeOf(req), res.statusCode, seconds);
    });
    next();
  }
}
