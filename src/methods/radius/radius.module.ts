import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthModule } from '../../auth/auth.module';
import { RadiusChallengeStates } from './radius-challenge-states';
import { RadiusClient } from './radius-client';
import { RadiusLoginService } from './radius-login.service';
import { RadiusStrategy } from './radius.strategy';

/** The `radius` login method: PAP against RADIUS servers, with Access-Challenge as a second step. */
@Module({
  imports: [AuthModule, PassportModule],
  providers: [RadiusClient, RadiusChallengeStates, RadiusLoginService, RadiusStrategy],
})
export class RadiusModule {}
