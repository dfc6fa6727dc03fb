import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NotFoundError } from '../../common/errors';
import { UsernameCreatedDto, UsernameRegisterDto } from './dto/username.dto';
import { UsernameAccountsService } from './username-accounts.service';
import { usernameSettings } from './username.settings';
import { ApiProblems } from '../../common/api-problems';

@ApiTags('auth')
@Controller('v1/auth/username')
export class UsernameController {
  constructor(
    private readonly accounts: UsernameAccountsService,
    @Inject(usernameSettings.KEY) private readonly settings: ConfigType<typeof usernameSettings>,
  ) {}

  @Post('register')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a username account (only with USERNAME_SELF_REGISTRATION=true); then log in with it' })
  @ApiResponse({ status: 201, type: UsernameCreatedDto })
  @ApiResponse({ status: 400, description: 'invalid_request (the username rule) or weak_password' })
  @ApiResponse({ status: 404, description: 'not_found: self-registration is off' })
  @ApiResponse({ status: 409, description: 'identity_in_use: the username is taken' })
  @ApiProblems('not_found', 'weak_password', 'identity_in_use')
  async register(@Body() body: UsernameRegisterDto): Promise<UsernameCreatedDto> {
    if (!this.settings.selfRegistration) throw new NotFoundError('Registration with a username');
    return { username: await this.accounts.create(body.username, body.password, body.name) };
  }
}
