import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { Response } from 'express';
import { DatabaseHealthIndicator } from './database.health';
import { MesiboHealthIndicator } from './mesibo.health';
import { ReadinessDrain } from './readiness-drain';

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
    private readonly mesibo: MesiboHealthIndicator,
    private readonly drain: ReadinessDrain,
  ) {}

  /** Liveness: the process serves HTTP. Checks nothing else, so a dependency outage never restarts it. */
  @Get('live')
  @HealthCheck()
  live(): HealthCheckResult {
    return { status: 'ok', info: {}, error: {}, details: {} };
  }

  /**
   * Readiness: 200 when the database answers and has every migration and mesibo does not refuse
   * the App Token; else 503 naming the failed check. 503 `shutdown` once shutting down. mesibo
   * being unreachable is reported but does not count.
   */
  @Get('ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    if (this.drain.draining) {
      res.status(503);
      const shutdown = { shutdown: { status: 'down' as const, message: 'shutting down' } };
      return { status: 'error', info: {}, error: shutdown, details: shutdown };
    }
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
    // A refused App Token fails every login: take this instance out, like a database outage.
    const refused = mesibo.mesibo.status === 'down' && mesibo.mesibo.message === 'app token refused';
    if (refused) res.status(503);
    return {
      status: refused ? 'error' : gating.status,
      info: { ...gating.info, ...(refused ? {} : mesibo) },
      error: { ...gating.error, ...(refused ? mesibo : {}) },
      details: { ...gating.details, ...mesibo },
    };
  }
}
