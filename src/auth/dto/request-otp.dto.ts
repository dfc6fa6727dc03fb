import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class RequestOtpDto {
  @ApiProperty({ example: '18005551234', description: 'International number; +, spaces and dashes are allowed' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  phone!: string;

  @ApiProperty({ example: 'com.mesibo.firstapp', description: 'Android package name, iOS bundle id, or any id for web' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  appid!: string;
}
