import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { LegacyController } from './legacy.controller';

@Module({
  imports: [AuthModule],
  controllers: [LegacyController],
})
export class LegacyModule {}
