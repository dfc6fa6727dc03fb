import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional } from 'class-validator';
import { TextField } from '../../common/text-field.decorator';

export class StartOidcLoginQueryDto {
  @ApiProperty({ example: 'com.mesibo.firstapp', description: 'The app the mesibo token is for' })
  @TextField('appid')
  @IsNotEmpty()
  appid!: string;

  @ApiPropertyOptional({
    description:
      'Where to send the browser afterwards, with the result in the fragment (#token=…&expires_at=…&address=…, or #error=…); one of OIDC_RETURN_URLS exactly. Without it, the callback answers with JSON.',
    example: 'https://chat.example.com/login-done',
  })
  @IsOptional()
  @TextField('returnTo')
  return_to?: string;
}

export class LinkOidcDto {
  @ApiProperty({ description: "An ID token the app got from the provider's SDK" })
  @TextField('idToken')
  @IsNotEmpty()
  idToken!: string;

  @ApiPropertyOptional({
    description: 'The nonce the app put in the token (the claim is this value, or its SHA-256 in hex); required unless the provider has REQUIRE_NONCE=false',
  })
  @IsOptional()
  @TextField('nonce')
  @IsNotEmpty()
  nonce?: string;
}

export class IdTokenLoginDto extends LinkOidcDto {
  @ApiProperty({ example: 'com.mesibo.firstapp' })
  @TextField('appid')
  @IsNotEmpty()
  appid!: string;

  @ApiPropertyOptional({ description: 'A device identifier, kept with the session' })
  @IsOptional()
  @TextField('device')
  device?: string;
}
