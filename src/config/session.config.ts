import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { readEnv } from './env';

/** Rules of logged-in sessions. */
class SessionEnv {
  /**
   * How long a proof of the account (a login, a password, a code) lets a session change how the
   * account logs in: link or remove a method. Older sessions must prove the account again first.
   */
  @Type(() => Number)
  @IsInt()
  @Min(30)
  @Max(86400)
  RECENT_PROOF_SECONDS: number = 300;
}

export interface SessionConfig {
  recentProofSeconds: number;
}

export function loadSessionConfig(env: NodeJS.ProcessEnv = process.env): SessionConfig {
  const vars = readEnv(SessionEnv, env);
  return { recentProofSeconds: vars.RECENT_PROOF_SECONDS };
}

export const sessionConfig = registerAs('session', () => loadSessionConfig());
