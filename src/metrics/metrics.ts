import { Injectable, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PoolUsage } from '../database/pool-usage';
import { DomainError } from '../common/errors';

/** A failure's label: the domain error's stable code, or `error` for anything unexpected. */
export function failureOutcome(error: unknown): string {
  return error instanceof DomainError ? error.code : 'error';
}

/**
 * Label values come from our own code (route patterns, method names, error codes), never from
 * input, so the number of series stays bounded.
 *
 * The service's Prometheus metrics, in a registry of its own (so two apps in one process, as in
 * the tests, never share counters). Services record what happened; `GET /metrics` exposes it.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  private readonly logins = new Counter({
    name: 'logins_total',
    help: 'Login attempts by method and outcome (success, or the error code of the refusal)',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly codes = new Counter({
    name: 'codes_sent_total',
    help: 'One-time codes requested, by channel and outcome (sent, rate_limited, failed)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly limitRefusals = new Counter({
    name: 'limit_refusals_total',
    help: 'Requests refused by a limit, by its kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  private readonly mesiboCalls = new Histogram({
    name: 'mesibo_request_duration_seconds',
    help: 'Calls to the mesibo backend API by op and outcome (ok, refused, unavailable), retries included',
    labelNames: ['op', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(@Optional() poolUsage?: PoolUsage) {
    collectDefaultMetrics({ register: this.registry });
    if (poolUsage) this.watchPool(poolUsage);
  }

  /** Read when scraped: connections in use, callers waiting for one, and the pool's size. */
  private watchPool(usage: PoolUsage): void {
    const gauges = [
      { name: 'db_pool_connections_in_use', help: 'Database connections handed to a request and not yet given back', read: () => usage.inUse },
      { name: 'db_pool_waiting_requests', help: 'Requests waiting for a database connection', read: () => usage.waiting },
      { name: 'db_pool_max_connections', help: 'Size of the database connection pool (DB_POOL_MAX; 1 on SQLite)', read: () => usage.max },
    ];
    for (const { name, help, read } of gauges) {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    }
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  /** `outcome`: `success`, or the code of the error that refused the login (see failureOutcome). */
  login(method: string, outcome: string): void {
    this.logins.inc({ method, outcome });
  }

  codeRequested(channel: string, outcome: 'sent' | 'test-number' | 'rate_limited' | 'failed'): void {
    this.codes.inc({ channel, outcome });
  }

  limitRefused(kind: string): void {
    this.limitRefusals.inc({ kind });
  }

  mesiboCall(op: string, outcome: 'ok' | 'refused' | 'unavailable', seconds: number): void {
    this.mesiboCalls.observe({ op, outcome }, seconds);
  }
}
