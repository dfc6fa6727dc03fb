import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { PassportAuthenticator } from '../auth/passport-authenticator';
import { RequireRecentProof } from '../auth/recent-proof.guard';
import { AuthenticatedSession } from '../auth/sessions.service';
import { USER_TOKEN_STRATEGY } from '../auth/strategies/user-token.strategy';
import { Clock } from '../common/clock';
import { UsersService } from '../users/users.service';
import { LinkOidcDto } from './dto/oidc.dto';
import { OIDC_ID_TOKEN_STRATEGY } from './strategies/oidc-id-token.strategy';
import { ApiProblems, PROVIDER_PROOF_PROBLEMS } from '../common/api-problems';

/** Adds a provider login to the logged-in user, proven by an ID token as at login. */
@ApiTags('me')
@ApiBearerAuth()
@Controller('v1/me/identities/oidc')
@UseGuards(AuthGuard(USER_TOKEN_STRATEGY))
export class OidcLinkController {
  constructor(
    private readonly authenticator: PassportAuthenticator,
    private readonly users: UsersService,
    private readonly clock: Clock,
  ) {}

  @Post(':provider')
  // The strategy reads the provider from the path itself.
  @ApiParam({ name: 'provider', description: 'The provider name, as in OIDC_PROVIDERS' })
  @RequireRecentProof()
  @HttpCode(204)
  @ApiOperation({ summary: 'Link a login with this provider, proven by an ID token; the mesibo address stays' })
  @ApiResponse({ status: 204, description: 'Linked, or it already was' })
  @ApiResponse({ status: 401, description: 'invalid_token (the bearer token), or invalid_id_token' })
  @ApiResponse({ status: 409, description: 'identity_in_use: this provider login belongs to another account' })
  @ApiProblems(...PROVIDER_PROOF_PROBLEMS, 'identity_in_use')
  async link(@Body() _body: LinkOidcDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const { user } = req.user as AuthenticatedSession;
    const identity = await this.authenticator.authenticate(OIDC_ID_TOKEN_STRATEGY, req, res);
    await this.users.linkIdentity(user.id, { method: identity.method, subject: identity.subject, verified: identity.verified }, this.clock.nowMs());
  }
}
