import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseHealthIndicator } from './database.health';
import { HealthController } from './health.controller';
import { MesiboHealthIndicator } from './mesibo.health';
import { ReadinessDrain } from './readiness-drain';

/** `GET /health/live` and `GET /health/ready`. Uses the global DB and MesiboTokenService. */
@Module({
  imports: [TerminusModule.forRoot()],
  controllers: [HealthController],
  providers: [DatabaseHealthIndicator, MesiboHealthIndicator, ReadinessDrain],
})
export class HealthModule {}
