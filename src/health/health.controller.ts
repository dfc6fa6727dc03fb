import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { Response } from 'express';
import { DatabaseHealthIndicator } from './database.health';
import { MesiboReachabilityIndicator } from './mesibo.health';

/**
 * Probes for orchestrators and load balancers, in terminus' format (`status`, `info`, `error`,
 * `details`). Not under `/v1`: they are operational, not part of the client API.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly mesibo: MesiboReachabilityIndicator,
  ) {}

  /** Liveness: the process serves HTTP. Checks nothing else, so a dependency outage never restarts it. */
  @Get('live')
  @HealthCheck()
  live(): HealthCheckResult {
    return { status: 'ok', info: {}, error: {}, details: {} };
  }

  /**
   * Readiness: 200 when the database answers and has every migration, else 503 naming the failed
   * check (also 503 while shutting down). mesibo's reachability is reported but does not count.
   */
  @Get('ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    const [gating, mesibo] = await Promise.all([
      this.health
        .check([() => this.database.ping(), () => this.database.migrations()])
        .catch((error: unknown): HealthCheckResult => {
          // Terminus reports a failed check as a 503 exception carrying its result. Answer with that
          // body here: the app's global filter would turn it into a problem+json without the details.
          if (!(error instanceof ServiceUnavailableException)) throw error;
          res.status(503);
          return error.getResponse() as HealthCheckResult;
        }),
      this.mesibo.check(),
    ]);
    return {
      ...gating,
      info: { ...gating.info, ...mesibo },
      details: { ...gating.details, ...mesibo },
    };
  }
}
