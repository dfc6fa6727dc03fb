import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Clock } from '../../common/clock';
import { CounterStore } from '../../database/counter-store';
import { refusedAnswer } from './saml-refusal';
import { AcceptedAssertion } from './saml-response-checks';

/**
 * Each assertion logs in once, on any instance: its use is claimed on the shared counter store (a
 * budget of one, keyed by the SHA-256 of issuer and assertion ID) for as long as it would be
 * accepted, so a replay is refused even where its login state could be had again. The login state
 * is single-use too; this is the check that does not depend on it.
 */
@Injectable()
export class SamlAssertionUses {
  private readonly logger = new Logger(SamlAssertionUses.name);

  constructor(
    private readonly counters: CounterStore,
    private readonly clock: Clock,
  ) {}

  async claim(assertion: AcceptedAssertion): Promise<void> {
    const key = `saml-assertion:${createHash('sha256').update(`${assertion.issuer}\n${assertion.id}`, 'utf8').digest('hex')}`;
    const seconds = Math.max(1, Math.ceil((assertion.acceptableUntilMs - this.clock.nowMs()) / 1000));
    const { granted } = await this.counters.take(key, 1, seconds);
    if (!granted) {
      this.logger.warn('SAML response refused: its assertion was used already (a replay)');
      throw refusedAnswer();
    }
  }
}
