import { Type } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional } from 'class-validator';
import { DomainErrorCode } from '../../common/errors';
import { TextField } from '../../common/text-field.decorator';

/**
 * The fields every login request carries besides the method's own credentials. A method's body
 * DTO extends this class, so both surfaces find `appid` and `device` in the same place.
 */
export class LoginRequest {
  @ApiProperty({ example: 'com.mesibo.firstapp', description: 'The app id the mesibo token is for' })
  @TextField('appid')
  @IsNotEmpty()
  appid!: string;

  @ApiPropertyOptional({ description: 'A name for the device, shown in the list of sessions' })
  @IsOptional()
  @TextField('device')
  device?: string;
}

/**
 * A login method as the surfaces see it. The method module registers one of these with the
 * LoginMethodRegistry when the method is configured; from then on `POST /v1/auth/<name>/login` and
 * the op API's `{op:"login", method:"<name>"}` prove identities with its Passport strategy.
 */
export interface LoginMethodDefinition {
  /** In the URL and the op API: a lowercase letter, then lowercase letters, digits or `-`; 32 at most. */
  name: string;
  /**
   * The Passport strategy that proves the identity. It reads the validated body (an instance of
   * `body`) from `req.body`, as Passport strategies do, and ends with a VerifiedIdentity.
   */
  strategy: string;
  /** The request body: its class-validator rules are the method's input rules, its Swagger decorators its documentation. */
  body: Type<LoginRequest>;
  /** One line for the API documentation. */
  summary: string;
  /** More documentation: which errors it answers with and when, what it needs configured. */
  description?: string;
  /** The codes its strategy refuses with (the OpenAPI document lists them with the login path's own). */
  problems?: readonly DomainErrorCode[];
}
