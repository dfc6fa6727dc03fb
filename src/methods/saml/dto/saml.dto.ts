import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional } from 'class-validator';
import { TextField } from '../../../common/text-field.decorator';

export class StartSamlLoginQueryDto {
  @ApiProperty({ example: 'com.mesibo.firstapp', description: 'The app the mesibo token is for' })
  @TextField('appid')
  @IsNotEmpty()
  appid!: string;

  @ApiPropertyOptional({
    description:
      'Where to send the browser afterwards, with the result in the fragment (#token=…&expires_at=…&address=…, or #error=…); one of SAML_RETURN_URLS exactly. Without it, the ACS answers with JSON.',
    example: 'https://chat.example.com/login-done',
  })
  @IsOptional()
  @TextField('returnTo')
  return_to?: string;
}

/** The identity provider's form POST to our ACS (HTTP-POST binding). */
export class SamlAcsFormDto {
  @ApiProperty({ description: "The identity provider's base64 Response" })
  // Line-wrapped base64 is allowed; BODY_LIMIT bounds it first.
  @TextField({ maxLength: 1024 * 1024, kind: 'text' })
  @IsNotEmpty()
  SAMLResponse!: string;

  @ApiProperty({ description: 'The RelayState we sent with the AuthnRequest: the login it answers' })
  @TextField({ maxLength: 80, kind: 'line' })
  @IsNotEmpty()
  RelayState!: string;
}
