import { Clock } from '../common/clock';
import { RateLimitedError } from '../common/errors';
import { PasswordConfig } from '../config/password.config';
import { CounterStore, secondsUntil } from '../database/counter-store';

export interface FailureBudgetPolicy {
  /** Prefix of the counter keys, e.g. `otp-failures:sms`. */
  name: string;
  /** Failures one client may cause against one subject per window. */
  perClient: number;
  /** Failures against one subject per window from all clients together. */
  perSubject: number;
  /** The subject's window, and a client's first window. */
  windowSeconds: number;
  /** A client's window doubles each time it spends its budget, up to this. */
  maxClientWindowSeconds: number;
  /** What the refusal says, e.g. `Too many wrong codes.` */
  refusal: string;
}

/** A claimed failure unit; give it back when the attempt turned out right. */
export interface FailureClaim {
  refund(): Promise<void>;
}

const STRIKE_MEMORY_SECONDS = 24 * 3600;

/**
 * A wrong-guess budget (codes, passwords) that an attacker cannot cheaply turn against the owner.
 *
 * Every attempt claims one unit from two budgets before anything is compared: one per
 * (subject, client), small, and one per subject, large (at most 100, as NIST SP 800-63B allows).
 * So one client runs out long before the subject does, and the owner, from another client, still
 * gets in. A client that spends its budget again and again waits twice as long each time.
 * A right attempt refunds both units: only failures count.
 */
export class FailureBudget {
  constructor(
    private readonly counters: CounterStore,
    private readonly clock: Clock,
    private readonly policy: FailureBudgetPolicy,
  ) {}

  /** Claims one attempt for `client` against `subject`; RateLimitedError when either budget is spent. */
  async claim(subject: string, client: string): Promise<FailureClaim> {
    const { name, perClient, perSubject, windowSeconds } = this.policy;
    const clientKey = `${name}:${subject}:by:${client}`;
    const strikesKey = `${name}-strikes:${subject}:by:${client}`;
    const subjectKey = `${name}:${subject}`;

    const strikes = (await this.counters.get(strikesKey)).value;
    const clientWindow = Math.min(this.policy.maxClientWindowSeconds, windowSeconds * 2 ** strikes);
    const byClient = await this.counters.take(clientKey, perClient, clientWindow);
    if (!byClient.granted) throw this.refused(byClient.expiresAt);
    // The unit that empties the client's budget is a strike: its next window will be longer.
    if (byClient.value === perClient) await this.counters.increment(strikesKey, STRIKE_MEMORY_SECONDS);

    const bySubject = await this.counters.take(subjectKey, perSubject, windowSeconds);
    if (!bySubject.granted) {
      await this.counters.refund(clientKey);
      // The subject's own budget: it is locked for everyone until the window ends.
      throw this.refused(bySubject.expiresAt, `${name}-lockout`);
    }
    return {
      refund: () => this.counters.refund(clientKey, subjectKey),
    };
  }

  /** Forgets every failure against `subject` (after its owner proved control, e.g. by a reset). */
  async forgive(subject: string): Promise<void> {
    await this.counters.reset(`${this.policy.name}:${subject}`);
  }

  private refused(until: number, kind = this.policy.name): RateLimitedError {
    const wait = secondsUntil(until, this.clock.nowMs());
    const minutes = Math.ceil(wait / 60);
    return new RateLimitedError(`${this.policy.refusal} Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, wait, kind);
  }
}

/**
 * The wrong-password budget of a login method, under the PASSWORD_* settings: every method that
 * checks a password (email, username, LDAP, RADIUS) limits it alike. `name` keeps each method's
 * counters apart.
 */
export function passwordFailureBudget(counters: CounterStore, clock: Clock, password: PasswordConfig, name: string): FailureBudget {
  return new FailureBudget(counters, clock, {
    name,
    perClient: password.maxFailuresPerClientPerWindow,
    perSubject: password.maxFailuresPerWindow,
    windowSeconds: password.failureWindowSeconds,
    maxClientWindowSeconds: password.maxFailureBackoffSeconds,
    refusal: 'Too many wrong passwords.',
  });
}
