import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { Clock } from '../common/clock';
import { Metrics } from '../metrics/metrics';
import { AuditTrail } from '../audit/audit-trail';
import { requestClientKey } from '../common/client-key';
import { DomainError, errorMessage, RateLimitedError } from '../common/errors';
import { asDomainError } from '../common/infrastructure-errors';
import { domainFailReply, failReply, LegacyReply } from './legacy-envelope';

/** Every failure of the op API is a 200 with the envelope the apps parse; never a 500 or HTML. */
@Catch()
export class LegacyExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('LegacyApi');

  constructor(
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly audit: AuditTrail,
  ) {}

  catch(thrown: unknown, host: ArgumentsHost): void {
    const exception = asDomainError(thrown);
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const op = legacyOpOf(req);
    let reply: LegacyReply;
    if (exception instanceof DomainError) {
      if (exception !== thrown) this.logger.error(`Database unavailable: ${errorMessage(thrown)}`);
      reply = domainFailReply(op, this.clock.nowMs(), exception);
      // As on the REST surface: clients and proxies that read it can back off.
      if (exception instanceof RateLimitedError) {
        http.getResponse<Response>().setHeader('Retry-After', String(exception.retryAfterSeconds));
        this.metrics.limitRefused(exception.kind);
        void this.audit.record({ type: 'limit.hit', outcome: exception.kind, client: requestClientKey(req) });
      }
      // SPNEGO clients (browsers, curl --negotiate) answer this header whatever the status.
      if (exception.wwwAuthenticate) http.getResponse<Response>().setHeader('WWW-Authenticate', exception.wwwAuthenticate);
    } else {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
      reply = failReply(op, this.clock.nowMs(), 'INTERNAL', 'Something went wrong on the server. Try again.');
    }
    sendLegacy(http.getResponse<Response>(), reply);
  }
}

export function sendLegacy(res: Response, reply: LegacyReply): void {
  res.status(200).type('application/json').send(JSON.stringify(reply));
}

/** The op of the request as the apps expect it echoed: lowercased, or empty when there is none. */
export function legacyOpOf(req: Request): string {
  const body = req.body as unknown;
  const op = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { op?: unknown }).op : undefined;
  const fromQuery = (req.query as { op?: unknown } | undefined)?.op;
  const value = op ?? fromQuery;
  return typeof value === 'string' ? value.trim().toLowerCase() : '';
}
