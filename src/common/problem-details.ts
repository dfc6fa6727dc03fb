import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { DomainError, DomainErrorCode, errorMessage, InvalidRequestError, RateLimitedError } from './errors';
import { asDomainError } from './infrastructure-errors';
import { Metrics } from '../metrics/metrics';
import { AuditTrail } from '../audit/audit-trail';
import { requestClientKey } from './client-key';

/** HTTP status of each domain error on the REST surface. */
const STATUS: Record<DomainErrorCode, number> = {
  invalid_request: 400,
  invalid_phone: 400,
  phone_not_allowed: 403,
  missing_appid: 400,
  invalid_code: 401,
  invalid_token: 401,
  rate_limited: 429,
  mesibo_refused: 502,
  mesibo_misconfigured: 502,
  mesibo_unavailable: 503,
  otp_delivery_failed: 503,
  service_unavailable: 503,
  invalid_credentials: 401,
  weak_password: 400,
  identity_in_use: 409,
  last_identity: 409,
  identity_removed: 403,
  recent_proof_required: 403,
  not_found: 404,
  provider_unavailable: 503,
  invalid_id_token: 401,
  origin_not_allowed: 403,
  challenge_required: 401,
  negotiate_required: 401,
  login_method_unavailable: 503,
  address_not_allowed: 403,
  account_disabled: 403,
  login_refused: 403,
  login_hook_unavailable: 503,
};

/** The HTTP status a domain error is answered with on the REST surface. */
export function problemStatusOf(code: DomainErrorCode): number {
  return STATUS[code];
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable, machine-readable; clients branch on this, not on the text. */
  code: string;
  errors?: string[];
}

export function problem(
  status: number,
  code: string,
  detail: string,
  errors?: string[],
  extensions: Readonly<Record<string, string>> = {},
): ProblemDetails {
  return {
    ...extensions,
    type: 'about:blank',
    title: (HttpStatus[status] ?? 'Error').toString().replace(/_/g, ' ').toLowerCase().replace(/^./, (c) => c.toUpperCase()),
    status,
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function sendProblem(res: Response, body: ProblemDetails): void {
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}

/**
 * The REST surface's error contract: RFC 9457 problem+json with a stable `code`. Internal causes
 * are logged, never sent.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  constructor(
    private readonly metrics: Metrics,
    private readonly audit: AuditTrail,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    sendProblem(res, this.toProblem(exception, res, http.getRequest<Request>()));
  }

  private toProblem(thrown: unknown, res: Response, req: Request): ProblemDetails {
    const exception = asDomainError(thrown);
    if (exception instanceof DomainError) {
      if (exception !== thrown) this.logger.error(`Database unavailable: ${errorMessage(thrown)}`);
      const status = STATUS[exception.code];
      if (exception instanceof RateLimitedError) {
        res.setHeader('Retry-After', String(exception.retryAfterSeconds));
        this.metrics.limitRefused(exception.kind);
        void this.audit.record({ type: 'limit.hit', outcome: exception.kind, client: requestClientKey(req) });
      }
      if (status === 401) res.setHeader('WWW-Authenticate', exception.wwwAuthenticate ?? 'Bearer');
      const errors = exception instanceof InvalidRequestError ? exception.details : undefined;
      return problem(status, exception.code, exception.message, errors, exception.replyFields);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = (HttpStatus[status] ?? 'error').toString().toLowerCase();
      return problem(status, code, exception.message);
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return problem(500, 'internal_error', 'Something went wrong on our side.');
  }
}
