import { registerAs } from '@nestjs/config';
import { IsBooleanString, IsEmail, IsIn, IsOptional, Matches } from 'class-validator';
import { ConfigError, isProduction, readEnv } from './env';

class EmailEnv {
  /** Email + password login (register, verify, log in, reset). */
  @IsOptional()
  @IsBooleanString()
  EMAIL_LOGIN?: string;

  @IsIn(['console', 'smtp'])
  EMAIL_SENDER: string = 'console';

  @IsOptional()
  @Matches(/^smtps?:\/\//, { message: 'SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465' })
  SMTP_URL?: string;

  @IsEmail({ allow_display_name: true, require_tld: false })
  EMAIL_FROM: string = 'Messenger <no-reply@localhost>';
}

export type EmailSenderKind = 'console' | 'smtp';

export interface EmailConfig {
  loginEnabled: boolean;
  sender: EmailSenderKind;
  /** May hold credentials: never log it. */
  smtpUrl?: string;
  from: string;
}

export function loadEmailConfig(env: NodeJS.ProcessEnv = process.env): EmailConfig {
  const vars = readEnv(EmailEnv, env);
  const loginEnabled = vars.EMAIL_LOGIN !== 'false';
  if (vars.EMAIL_SENDER === 'smtp' && vars.SMTP_URL === undefined) {
    throw new ConfigError('Invalid configuration: SMTP_URL must be set when EMAIL_SENDER=smtp');
  }
  if (loginEnabled && isProduction(env) && vars.EMAIL_SENDER === 'console') {
    throw new ConfigError(
      'Invalid configuration: EMAIL_SENDER=console only prints codes to the log and is refused in production; set EMAIL_SENDER=smtp and SMTP_URL, or EMAIL_LOGIN=false',
    );
  }
  return { loginEnabled, sender: vars.EMAIL_SENDER as EmailSenderKind, smtpUrl: vars.SMTP_URL, from: vars.EMAIL_FROM };
}

export const emailConfig = registerAs('email', () => loadEmailConfig());
