import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ClientKey } from '../../common/client-key';
import { EmailDto, RegisterDto, ResetPasswordDto, VerifyEmailDto } from './dto/email-dtos';
import { EmailLoginService } from './email-login.service';
import { SendsCode } from '../../common/send-origin.guard';
import { ApiProblems, EMAIL_CODE_PROBLEMS } from '../../common/api-problems';

const UNIFORM = 'If the address can receive it, a code is on its way.';

@ApiTags('auth')
@Controller('v1/auth')
export class EmailAuthController {
  // Logging in is the `email` login method: POST /v1/auth/email/login (LoginMethodsController).
  constructor(private readonly emailLogin: EmailLoginService) {}

  @Post('email/register')
  @SendsCode()
  @HttpCode(202)
  @ApiOperation({ summary: 'Create an email login; a code to confirm the address is emailed (nothing is sent to a confirmed address)' })
  @ApiResponse({ status: 202, description: 'The same answer whether the address is confirmed, waiting for its code, or unknown' })
  @ApiResponse({ status: 400, description: 'weak_password or invalid_request' })
  @ApiProblems('not_found', 'weak_password')
  async register(@Body() body: RegisterDto, @ClientKey() client: string): Promise<{ message: string }> {
    await this.emailLogin.register(body.email, body.password, body.name, client);
    return { message: UNIFORM };
  }

  @Post('email/verify')
  @HttpCode(204)
  @ApiOperation({ summary: 'Confirm the address with the emailed code and set the password; the account can then log in' })
  @ApiResponse({ status: 204, description: 'Confirmed, with this password' })
  @ApiProblems(...EMAIL_CODE_PROBLEMS)
  @ApiResponse({ status: 401, description: 'invalid_code: the same for a wrong, expired or used code, and for an address that was sent none' })
  async verify(@Body() body: VerifyEmailDto, @ClientKey() client: string): Promise<void> {
    await this.emailLogin.confirm(body.email, body.code, body.password, body.name, client);
  }

  @Post('password/forgot')
  @SendsCode()
  @HttpCode(202)
  @ApiOperation({ summary: 'Email a code to reset the password' })
  @ApiProblems('not_found')
  @ApiResponse({ status: 202, description: 'The same answer whether the address is confirmed, waiting for its code, or unknown' })
  async forgot(@Body() body: EmailDto, @ClientKey() client: string): Promise<{ message: string }> {
    await this.emailLogin.requestReset(body.email, client);
    return { message: UNIFORM };
  }

  @Post('password/reset')
  @HttpCode(204)
  @ApiOperation({ summary: 'Set a new password with the emailed code; every session of the user ends' })
  @ApiResponse({ status: 204, description: 'The password is set' })
  @ApiProblems(...EMAIL_CODE_PROBLEMS)
  @ApiResponse({ status: 401, description: 'invalid_code: the same for a wrong, expired or used code, and for an address that was sent none' })
  async reset(@Body() body: ResetPasswordDto, @ClientKey() client: string): Promise<void> {
    await this.emailLogin.reset(body.email, body.code, body.password, client);
  }
}
