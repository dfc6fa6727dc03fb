import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional } from 'class-validator';
import { TextField } from '../../../common/text-field.decorator';
import { LoginRequest } from '../../methods/login-method';

export class EmailDto {
  @ApiProperty({ example: 'ada@example.com' })
  @TextField('email')
  // Whether it is an address is normalizeEmail's to say: one rule on every surface (it trims, reads Unicode domains).
  email!: string;
}

export class RegisterDto extends EmailDto {
  @ApiProperty({
    description: '8 to 128 characters; not one of the most common passwords. Checked now; it is set when the address is confirmed (send it again with the code)',
  })
  @TextField('password')
  password!: string;

  @ApiPropertyOptional({ description: 'Display name' })
  @IsOptional()
  @TextField('name')
  name?: string;
}

export class EmailCodeDto extends EmailDto {
  @ApiProperty({ example: '123456', description: 'The code from the email' })
  @TextField('code')
  @IsNotEmpty()
  code!: string;
}

/** Confirming an address takes the code, which proves the mailbox, and sets the password given with it. */
export class ConfirmEmailDto extends EmailCodeDto {
  @ApiProperty({ description: 'The password of the email login, set now (8 to 128 characters; not one of the most common passwords)' })
  @TextField('password')
  @IsNotEmpty()
  password!: string;
}

export class VerifyEmailDto extends ConfirmEmailDto {
  @ApiPropertyOptional({ description: 'Display name; replaces the one given when registering' })
  @IsOptional()
  @TextField('name')
  name?: string;
}

/** `POST /v1/auth/email/login`, the `email` login method. */
export class EmailLoginDto extends LoginRequest {
  @ApiProperty({ example: 'ada@example.com' })
  @TextField('email')
  email!: string;

  @ApiProperty()
  @TextField('password')
  @IsNotEmpty()
  password!: string;
}

export class ResetPasswordDto extends EmailCodeDto {
  @ApiProperty({ description: 'The new password' })
  @TextField('password')
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @TextField('password')
  @IsNotEmpty()
  currentPassword!: string;

  @ApiProperty()
  @TextField('password')
  newPassword!: string;
}

export class LinkEmailDto extends EmailDto {
  @ApiProperty({ description: 'Checked against the password policy now; the password given with the code is the one set' })
  @TextField('password')
  password!: string;
}
