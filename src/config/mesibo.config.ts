import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import { isProduction, readEnv, throwIfProblems } from './env';

class MesiboEnv {
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'MESIBO_API_URL must be an http(s) URL such as https://api.mesibo.com/backend/' },
  )
  MESIBO_API_URL: string = 'https://api.mesibo.com/backend/';

  @IsOptional()
  @IsString()
  @MinLength(8)
  MESIBO_APP_TOKEN?: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  MESIBO_TOKEN_EXPIRY_MINUTES: number = 525600;

  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(120000)
  MESIBO_TIMEOUT_MS: number = 5000;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10)
  MESIBO_RETRIES: number = 2;

  @IsString()
  MESIBO_TOKEN_REVOKE_OP: string = 'usertokendel';

  /** Port of the built-in simulator (no MESIBO_APP_TOKEN); 0: any free port. */
  @Type(() => Number)
  @IsInt({ message: 'MESIBO_SIMULATOR_PORT must be a port number from 0 to 65535 (0: any free port)' })
  @Min(0, { message: 'MESIBO_SIMULATOR_PORT must be a port number from 0 to 65535 (0: any free port)' })
  @Max(65535, { message: 'MESIBO_SIMULATOR_PORT must be a port number from 0 to 65535 (0: any free port)' })
  MESIBO_SIMULATOR_PORT: number = 0;
}

export interface MesiboConfig {
  apiUrl: string;
  /** Unset only outside production, where start-up runs the local simulator instead. */
  appToken?: string;
  tokenExpiryMinutes: number;
  timeoutMs: number;
  retries: number;
  /** The backend op used to revoke a user token at logout; `none` skips the call. */
  tokenRevokeOp: string;
}

export function loadMesiboConfig(env: NodeJS.ProcessEnv = process.env): MesiboConfig {
  const problems: string[] = [];
  const vars = readEnv(MesiboEnv, env, problems);
  if (vars.MESIBO_APP_TOKEN === undefined && isProduction(env)) {
    problems.push('MESIBO_APP_TOKEN must be set in production (the App Token from the mesibo console)');
  }
  throwIfProblems(problems);
  return {
    apiUrl: vars.MESIBO_API_URL,
    appToken: vars.MESIBO_APP_TOKEN,
    tokenExpiryMinutes: vars.MESIBO_TOKEN_EXPIRY_MINUTES,
    timeoutMs: vars.MESIBO_TIMEOUT_MS,
    retries: vars.MESIBO_RETRIES,
    tokenRevokeOp: vars.MESIBO_TOKEN_REVOKE_OP,
  };
}

/**
 * Where the built-in simulator listens when there is no App Token (0: any free port). Validated
 * with the namespace above at start-up; apart from it because only start-up needs it, never the
 * service's mesibo client.
 */
export function loadBuiltInSimulatorPort(env: NodeJS.ProcessEnv = process.env): number {
  return readEnv(MesiboEnv, env).MESIBO_SIMULATOR_PORT;
}

export const mesiboConfig = registerAs('mesibo', () => loadMesiboConfig());

class MesiboAccountsEnv {
  /** The backend op that deletes a user at mesibo when their account is deleted; `none` skips it. */
  @Matches(/^[a-z][a-z0-9_]{0,31}$/, { message: 'MESIBO_USER_DELETE_OP must be a mesibo op name such as userdel (lowercase letters, digits, _), or none' })
  MESIBO_USER_DELETE_OP: string = 'userdel';
}

/** What deleting an account asks of mesibo. */
export interface MesiboAccountsConfig {
  /** The backend op that deletes a user at mesibo; `none` skips the call. */
  userDeleteOp: string;
}

/** A namespace of its own: only account deletion reads it, never the mesibo client. */
export function loadMesiboAccountsConfig(env: NodeJS.ProcessEnv = process.env): MesiboAccountsConfig {
  return { userDeleteOp: readEnv(MesiboAccountsEnv, env).MESIBO_USER_DELETE_OP };
}

export const mesiboAccountsConfig = registerAs('mesiboAccounts', () => loadMesiboAccountsConfig());
