import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { metricsConfig } from '../config';
import { Metrics } from './metrics';
import { startMetricsServer } from './metrics-server';

/**
 * METRICS_PORT in a single process: this application's numbers on a port of their own. In a
 * cluster worker it only lends its registry to the primary, which serves the sum of all workers.
 */
@Injectable()
export class MetricsPort implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: { close(): Promise<void> };

  constructor(
    private readonly metrics: Metrics,
    @Inject(metricsConfig.KEY) private readonly config: ConfigType<typeof metricsConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (cluster.isWorker) {
      // prom-client answers the primary's requests once an AggregatorRegistry exists in the worker.
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([this.metrics.registry]);
      return;
    }
    if (this.config.port === undefined) return;
    const { registry } = this.metrics;
    this.server = await startMetricsServer({
      ...this.config,
      port: this.config.port,
      collect: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}
