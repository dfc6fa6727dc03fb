import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class LinkPhoneDto {
  @ApiProperty({ example: '18005551234' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  phone!: string;
}

export class VerifyLinkPhoneDto extends LinkPhoneDto {
  @ApiProperty({ example: '123456' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(16)
  otp!: string;
}
