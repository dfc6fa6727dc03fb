import { Inject, Logger, MiddlewareConsumer, Module, NestModule, OnModuleInit, RequestMethod } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { Clock } from '../common/clock';
import { appConfig, throttleConfig } from '../config';
import { CounterStore } from '../database/counter-store';
import { ClientKeyMiddleware } from './client-key.middleware';
import { CounterThrottlerStorage } from './counter-throttler.storage';
import { UnauthenticatedThrottlerGuard } from './unauthenticated-throttler.guard';

/** Per-client request limits on the unauthenticated endpoints, counted in the shared CounterStore. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [throttleConfig.KEY, CounterStore, Clock],
      useFactory: (config: ConfigType<typeof throttleConfig>, counters: CounterStore, clock: Clock) => ({
        throttlers: [{ limit: config.limit, ttl: config.windowSeconds * 1000 }],
        storage: new CounterThrottlerStorage(counters, clock),
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: UnauthenticatedThrottlerGuard }],
})
export class ThrottlingModule implements NestModule, OnModuleInit {
  constructor(@Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ClientKeyMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }

  onModuleInit(): void {
    if (this.app.trustProxy === true) {
      new Logger('Throttling').warn(
        'TRUST_PROXY=true takes the client IP from the leftmost X-Forwarded-For address, which any client can choose: ' +
          'per-client limits can then be dodged. Set TRUST_PROXY to the number of proxies in front of the service (1 for one load balancer) or to their addresses.',
      );
    }
  }
}
