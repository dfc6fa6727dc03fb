import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { RequestOtpDto } from './request-otp.dto';

export class VerifyOtpDto extends RequestOtpDto {
  @ApiProperty({ example: '123456' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(16)
  otp!: string;

  @ApiPropertyOptional({ description: 'A device identifier, kept with the session' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  device?: string;

  @ApiPropertyOptional({ description: 'Display name for a new user' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string;
}
