import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export class ReauthenticateCodeDto {
  @ApiPropertyOptional({ example: '18005551234', description: "One of the account's phones; the first one when absent" })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  phone?: string;
}

/** Either the password of the account's email login, or a code sent with `POST /v1/me/reauthenticate/code`. */
export class ReauthenticateDto extends ReauthenticateCodeDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ example: '123456' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(16)
  otp?: string;
}

export class ReauthenticatedDto {
  @ApiProperty({ description: 'ISO 8601 time until which this session may link and remove login methods' })
  recentUntil!: string;
}
