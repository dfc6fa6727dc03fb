import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { ClientKey, requestClientKey } from '../common/client-key';
import { clientConfig } from '../config';
import { AuthService } from './auth.service';
import { LoginResponseDto, toLoginResponse } from './dto/login-response.dto';
import { OtpRequestedDto } from './dto/otp-requested.dto';
import { RequestOtpDto } from './dto/request-otp.dto';
import { VerifyOtpDto } from './dto/verify-otp.dto';
import { PassportAuthenticator } from './passport-authenticator';
import { PhoneLoginService } from './phone-login.service';
import { SessionsService } from './sessions.service';
import { PHONE_OTP_STRATEGY } from './strategies/phone-otp.strategy';
import { bearerToken } from '../common/credentials';
import { InvalidTokenError } from '../common/errors';
import { SendsCode } from '../common/send-origin.guard';
import { ApiProblems, LOGIN_COMPLETION_PROBLEMS, PHONE_CODE_CHECK_PROBLEMS, PHONE_CODE_SEND_PROBLEMS } from '../common/api-problems';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly phoneLogin: PhoneLoginService,
    private readonly authenticator: PassportAuthenticator,
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    @Inject(clientConfig.KEY) private readonly client: ConfigType<typeof clientConfig>,
  ) {}

  @Post('otp')
  @SendsCode()
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a one-time code to a phone' })
  @ApiResponse({ status: 202, type: OtpRequestedDto })
  @ApiResponse({ status: 429, description: 'Resend cooldown or wrong-try budget; see Retry-After' })
  @ApiProblems(...PHONE_CODE_SEND_PROBLEMS)
  async requestOtp(@Body() body: RequestOtpDto, @ClientKey() requester: string): Promise<OtpRequestedDto> {
    const sent = await this.phoneLogin.requestCode(body.phone, requester);
    return { phone: sent.phone, expiresAt: sent.expiresAt.toISOString(), resendAfterSeconds: sent.resendAfterSeconds };
  }

  @Post('otp/verify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Check the code and get a mesibo user access token' })
  @ApiResponse({ status: 200, type: LoginResponseDto })
  @ApiResponse({ status: 401, description: 'Wrong, expired or used-up code (code: invalid_code)' })
  @ApiProblems(...PHONE_CODE_CHECK_PROBLEMS, ...LOGIN_COMPLETION_PROBLEMS)
  async verifyOtp(
    @Body() body: VerifyOtpDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<LoginResponseDto> {
    const identity = await this.authenticator.authenticate(PHONE_OTP_STRATEGY, req, res, 'phone');
    const login = await this.auth.completeLogin(identity, { appid: body.appid, device: body.device, name: body.name, client: requestClientKey(req) });
    return toLoginResponse(login, this.client);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End the session of the bearer token and revoke it at mesibo' })
  @ApiResponse({ status: 204, description: 'Ended, or was already ended: logging out is idempotent' })
  async logout(@Req() req: Request): Promise<void> {
    const token = bearerToken(req);
    if (!token) throw new InvalidTokenError();
    await this.sessions.end(token);
  }
}
