import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, Matches } from 'class-validator';
import { LoginRequest } from '../../../auth/methods/login-method';
import { TextField } from '../../../common/text-field.decorator';

/** `POST /v1/auth/ticket/login`: a ticket signed by a system the owner trusts (an intranet portal). */
export class TicketLoginDto extends LoginRequest {
  @ApiProperty({ example: 'ada', description: 'The user the ticket is for; becomes the mesibo address of a new user' })
  @TextField({ maxLength: 64, kind: 'line' })
  @IsNotEmpty()
  user!: string;

  @ApiProperty({ example: '1767225600', description: 'When the ticket expires, in seconds since 1970 (a string of digits)' })
  @Matches(/^\d{1,12}$/, { message: 'expires must be a time in seconds since 1970' })
  expires!: string;

  @ApiProperty({ description: 'base64url HMAC-SHA256 of `<user>\\n<expires>` with the shared secret' })
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'signature must be 43 base64url characters' })
  signature!: string;
}
