import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty } from 'class-validator';
import { TextField } from '../../common/text-field.decorator';

export class RequestOtpDto {
  @ApiProperty({ example: '18005551234', description: 'International number; +, spaces and dashes are allowed' })
  @TextField('phone')
  @IsNotEmpty()
  phone!: string;

  @ApiProperty({ example: 'com.mesibo.firstapp', description: 'Android package name, iOS bundle id, or any id for web' })
  @TextField('appid')
  @IsNotEmpty()
  appid!: string;
}
