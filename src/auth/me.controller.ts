import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request } from 'express';
import { requestClientKey } from '../common/client-key';
import { UsersService } from '../users/users.service';
import { MeDto, toMe } from './dto/me.dto';
import { OtpRequestedDto } from './dto/otp-requested.dto';
import { ReauthenticateCodeDto, ReauthenticatedDto, ReauthenticateDto } from './dto/reauthenticate.dto';
import { ChangePasswordDto } from './email/dto/email-dtos';
import { EmailLoginService } from './email/email-login.service';
import { RecentProofService } from './recent-proof.service';
import { AuthenticatedSession, SessionsService } from './sessions.service';
import { USER_TOKEN_STRATEGY } from './strategies/user-token.strategy';
import { ApiProblems, PASSWORD_CHECK_PROBLEMS, PHONE_CODE_CHECK_PROBLEMS, PHONE_CODE_SEND_PROBLEMS } from '../common/api-problems';

@ApiTags('me')
@ApiBearerAuth()
@Controller('v1/me')
@UseGuards(AuthGuard(USER_TOKEN_STRATEGY))
export class MeController {
  constructor(
    private readonly users: UsersService,
    private readonly emailLogin: EmailLoginService,
    private readonly sessions: SessionsService,
    private readonly recentProof: RecentProofService,
  ) {}

  // The current password is the recent proof this change needs.
  @Post('password')
  @HttpCode(204)
  @ApiOperation({ summary: "Change the password of the user's email login; their other sessions end and their tokens are revoked at mesibo" })
  @ApiResponse({ status: 204, description: 'Changed' })
  @ApiResponse({ status: 401, description: 'invalid_credentials: the current password is wrong' })
  @ApiProblems('not_found', 'weak_password', ...PASSWORD_CHECK_PROBLEMS)
  async changePassword(@Body() body: ChangePasswordDto, @Req() req: Request): Promise<void> {
    const { user, session } = req.user as AuthenticatedSession;
    await this.emailLogin.changePassword(user.id, session.id, body.currentPassword, body.newPassword, requestClientKey(req));
  }

  @Post('reauthenticate/code')
  @HttpCode(202)
  @ApiOperation({ summary: "Send a code to one of the account's phones, to prove the account again" })
  @ApiResponse({ status: 202, type: OtpRequestedDto })
  @ApiResponse({ status: 404, description: 'not_found: the account has no such phone login' })
  @ApiProblems('not_found', ...PHONE_CODE_SEND_PROBLEMS)
  async sendProofCode(@Body() body: ReauthenticateCodeDto, @Req() req: Request): Promise<OtpRequestedDto> {
    const sent = await this.recentProof.sendCode(req.user as AuthenticatedSession, body.phone, { clientKey: requestClientKey(req) });
    return { phone: sent.phone, expiresAt: sent.expiresAt.toISOString(), resendAfterSeconds: sent.resendAfterSeconds };
  }

  @Post('reauthenticate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Prove the account again in this session (password, or a code to its phone), to link or remove login methods' })
  @ApiResponse({ status: 200, type: ReauthenticatedDto })
  @ApiResponse({ status: 401, description: 'invalid_credentials or invalid_code' })
  @ApiProblems('not_found', ...PASSWORD_CHECK_PROBLEMS, ...PHONE_CODE_CHECK_PROBLEMS)
  async reauthenticate(@Body() body: ReauthenticateDto, @Req() req: Request): Promise<ReauthenticatedDto> {
    const until = await this.recentProof.prove(req.user as AuthenticatedSession, body, { clientKey: requestClientKey(req) });
    return { recentUntil: until.toISOString() };
  }

  @Post('logout-all')
  @HttpCode(204)
  @ApiOperation({ summary: "End every session of the user, this one too, and revoke their tokens at mesibo" })
  async logoutEverywhere(@Req() req: Request): Promise<void> {
    await this.sessions.endAllForUser((req.user as AuthenticatedSession).user.id, 'logout-everywhere');
  }

  @Get()
  @ApiOperation({ summary: 'The user of the bearer token, their identities and this session' })
  @ApiResponse({ status: 200, type: MeDto })
  @ApiResponse({ status: 401, description: 'Missing, expired or revoked token' })
  async me(@Req() req: Request): Promise<MeDto> {
    const current = req.user as AuthenticatedSession;
    return toMe(current, await this.users.listIdentities(current.user.id));
  }
}
