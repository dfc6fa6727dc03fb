import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { Request } from 'express';
import { Strategy } from 'passport-custom';
import { LoginMethodRegistry } from '../../auth/methods/login-method.registry';
import { VerifiedIdentity } from '../../auth/verified-identity';
import { Clock } from '../../common/clock';
import { InvalidCredentialsError } from '../../common/errors';
import { CounterStore } from '../../database/counter-store';
import { TicketLoginDto } from './dto/ticket-login.dto';
import { hasValidSignature } from './ticket-verifier';
import { ticketSettings } from './ticket.settings';

export const TICKET_METHOD = 'ticket';
const REFUSED = 'The ticket is not valid: wrong signature, expired, or used before.';

/**
 * Proves a login by a ticket another system signed with the shared secret: valid signature, not
 * expired, not valid for longer than the settings allow, and never used before (by any instance).
 */
@Injectable()
export class TicketStrategy extends PassportStrategy(Strategy, TICKET_METHOD) {
  constructor(
    @Inject(ticketSettings.KEY) private readonly settings: ConfigType<typeof ticketSettings>,
    private readonly counters: CounterStore,
    private readonly clock: Clock,
    registry: LoginMethodRegistry,
  ) {
    super();
    if (!settings.secret) return;
    registry.register({
      name: TICKET_METHOD,
      strategy: TICKET_METHOD,
      body: TicketLoginDto,
      summary: 'Log in with a ticket signed by a system you trust, and get a mesibo user access token',
      description: 'Answers 401 invalid_credentials for a bad signature, an expired or too long-lived ticket, and a ticket used before.',
      problems: ['invalid_credentials'],
    });
  }

  async validate(req: Request): Promise<VerifiedIdentity> {
    const { user, expires, signature } = req.body as TicketLoginDto;
    const secret = this.settings.secret ?? '';
    const secondsLeft = Number(expires) - Math.floor(this.clock.nowMs() / 1000);
    if (!hasValidSignature(secret, user, expires, signature)) throw new InvalidCredentialsError(REFUSED);
    if (secondsLeft <= 0 || secondsLeft > this.settings.maxAgeSeconds) throw new InvalidCredentialsError(REFUSED);
    // Single use: the first login with a ticket takes its only unit, until the ticket has expired anyway.
    const usedKey = `ticket-used:${signature}`;
    const use = await this.counters.take(usedKey, 1, secondsLeft);
    if (!use.granted) throw new InvalidCredentialsError(REFUSED);
    return {
      method: TICKET_METHOD,
      subject: user,
      address: user,
      verified: false,
      // A login that failed after the ticket was accepted (mesibo down) gives it back for a retry.
      restoreProof: () => this.counters.refund(usedKey),
    };
  }
}
