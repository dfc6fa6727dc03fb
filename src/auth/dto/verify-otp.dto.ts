import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional } from 'class-validator';
import { TextField } from '../../common/text-field.decorator';
import { RequestOtpDto } from './request-otp.dto';

export class VerifyOtpDto extends RequestOtpDto {
  @ApiProperty({ example: '123456' })
  @TextField('otp')
  @IsNotEmpty()
  otp!: string;

  @ApiPropertyOptional({ description: 'A device identifier, kept with the session' })
  @IsOptional()
  @TextField('device')
  device?: string;

  @ApiPropertyOptional({ description: 'Display name for a new user' })
  @IsOptional()
  @TextField('name')
  name?: string;
}
