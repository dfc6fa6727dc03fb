import { ApiProperty } from '@nestjs/swagger';

export class OtpRequestedDto {
  @ApiProperty({ description: 'The normalized number the code was sent to' })
  phone!: string;

  @ApiProperty({ description: 'ISO 8601 time at which the code stops working' })
  expiresAt!: string;

  @ApiProperty({ description: 'Seconds before another code can be requested' })
  resendAfterSeconds!: number;
}
