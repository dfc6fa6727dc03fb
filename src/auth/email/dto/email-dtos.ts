import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

// Lengths are checked loosely here (bad input is a 400) and precisely by the password policy.
const PASSWORD_FIELD_MAX = 1024;

export class EmailDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail({ require_tld: false })
  @MaxLength(254)
  email!: string;
}

export class RegisterDto extends EmailDto {
  @ApiProperty({
    description: '8 to 128 characters; not one of the most common passwords. Checked now; it is set when the address is confirmed (send it again with the code)',
  })
  @IsString()
  @MaxLength(PASSWORD_FIELD_MAX)
  password!: string;

  @ApiPropertyOptional({ description: 'Display name' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string;
}

export class EmailCodeDto extends EmailDto {
  @ApiProperty({ example: '123456', description: 'The code from the email' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(16)
  code!: string;
}

/** Confirming an address takes the code, which proves the mailbox, and sets the password given with it. */
export class ConfirmEmailDto extends EmailCodeDto {
  @ApiProperty({ description: 'The password of the email login, set now (8 to 128 characters; not one of the most common passwords)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_FIELD_MAX)
  password!: string;
}

export class VerifyEmailDto extends ConfirmEmailDto {
  @ApiPropertyOptional({ description: 'Display name; replaces the one given when registering' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string;
}

export class EmailLoginDto extends EmailDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_FIELD_MAX)
  password!: string;

  @ApiProperty({ example: 'com.mesibo.firstapp' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  appid!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(255)
  device?: string;
}

export class ResetPasswordDto extends EmailCodeDto {
  @ApiProperty({ description: 'The new password' })
  @IsString()
  @MaxLength(PASSWORD_FIELD_MAX)
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_FIELD_MAX)
  currentPassword!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(PASSWORD_FIELD_MAX)
  newPassword!: string;
}

export class LinkEmailDto extends EmailDto {
  @ApiProperty({ description: 'Checked against the password policy now; the password given with the code is the one set' })
  @IsString()
  @MaxLength(PASSWORD_FIELD_MAX)
  password!: string;
}
