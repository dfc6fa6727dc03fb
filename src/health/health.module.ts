import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseHealthIndicator } from './database.health';
import { HealthController } from './health.controller';
import { MesiboReachabilityIndicator } from './mesibo.health';

/** `GET /health/live` and `GET /health/ready`. Uses the global DB; of mesibo, only the API URL. */
@Module({
  imports: [TerminusModule.forRoot()],
  controllers: [HealthController],
  providers: [DatabaseHealthIndicator, MesiboReachabilityIndicator],
})
export class HealthModule {}
