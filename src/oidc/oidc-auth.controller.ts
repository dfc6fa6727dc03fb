import { Body, Controller, Get, HttpCode, Inject, Logger, Param, Post, Query, Redirect, Req, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { requestClientKey } from '../common/client-key';
import { AuthService } from '../auth/auth.service';
import { LoginResponseDto, toLoginResponse } from '../auth/dto/login-response.dto';
import { PassportAuthenticator } from '../auth/passport-authenticator';
import { answerWebLogin, answerWebLoginFailure } from '../auth/web-login/web-login-answer';
import { InvalidRequestError } from '../common/errors';
import { clientConfig } from '../config';
import { IdTokenLoginDto, StartOidcLoginQueryDto } from './dto/oidc.dto';
import { loginOf } from './oidc-login-context';
import { OidcLoginCookies } from './oidc-login-cookie';
import { LOGIN_STATE_TTL_MS, OidcLoginStates } from './oidc-login-states';
import { OidcProviders } from './oidc-providers';
import { ProviderWebFlows } from './provider-web-flows';
import { OIDC_STRATEGY } from './strategies/oidc-callback.strategy';
import { OIDC_ID_TOKEN_STRATEGY } from './strategies/oidc-id-token.strategy';
import { ApiProblems, LOGIN_COMPLETION_PROBLEMS, PROVIDER_PROOF_PROBLEMS } from '../common/api-problems';

/** Login through an OpenID Connect or OAuth2 provider: in a browser (redirects), or with an ID token from an app. */
@ApiTags('auth')
@Controller('v1/auth/oidc')
export class OidcAuthController {
  private readonly logger = new Logger(OidcAuthController.name);

  constructor(
    private readonly providers: OidcProviders,
    private readonly states: OidcLoginStates,
    private readonly flows: ProviderWebFlows,
    private readonly authenticator: PassportAuthenticator,
    private readonly auth: AuthService,
    private readonly cookies: OidcLoginCookies,
    @Inject(clientConfig.KEY) private readonly client: ConfigType<typeof clientConfig>,
  ) {}

  @Get(':provider')
  @Redirect()
  @ApiOperation({ summary: 'Start a web login: redirects to the provider (state, nonce and PKCE)' })
  @ApiResponse({ status: 302, description: "To the provider's login page" })
  @ApiResponse({ status: 400, description: 'invalid_request: no appid, or return_to is not one of OIDC_RETURN_URLS' })
  @ApiResponse({ status: 404, description: 'not_found: no such provider' })
  @ApiResponse({ status: 503, description: 'provider_unavailable: its discovery document cannot be had' })
  @ApiProblems('not_found', 'provider_unavailable')
  async start(
    @Param('provider') name: string,
    @Query() query: StartOidcLoginQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ url: string; statusCode: number }> {
    const provider = this.providers.get(name);
    if (query.return_to !== undefined && !this.providers.isAllowedReturnUrl(query.return_to)) {
      throw new InvalidRequestError('return_to is not an allowed return URL.', ['return_to must be one of OIDC_RETURN_URLS']);
    }
    // Discovery first: a provider that is down leaves no login state behind.
    if (provider.type === 'oidc') await this.providers.discover(provider);
    const login = await this.states.begin(provider.name, query.appid, query.return_to);
    this.cookies.set(res, this.providers.redirectUri(provider), login.state, LOGIN_STATE_TTL_MS);
    return { url: await this.flows.authorizationUrl(provider, login), statusCode: 302 };
  }

  @Get(':provider/callback')
  // The strategy reads the provider from the path itself.
  @ApiParam({ name: 'provider', description: 'The provider name, as in OIDC_PROVIDERS' })
  @ApiOperation({
    summary: "The provider's redirect back: finishes the login",
    description: 'Answers like POST /v1/auth/otp/verify, or redirects to the return_to of the login with the result in the fragment.',
  })
  @ApiResponse({ status: 200, type: LoginResponseDto })
  @ApiResponse({ status: 302, description: 'To return_to#token=…&expires_at=…&address=… (or #error=<code>)' })
  @ApiResponse({ status: 400, description: 'invalid_request: unknown, used or expired state, or a login started in another browser' })
  @ApiResponse({ status: 401, description: 'invalid_id_token: the provider refused, or its answer did not verify' })
  @ApiProblems(...PROVIDER_PROOF_PROBLEMS, ...LOGIN_COMPLETION_PROBLEMS)
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.setHeader('Referrer-Policy', 'no-referrer');
    try {
      // Failures are counted as `oidc`: the provider name in the path is the client's to choose.
      const identity = await this.authenticator.authenticate(OIDC_STRATEGY, req, res, 'oidc');
      const login = loginOf(req)!;
      const completed = await this.auth.completeLogin(identity, { appid: login.appId, client: requestClientKey(req) });
      this.cookies.clear(res, this.providers.redirectUri({ name: login.provider }), login.state);
      answerWebLogin(res, completed, login.returnTo, this.client);
    } catch (thrown) {
      const login = loginOf(req);
      if (login) this.cookies.clear(res, this.providers.redirectUri({ name: login.provider }), login.state);
      answerWebLoginFailure(res, thrown, login?.returnTo, this.logger);
    }
  }

  @Post(':provider/token')
  @ApiParam({ name: 'provider', description: 'The provider name, as in OIDC_PROVIDERS' })
  @HttpCode(200)
  @ApiOperation({ summary: "Log in with an ID token the app got from the provider's SDK" })
  @ApiResponse({ status: 200, type: LoginResponseDto })
  @ApiResponse({
    status: 400,
    description: 'invalid_request: bad fields, no nonce (unless the provider has REQUIRE_NONCE=false), or an OAuth2 provider (no ID tokens)',
  })
  @ApiResponse({ status: 401, description: 'invalid_id_token: signature, issuer, audience, times or nonce do not check out, or the token was used already' })
  @ApiResponse({ status: 503, description: 'provider_unavailable: its discovery document or keys cannot be had' })
  @ApiProblems(...PROVIDER_PROOF_PROBLEMS, ...LOGIN_COMPLETION_PROBLEMS)
  async idToken(@Body() body: IdTokenLoginDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResponseDto> {
    const identity = await this.authenticator.authenticate(OIDC_ID_TOKEN_STRATEGY, req, res, 'oidc');
    const completed = await this.auth.completeLogin(identity, { appid: body.appid, device: body.device, client: requestClientKey(req) });
    return toLoginResponse(completed, this.client);
  }
}
