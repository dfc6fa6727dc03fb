import { registerAs } from '@nestjs/config';
import { IsEmail, IsIn, IsOptional, Matches } from 'class-validator';
import { booleanSetting, codePrintingAllowed, IsBooleanSetting, isProduction, readEnv, throwIfProblems } from './env';

class EmailEnv {
  /** Email + password login (register, verify, log in, reset). */
  @IsOptional()
  @IsBooleanSetting()
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
  const problems: string[] = [];
  const vars = readEnv(EmailEnv, env, problems);
  const loginEnabled = booleanSetting(vars.EMAIL_LOGIN, true);
  if (vars.EMAIL_SENDER === 'smtp' && vars.SMTP_URL === undefined) {
    problems.push('SMTP_URL must be set when EMAIL_SENDER=smtp');
  }
  if (loginEnabled && vars.EMAIL_SENDER === 'console') {
    if (isProduction(env)) {
      problems.push(
        'EMAIL_SENDER=console only prints codes to the log and is refused in production; set EMAIL_SENDER=smtp and SMTP_URL, or EMAIL_LOGIN=false',
      );
    } else if (!codePrintingAllowed(env)) {
      problems.push(
        'EMAIL_SENDER=console prints codes to the log, and MESIBO_APP_TOKEN is a real App Token: set EMAIL_SENDER=smtp (or EMAIL_LOGIN=false), or DEV_PRINT_CODES=true if this is a development machine',
      );
    }
  }
  throwIfProblems(problems);
  return { loginEnabled, sender: vars.EMAIL_SENDER as EmailSenderKind, smtpUrl: vars.SMTP_URL, from: vars.EMAIL_FROM };
}

export const emailConfig = registerAs('email', () => loadEmailConfig());
