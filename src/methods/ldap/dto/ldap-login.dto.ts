import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty } from 'class-validator';
import { LoginRequest } from '../../../auth/methods/login-method';
import { TextField } from '../../../common/text-field.decorator';

/** `POST /v1/auth/ldap/login`: a username and password of the organisation's directory. */
export class LdapLoginDto extends LoginRequest {
  @ApiProperty({ example: 'ada', description: 'The directory username (uid, sAMAccountName, userPrincipalName or mail, as configured)' })
  @TextField({ maxLength: 256, kind: 'line' })
  @IsNotEmpty()
  username!: string;

  @ApiProperty({ format: 'password', description: 'The directory password; never empty' })
  @TextField('password')
  @IsNotEmpty()
  password!: string;
}
