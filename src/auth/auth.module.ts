import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { OtpModule } from '../otp/otp.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { MeController } from './me.controller';
import { PassportAuthenticator } from './passport-authenticator';
import { PhoneLoginService } from './phone-login.service';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import { PhoneOtpStrategy } from './strategies/phone-otp.strategy';
import { UserTokenStrategy } from './strategies/user-token.strategy';

@Module({
  imports: [PassportModule, OtpModule, UsersModule],
  controllers: [AuthController, MeController],
  providers: [
    AuthService,
    SessionsRepository,
    SessionsService,
    PhoneLoginService,
    PassportAuthenticator,
    PhoneOtpStrategy,
    UserTokenStrategy,
  ],
  exports: [AuthService, SessionsService, PhoneLoginService, PassportAuthenticator],
})
export class AuthModule {}
