import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty } from 'class-validator';
import { TextField } from '../../common/text-field.decorator';

export class LinkPhoneDto {
  @ApiProperty({ example: '18005551234' })
  @TextField('phone')
  @IsNotEmpty()
  phone!: string;
}

export class VerifyLinkPhoneDto extends LinkPhoneDto {
  @ApiProperty({ example: '123456' })
  @TextField('otp')
  @IsNotEmpty()
  otp!: string;
}
