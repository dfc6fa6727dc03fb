import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { readEnv, settingsFromEnvironment } from '../../config/env';

class TicketEnv {
  /** The key the issuing system signs tickets with; the method is off while it is unset. */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'TICKET_LOGIN_SECRET must be at least 32 characters (a random key shared with the issuing system)' })
  TICKET_LOGIN_SECRET?: string;

  @Type(() => Number)
  @IsInt({ message: 'TICKET_LOGIN_MAX_AGE_SECONDS must be a whole number of seconds' })
  @Min(10, { message: 'TICKET_LOGIN_MAX_AGE_SECONDS must be at least 10' })
  @Max(3600, { message: 'TICKET_LOGIN_MAX_AGE_SECONDS must be at most 3600 (an hour)' })
  TICKET_LOGIN_MAX_AGE_SECONDS: number = 300;
}

export interface TicketSettings {
  /** Undefined when the method is off. */
  secret?: string;
  /** A ticket expiring later than this from now is refused: the issuer must keep them short-lived. */
  maxAgeSeconds: number;
}

export function loadTicketSettings(env: NodeJS.ProcessEnv): TicketSettings {
  const vars = readEnv(TicketEnv, env);
  return { secret: vars.TICKET_LOGIN_SECRET, maxAgeSeconds: vars.TICKET_LOGIN_MAX_AGE_SECONDS };
}

export const ticketSettings = settingsFromEnvironment('ticket', loadTicketSettings);
