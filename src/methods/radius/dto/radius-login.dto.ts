import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsByteLength, IsNotEmpty, ValidateBy, ValidateIf } from 'class-validator';
import { LoginRequest } from '../../../auth/methods/login-method';
import { TextField } from '../../../common/text-field.decorator';

/** RFC 2865 §5.2: User-Password holds at most 128 octets. */
const MAX_PASSWORD_BYTES = 128;
/** An attribute's value holds at most 253 octets. */
const MAX_USERNAME_BYTES = 253;

/**
 * `POST /v1/auth/radius/login`, in one or two steps. First `username` and `password`; when the
 * RADIUS server wants a second factor, the answer is 401 `challenge_required` with a `state` and
 * the server's prompt, and the client sends `username`, that `state` and the `response` (a token
 * code) to the same route.
 */
export class RadiusLoginDto extends LoginRequest {
  @ApiProperty({ example: 'ada', description: 'The user name at the RADIUS server' })
  @TextField({ maxLength: 128, kind: 'line' })
  @IsByteLength(1, MAX_USERNAME_BYTES, { message: `username must be 1 to ${MAX_USERNAME_BYTES} bytes long in UTF-8` })
  @IsNotEmpty()
  username!: string;

  @ApiPropertyOptional({ description: 'The password: the first step. Not sent with `state`.' })
  @ValidateIf((body: RadiusLoginDto) => body.state === undefined || body.password !== undefined)
  @ValidateBy({
    name: 'notWithState',
    validator: {
      validate: (_value: unknown, args) => (args?.object as RadiusLoginDto | undefined)?.state === undefined,
      defaultMessage: () => 'password must not be sent with state: the answer to a challenge is state and response',
    },
  })
  @TextField({ maxLength: MAX_PASSWORD_BYTES, kind: 'text' })
  @IsByteLength(1, MAX_PASSWORD_BYTES, { message: `password must be 1 to ${MAX_PASSWORD_BYTES} bytes long in UTF-8` })
  @IsNotEmpty({ message: 'password must be sent (or state and response, to answer a challenge)' })
  password?: string;

  @ApiPropertyOptional({ description: 'The `state` of the challenge being answered, exactly as received' })
  @ValidateIf((body: RadiusLoginDto) => body.state !== undefined || body.response !== undefined)
  @TextField({ maxLength: 1024, kind: 'line' })
  @IsNotEmpty({ message: 'state must be sent with response: the state of the challenge answered' })
  state?: string;

  @ApiPropertyOptional({ example: '123456', description: 'The answer to the challenge, such as a token code' })
  @ValidateIf((body: RadiusLoginDto) => body.state !== undefined || body.response !== undefined)
  @TextField({ maxLength: MAX_PASSWORD_BYTES, kind: 'text' })
  @IsByteLength(1, MAX_PASSWORD_BYTES, { message: `response must be 1 to ${MAX_PASSWORD_BYTES} bytes long in UTF-8` })
  @IsNotEmpty({ message: 'response must be sent with state: the answer to the challenge' })
  response?: string;
}
