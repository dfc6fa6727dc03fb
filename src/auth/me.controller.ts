import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request } from 'express';
import { UsersService } from '../users/users.service';
import { MeDto, toMe } from './dto/me.dto';
import { ChangePasswordDto } from './email/dto/email-dtos';
import { EmailLoginService } from './email/email-login.service';
import { AuthenticatedSession } from './sessions.service';
import { USER_TOKEN_STRATEGY } from './strategies/user-token.strategy';

@ApiTags('me')
@ApiBearerAuth()
@Controller('v1/me')
@UseGuards(AuthGuard(USER_TOKEN_STRATEGY))
export class MeController {
  constructor(
    private readonly users: UsersService,
    private readonly emailLogin: EmailLoginService,
  ) {}

  @Post('password')
  @HttpCode(204)
  @ApiOperation({ summary: "Change the password of the user's email login; their other sessions end" })
  @ApiResponse({ status: 401, description: 'invalid_credentials: the current password is wrong' })
  async changePassword(@Body() body: ChangePasswordDto, @Req() req: Request): Promise<void> {
    const { user, session } = req.user as AuthenticatedSession;
    await this.emailLogin.changePassword(user.id, session.id, body.currentPassword, body.newPassword);
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
