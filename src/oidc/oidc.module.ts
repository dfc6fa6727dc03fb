import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { WebLoginStatesRepository } from '../auth/web-login/web-login-states.repository';
import { UsersModule } from '../users/users.module';
import { IdTokenUses } from './id-token-uses';
import { IdTokenVerifier } from './id-token-verifier';
import { OAuth2CodeFlow } from './oauth2-code-flow';
import { OidcAuthController } from './oidc-auth.controller';
import { OidcCodeFlow } from './oidc-code-flow';
import { OidcLinkController } from './oidc-link.controller';
import { OidcLoginCookies } from './oidc-login-cookie';
import { OidcLoginStates } from './oidc-login-states';
import { OidcProviders } from './oidc-providers';
import { ProviderWebFlows } from './provider-web-flows';
import { OidcCallbackStrategy } from './strategies/oidc-callback.strategy';
import { OidcIdTokenStrategy } from './strategies/oidc-id-token.strategy';

/**
 * Login through OpenID Connect and plain OAuth2 providers (`OIDC_PROVIDERS`): the web flow, ID
 * tokens from the apps' provider SDKs, and linking. Every path ends in AuthService.completeLogin.
 */
@Module({
  imports: [AuthModule, UsersModule],
  controllers: [OidcAuthController, OidcLinkController],
  providers: [
    OidcProviders,
    WebLoginStatesRepository,
    OidcLoginStates,
    OidcLoginCookies,
    OidcCodeFlow,
    OAuth2CodeFlow,
    ProviderWebFlows,
    IdTokenVerifier,
    IdTokenUses,
    OidcCallbackStrategy,
    OidcIdTokenStrategy,
  ],
})
export class OidcModule {}
