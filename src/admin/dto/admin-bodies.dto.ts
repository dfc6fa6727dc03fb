import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional } from 'class-validator';
import { TextField } from '../../common/text-field.decorator';

export class CreateUsernameAccountDto {
  @ApiProperty({ description: '3 to 64 characters of a-z, digits and . _ - (inside), with a letter; read lowercased', example: 'ada' })
  @IsNotEmpty()
  @TextField({ maxLength: 64, kind: 'line' })
  username!: string;

  @ApiProperty({ description: 'Checked against the password policy (PASSWORD_*)' })
  @IsNotEmpty()
  @TextField('password')
  password!: string;

  @ApiPropertyOptional({ description: 'The display name', example: 'Ada Lovelace' })
  @IsOptional()
  @TextField('name')
  name?: string;
}
