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
import { SessionsController } from './sessions.controller';
import { PhoneOtpStrategy } from './strategies/phone-otp.strategy';
import { UserTokenStrategy } from './strategies/user-token.strategy';
import { LocalStrategy } from './strategies/local.strategy';
import { EmailAccountsRepository } from './email/email-accounts.repository';
import { EmailAuthController } from './email/email-auth.controller';
import { EmailLoginService } from './email/email-login.service';
import { PasswordHasher } from './email/password-hasher';
import { IdentitiesController } from './identities.controller';
import { RecentProofGuard } from './recent-proof.guard';
import { RecentProofService } from './recent-proof.service';
import { SessionTokenCipher } from './sessions.token-cipher';
import { LoginMethodRegistry } from './methods/login-method.registry';
import { LoginMethodsController } from './methods/login-methods.controller';
import { MethodLoginService } from './methods/method-login.service';
import { LoginEvents } from './login-events';

@Module({
  imports: [PassportModule, OtpModule, UsersModule],
  // LoginMethodsController last: its `:method/login` route must not shadow a fixed one.
  controllers: [AuthController, EmailAuthController, MeController, IdentitiesController, SessionsController, LoginMethodsController],
  providers: [
    AuthService,
    SessionsRepository,
    SessionsService,
    PhoneLoginService,
    PassportAuthenticator,
    PhoneOtpStrategy,
    UserTokenStrategy,
    EmailAccountsRepository,
    EmailLoginService,
    PasswordHasher,
    LocalStrategy,
    SessionTokenCipher,
    RecentProofService,
    RecentProofGuard,
    LoginMethodRegistry,
    MethodLoginService,
    LoginEvents,
  ],
  exports: [LoginEvents, LoginMethodRegistry, MethodLoginService, PasswordHasher, AuthService, SessionsService, PhoneLoginService, PassportAuthenticator, EmailLoginService, RecentProofService],
})
export class AuthModule {}
