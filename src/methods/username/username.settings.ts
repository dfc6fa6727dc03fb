import { IsOptional } from 'class-validator';
import { booleanSetting, IsBooleanSetting, readEnv, settingsFromEnvironment } from '../../config/env';

class UsernameEnv {
  @IsOptional()
  @IsBooleanSetting()
  USERNAME_LOGIN?: string;

  @IsOptional()
  @IsBooleanSetting()
  USERNAME_SELF_REGISTRATION?: string;
}

export interface UsernameSettings {
  /** Username and password accounts log in (`POST /v1/auth/username/login`). Default false. */
  enabled: boolean;
  /** Anyone may create an account (`POST /v1/auth/username/register`); else only operators (the CLI). Default false. */
  selfRegistration: boolean;
}

export function loadUsernameSettings(env: NodeJS.ProcessEnv): UsernameSettings {
  const vars = readEnv(UsernameEnv, env);
  const enabled = booleanSetting(vars.USERNAME_LOGIN, false);
  return { enabled, selfRegistration: enabled && booleanSetting(vars.USERNAME_SELF_REGISTRATION, false) };
}

export const usernameSettings = settingsFromEnvironment('username', loadUsernameSettings);
