import { Controller, Get, Header, HttpCode, Inject, Logger, Post, Query, Redirect, Req, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { AuthService } from '../../auth/auth.service';
import { LoginResponseDto } from '../../auth/dto/login-response.dto';
import { answerWebLogin, answerWebLoginFailure } from '../../auth/web-login/web-login-answer';
import { InvalidRequestError } from '../../common/errors';
import { clientConfig } from '../../config';
import { SamlAcsFormDto, StartSamlLoginQueryDto } from './dto/saml.dto';
import { SamlAcsVerifier } from './saml-acs-verifier';
import { SamlIdentityProvider } from './saml-identity-provider';
import { loginOf } from './saml-login-context';
import { SamlLoginCookies } from './saml-login-cookies';
import { SAML_LOGIN_TTL_MS, SamlLoginRequests } from './saml-login-requests';
import { SamlServiceProvider } from './saml-service-provider';
import { SAML_METHOD } from './saml-identity';
import { LoginEvents } from '../../auth/login-events';
import { requestClientKey } from '../../common/client-key';
import { ApiProblems, LOGIN_COMPLETION_PROBLEMS, PROVIDER_PROOF_PROBLEMS } from '../../common/api-problems';

/**
 * Login through a SAML 2.0 identity provider in a browser (Web Browser SSO, SP-initiated): our
 * AuthnRequest goes out by redirect, the answer comes back as a form POST to the ACS, and the
 * login ends as the OpenID Connect web login does (JSON, or return_to with the result in the fragment).
 */
@ApiTags('auth')
@Controller('v1/auth/saml')
export class SamlAuthController {
  private readonly logger = new Logger(SamlAuthController.name);

  constructor(
    private readonly idp: SamlIdentityProvider,
    private readonly requests: SamlLoginRequests,
    private readonly serviceProvider: SamlServiceProvider,
    private readonly cookies: SamlLoginCookies,
    private readonly verifier: SamlAcsVerifier,
    private readonly auth: AuthService,
    private readonly events: LoginEvents,
    @Inject(clientConfig.KEY) private readonly client: ConfigType<typeof clientConfig>,
  ) {}

  @Get('login')
  @Redirect()
  @ApiOperation({ summary: 'Start a SAML web login: redirects to the identity provider with an AuthnRequest (HTTP-Redirect binding)' })
  @ApiResponse({ status: 302, description: "To the identity provider's login page" })
  @ApiResponse({ status: 400, description: 'invalid_request: no appid, or return_to is not one of SAML_RETURN_URLS' })
  @ApiResponse({ status: 404, description: 'not_found: SAML login is not configured' })
  @ApiResponse({ status: 503, description: "provider_unavailable: the identity provider's metadata cannot be had" })
  @ApiProblems('not_found', 'provider_unavailable')
  async start(@Query() query: StartSamlLoginQueryDto, @Res({ passthrough: true }) res: Response): Promise<{ url: string; statusCode: number }> {
    const settings = this.idp.settingsOn();
    if (query.return_to !== undefined && !settings.returnUrls.includes(query.return_to)) {
      throw new InvalidRequestError('return_to is not an allowed return URL.', ['return_to must be one of SAML_RETURN_URLS']);
    }
    // The metadata first: an identity provider that cannot be had leaves no login state behind.
    await this.idp.descriptor();
    const login = await this.requests.begin(query.appid, query.return_to);
    this.cookies.set(res, settings.acsUrl, login.requestId, SAML_LOGIN_TTL_MS);
    return { url: await this.serviceProvider.authnRequestUrl(login.requestId, login.requestId), statusCode: 302 };
  }

  @Post('acs')
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: SamlAcsFormDto })
  @ApiOperation({
    summary: "The identity provider's answer (HTTP-POST binding): finishes the login",
    description: 'Answers like POST /v1/auth/otp/verify, or redirects to the return_to of the login with the result in the fragment.',
  })
  @ApiResponse({ status: 200, type: LoginResponseDto })
  @ApiResponse({ status: 302, description: 'To return_to#token=…&expires_at=…&address=… (or #error=<code>)' })
  @ApiResponse({ status: 400, description: 'invalid_request: no SAMLResponse or RelayState, an unknown, used or expired login, or a login started in another browser' })
  @ApiResponse({ status: 401, description: "invalid_id_token: the identity provider's answer did not verify, or was used already" })
  @ApiProblems(...PROVIDER_PROOF_PROBLEMS, ...LOGIN_COMPLETION_PROBLEMS)
  async acs(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.setHeader('Referrer-Policy', 'no-referrer');
    const acsUrl = this.idp.settingsOn().acsUrl;
    try {
      const identity = await this.verifier.prove(req).catch(async (refused: unknown) => {
        // Refusals after this point are counted by the token path.
        await this.events.failed(SAML_METHOD, refused, { client: requestClientKey(req), appid: loginOf(req)?.appId });
        throw refused;
      });
      const login = loginOf(req)!;
      const completed = await this.auth.completeLogin(identity, { appid: login.appId, client: requestClientKey(req) });
      this.cookies.clear(res, acsUrl, login.requestId);
      answerWebLogin(res, completed, login.returnTo, this.client);
    } catch (thrown) {
      const login = loginOf(req);
      if (login) this.cookies.clear(res, acsUrl, login.requestId);
      answerWebLoginFailure(res, thrown, login?.returnTo, this.logger);
    }
  }

  @Get('metadata')
  @Header('Content-Type', 'application/samlmetadata+xml; charset=utf-8')
  @ApiProduces('application/samlmetadata+xml')
  @ApiOperation({ summary: 'Our SAML 2.0 SP metadata: entityID, the ACS URL, the NameID format asked for, and our signing certificate if any' })
  @ApiResponse({ status: 200, description: 'An EntityDescriptor with an SPSSODescriptor' })
  @ApiResponse({ status: 404, description: 'not_found: SAML login is not configured' })
  @ApiProblems('not_found')
  metadata(): string {
    return this.serviceProvider.metadataXml();
  }
}
