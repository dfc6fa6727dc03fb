import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional } from 'class-validator';
import { LoginRequest } from '../../../auth/methods/login-method';
import { TextField } from '../../../common/text-field.decorator';
import { USERNAME_RULE } from '../username';

const USERNAME_FIELD = { maxLength: 64, kind: 'line' } as const;

/** `POST /v1/auth/username/login`. */
export class UsernameLoginDto extends LoginRequest {
  @ApiProperty({ example: 'ada', description: 'Any case; `Ada` and `ada` are one account' })
  @TextField(USERNAME_FIELD)
  @IsNotEmpty()
  username!: string;

  @ApiProperty()
  @TextField('password')
  @IsNotEmpty()
  password!: string;
}

/** `POST /v1/auth/username/register`, when USERNAME_SELF_REGISTRATION is on. */
export class UsernameRegisterDto {
  @ApiProperty({ example: 'ada', description: USERNAME_RULE })
  @TextField(USERNAME_FIELD)
  @IsNotEmpty()
  username!: string;

  @ApiProperty({ description: '8 to 128 characters; not one of the most common passwords, nor the username' })
  @TextField('password')
  @IsNotEmpty()
  password!: string;

  @ApiPropertyOptional({ description: 'Display name' })
  @IsOptional()
  @TextField('name')
  name?: string;
}

export class UsernameCreatedDto {
  @ApiProperty({ example: 'ada', description: 'The username as stored (lowercase)' })
  username!: string;
}
