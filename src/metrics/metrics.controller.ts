import { Controller, Get, Header, Inject, Req } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { Request } from 'express';
import { bearerToken, sameSecret } from '../common/credentials';
import { InvalidTokenError, NotFoundError } from '../common/errors';
import { metricsConfig } from '../config';
import { Metrics } from './metrics';

/** `GET /metrics` in Prometheus' text format, for whoever has METRICS_TOKEN; 404 while it is unset. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    @Inject(metricsConfig.KEY) private readonly config: ConfigType<typeof metricsConfig>,
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(@Req() req: Request): Promise<string> {
    if (!this.config.token) throw new NotFoundError('This path');
    if (!sameSecret(bearerToken(req) ?? '', this.config.token)) throw new InvalidTokenError();
    return this.metrics.registry.metrics();
  }
}
