import { Body, Controller, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { clientConfig } from '../../config';
import { LoginResponseDto, toLoginResponse } from '../dto/login-response.dto';
import { MethodLoginService } from './method-login.service';
import { ApiProblems, LOGIN_COMPLETION_PROBLEMS } from '../../common/api-problems';

/**
 * `POST /v1/auth/<method>/login` for every registered method. The body's type depends on the
 * method, so it is validated by MethodLoginService, not by the global pipe; the OpenAPI document
 * lists one operation per registered method instead of this route (see api-docs.ts).
 */
@Controller('v1/auth')
export class LoginMethodsController {
  constructor(
    private readonly methodLogin: MethodLoginService,
    @Inject(clientConfig.KEY) private readonly client: ConfigType<typeof clientConfig>,
  ) {}

  @Post(':method/login')
  @HttpCode(200)
  @ApiExcludeEndpoint()
  // The document lists one operation per method, with these and the codes the method names.
  @ApiProblems(...LOGIN_COMPLETION_PROBLEMS)
  async login(
    @Param('method') method: string,
    @Body() fields: Record<string, unknown>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<LoginResponseDto> {
    const login = await this.methodLogin.login(method, { fields, unknownFields: 'refuse' }, req, res);
    return toLoginResponse(login, this.client);
  }
}
