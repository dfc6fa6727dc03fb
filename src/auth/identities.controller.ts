import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, Res, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { ClientKey } from '../common/client-key';
import { Clock } from '../common/clock';
import { InvalidRequestError } from '../common/errors';
import { UsersService } from '../users/users.service';
import { IdentityDto, toIdentity } from './dto/me.dto';
import { LinkPhoneDto, VerifyLinkPhoneDto } from './dto/link-phone.dto';
import { ConfirmEmailDto, LinkEmailDto } from './email/dto/email-dtos';
import { EmailLoginService } from './email/email-login.service';
import { PassportAuthenticator } from './passport-authenticator';
import { PhoneLoginService } from './phone-login.service';
import { RequireRecentProof } from './recent-proof.guard';
import { AuthenticatedSession, SessionsService } from './sessions.service';
import { PHONE_OTP_STRATEGY } from './strategies/phone-otp.strategy';
import { USER_TOKEN_STRATEGY } from './strategies/user-token.strategy';
import { SendsCode } from '../common/send-origin.guard';
import { ApiProblems, EMAIL_CODE_PROBLEMS, PHONE_CODE_CHECK_PROBLEMS, PHONE_CODE_SEND_PROBLEMS } from '../common/api-problems';

/** A malformed id is bad input like any other: 400 invalid_request, not Nest's own `bad_request`. */
const ID_PIPE = new ParseUUIDPipe({ exceptionFactory: () => new InvalidRequestError('The identity id is not valid.', ['id must be a UUID']) });

/**
 * The logged-in user's ways to log in. Linking one always proves it first, by the same strategy
 * that logs in with it; the mesibo address of the user never changes.
 */
@ApiTags('me')
@ApiBearerAuth()
@Controller('v1/me/identities')
@UseGuards(AuthGuard(USER_TOKEN_STRATEGY))
export class IdentitiesController {
  constructor(
    private readonly users: UsersService,
    private readonly phoneLogin: PhoneLoginService,
    private readonly emailLogin: EmailLoginService,
    private readonly authenticator: PassportAuthenticator,
    private readonly sessions: SessionsService,
    private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The ways this user can log in' })
  @ApiResponse({ status: 200, type: [IdentityDto] })
  async list(@Req() req: Request): Promise<IdentityDto[]> {
    return (await this.users.listIdentities(current(req).user.id)).map(toIdentity);
  }

  @Post('phone')
  @RequireRecentProof()
  @SendsCode()
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a code to a phone to link it' })
  @ApiResponse({ status: 202, description: 'A code was sent to the normalized number', schema: { type: 'object', properties: { phone: { type: 'string' } } } })
  @ApiProblems(...PHONE_CODE_SEND_PROBLEMS)
  async startPhone(@Body() body: LinkPhoneDto, @ClientKey() requester: string): Promise<{ phone: string }> {
    return { phone: (await this.phoneLogin.requestCode(body.phone, requester)).phone };
  }

  @Post('phone/verify')
  @RequireRecentProof()
  @HttpCode(204)
  @ApiOperation({ summary: 'Link the phone with the code it received' })
  @ApiResponse({ status: 204, description: 'Linked' })
  @ApiResponse({ status: 409, description: 'identity_in_use: the phone logs in to another account' })
  @ApiProblems(...PHONE_CODE_CHECK_PROBLEMS, 'identity_in_use')
  async verifyPhone(@Body() _body: VerifyLinkPhoneDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const userId = current(req).user.id;
    const identity = await this.authenticator.authenticate(PHONE_OTP_STRATEGY, req, res);
    await this.users.linkIdentity(userId, identity, this.clock.nowMs());
  }

  @Post('email')
  @RequireRecentProof()
  @SendsCode()
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a code to an email address to link an email login' })
  @ApiResponse({ status: 202, description: 'A code is on its way', schema: { type: 'object', properties: { message: { type: 'string' } } } })
  @ApiProblems('not_found', 'weak_password')
  async startEmail(@Body() body: LinkEmailDto, @ClientKey() client: string): Promise<{ message: string }> {
    await this.emailLogin.startLink(body.email, body.password, client);
    return { message: 'A code is on its way.' };
  }

  @Post('email/verify')
  @RequireRecentProof()
  @HttpCode(204)
  @ApiOperation({ summary: 'Link the email login with the code it received' })
  @ApiResponse({ status: 204, description: 'Linked' })
  @ApiResponse({ status: 409, description: 'identity_in_use: the address logs in to another account' })
  @ApiProblems(...EMAIL_CODE_PROBLEMS, 'identity_in_use')
  async verifyEmail(@Body() body: ConfirmEmailDto, @Req() req: Request, @ClientKey() client: string): Promise<void> {
    await this.emailLogin.confirmLink(current(req).user.id, body.email, body.code, body.password, client);
  }

  @Delete(':id')
  @RequireRecentProof()
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a way to log in (never the last one), its credentials, and the other sessions it opened' })
  @ApiResponse({ status: 204, description: 'Removed' })
  @ApiResponse({ status: 409, description: 'last_identity' })
  @ApiProblems('not_found', 'last_identity')
  async remove(@Param('id', ID_PIPE) id: string, @Req() req: Request): Promise<void> {
    const { user, session } = current(req);
    const removed = await this.users.unlinkIdentity(user.id, id, this.clock.nowMs());
    // Whoever logged in with it is out too (their mesibo tokens revoked); the caller just proved the account.
    await this.sessions.endOpenedWith(user.id, removed, session.id);
  }
}

function current(req: Request): AuthenticatedSession {
  return req.user as AuthenticatedSession;
}
