import { Module } from '@nestjs/common';
import { AuthModule } from '../../auth/auth.module';
import { WebLoginStatesRepository } from '../../auth/web-login/web-login-states.repository';
import { SamlAcsVerifier } from './saml-acs-verifier';
import { SamlAssertionUses } from './saml-assertion-uses';
import { SamlAuthController } from './saml-auth.controller';
import { SamlIdentityProvider } from './saml-identity-provider';
import { SamlLoginCookies } from './saml-login-cookies';
import { SamlLoginRequests } from './saml-login-requests';
import { SamlServiceProvider } from './saml-service-provider';

/**
 * SAML 2.0 login in a browser (`/v1/auth/saml/...`), on when SAML_IDP_METADATA_URL or
 * SAML_IDP_METADATA_FILE is set (otherwise its routes answer 404). A web flow with routes of its
 * own, so it is not in the LoginMethodRegistry; it ends in AuthService.completeLogin like every login.
 */
@Module({
  imports: [AuthModule],
  controllers: [SamlAuthController],
  providers: [SamlIdentityProvider, SamlServiceProvider, WebLoginStatesRepository, SamlLoginRequests, SamlLoginCookies, SamlAssertionUses, SamlAcsVerifier],
})
export class SamlModule {}
