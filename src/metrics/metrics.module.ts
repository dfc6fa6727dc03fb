import { Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { MetricsPort } from './metrics-port';

/** Prometheus metrics: every module may record (global), `GET /metrics` exposes them (METRICS_TOKEN, METRICS_PORT). */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [Metrics, MetricsPort],
  exports: [Metrics],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
