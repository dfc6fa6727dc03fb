import { Inject, Injectable, Optional } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { InvalidCodeError, RateLimitedError } from '../common/errors';
import { Metrics } from '../metrics/metrics';
import { AuditTrail } from '../audit/audit-trail';
import { otpConfig } from '../config';
import { CounterStore, secondsUntil } from '../database/counter-store';
import { FailureBudget } from '../limits/failure-budget';
import { generateCode, hashCode, hashesEqual } from './otp-code';
import { composeOtpMessage } from './otp-messages';
import { OtpChannel, OtpRepository } from './otp.repository';
import { OtpSender } from './senders/otp-sender';
import { SmsSendPolicy } from './sms-send-policy';
import { TestNumbers } from './test-numbers';

export interface IssuedCode {
  expiresAt: Date;
  /** Seconds before another code may be requested. */
  resendAfterSeconds: number;
}

/** A right code, used up. `restore` puts it back when what it was for failed on our side. */
export interface RedeemedCode {
  restore(): Promise<void>;
}

/** Who asks, when the surface does not know (a background job, a unit test). */
export const UNKNOWN_CLIENT = 'unknown';

/**
 * One-time codes: issuing (cooldown, send budgets, delivery) and checking (expiry, tries per code,
 * wrong-try budgets per destination and per client). Every budget is claimed before the work it
 * guards: a code is sent only when the cooldown and the send budgets granted a unit, and compared
 * only when the per-code tries and the wrong-try budgets granted one. Every rule reads the injected clock.
 */
@Injectable()
export class OtpService {
  private readonly failureBudgets = new Map<OtpChannel, FailureBudget>();

  constructor(
    private readonly challenges: OtpRepository,
    private readonly counters: CounterStore,
    private readonly sender: OtpSender,
    private readonly clock: Clock,
    @Inject(otpConfig.KEY) private readonly config: ConfigType<typeof otpConfig>,
    @Optional() private readonly smsPolicy?: SmsSendPolicy,
    @Optional() private readonly metrics?: Metrics,
    @Optional() private readonly audit?: AuditTrail,
    @Optional() private readonly testNumbers?: TestNumbers,
  ) {}

  /**
   * Sends a new code to `destination`. `requester` identifies who asks (the client's address
   * key), so one client cannot have codes sent to many destinations.
   */
  async issue(channel: OtpChannel, destination: string, requester?: string): Promise<IssuedCode> {
    const claimed: string[] = [];
    const testCode = channel === 'sms' ? this.testNumbers?.codeFor(destination) : undefined;
    try {
      // The cooldown is a budget of one: of a burst of requests for one destination, one sends.
      if (this.config.resendCooldownSeconds > 0) {
        await this.claim(claimed, `otp-cooldown:${channel}:${destination}`, 1, this.config.resendCooldownSeconds, 'Wait before requesting another code.');
      }
      await this.claim(claimed, `otp-sends:${channel}:${destination}`, this.config.maxSendsPerWindow, this.config.sendWindowSeconds);
      if (requester) {
        await this.claim(claimed, `otp-sends-by:${requester}`, this.config.maxSendsPerRequesterPerWindow, this.config.sendWindowSeconds);
      }
      // Last, as its budgets are global: number types, countries, and SMS per hour overall and per
      // country. A test number is sent nothing, so it spends none of them.
      if (channel === 'sms' && testCode === undefined) await this.smsPolicy?.admit(destination);
    } catch (error) {
      await this.counters.refund(...claimed);
      await this.codeRequested(channel, error instanceof RateLimitedError ? 'rate_limited' : 'failed', requester);
      throw error;
    }

    const code = testCode ?? generateCode(this.config.length);
    const now = this.clock.nowMs();
    const expiresAt = now + this.config.ttlSeconds * 1000;
    let id: string | undefined;
    try {
      id = await this.challenges.replace({
        channel,
        destination,
        code_hash: hashCode(this.config.secret, channel, destination, code),
        created_at: now,
        expires_at: expiresAt,
      });
      if (testCode === undefined) {
        const words = composeOtpMessage(channel, code, this.config.messageTemplate, Math.round(this.config.ttlSeconds / 60));
        await this.sender.send({ channel, to: destination, code, ...words });
      }
    } catch (error) {
      // Undelivered: drop it and give the units back, so the user can ask again at once.
      if (id) await this.challenges.consume(id);
      await this.counters.refund(...claimed);
      if (channel === 'sms' && testCode === undefined) await this.smsPolicy?.release(destination);
      await this.codeRequested(channel, 'failed', requester);
      throw error;
    }
    await this.codeRequested(channel, testCode === undefined ? 'sent' : 'test-number', requester);
    return { expiresAt: new Date(expiresAt), resendAfterSeconds: this.config.resendCooldownSeconds };
  }

  /**
   * Uses up `code` when it is the pending code for the destination; throws otherwise. `client`
   * (the caller's address key) has a wrong-try budget of its own against the destination, smaller
   * than the destination's, so a stranger cannot lock the owner out.
   */
  async verify(channel: OtpChannel, destination: string, code: string, client: string = UNKNOWN_CLIENT): Promise<RedeemedCode> {
    const failure = await this.failureBudget(channel).claim(destination, client);

    // One of the code's own tries, taken before comparing: concurrent guesses cannot exceed them.
    const attempt = await this.challenges.claimAttempt(channel, destination, this.config.maxAttempts, this.clock.nowMs());
    if (attempt.outcome === 'expired') await this.challenges.consume(attempt.challenge.id);
    if (attempt.outcome !== 'claimed') throw new InvalidCodeError(attempt.outcome);
    const challenge = attempt.challenge;

    const offered = hashCode(this.config.secret, channel, destination, code);
    if (!hashesEqual(offered, challenge.code_hash)) throw new InvalidCodeError('wrong');

    // Of concurrent right guesses, only the one that deletes the code has it.
    if (!(await this.challenges.consume(challenge.id))) throw new InvalidCodeError('used_up');
    await failure.refund();
    if (channel === 'sms' && this.testNumbers?.codeFor(destination) !== undefined) {
      await this.audit?.record({ type: 'test-number.used', method: 'phone', outcome: 'accepted', client });
    }
    // Put back as it was before this try.
    return { restore: () => this.challenges.restore({ ...challenge, attempts: Number(challenge.attempts) - 1 }) };
  }

  private failureBudget(channel: OtpChannel): FailureBudget {
    let budget = this.failureBudgets.get(channel);
    if (!budget) {
      budget = new FailureBudget(this.counters, this.clock, {
        name: `otp-failures:${channel}`,
        perClient: this.config.maxFailuresPerClientPerWindow,
        perSubject: this.config.maxFailuresPerWindow,
        windowSeconds: this.config.failureWindowSeconds,
        maxClientWindowSeconds: this.config.maxFailureBackoffSeconds,
        refusal: 'Too many wrong codes.',
      });
      this.failureBudgets.set(channel, budget);
    }
    return budget;
  }

  /** Metrics and audit of a code request; the destination is in neither. */
  private async codeRequested(channel: OtpChannel, outcome: 'sent' | 'test-number' | 'rate_limited' | 'failed', requester: string | undefined): Promise<void> {
    this.metrics?.codeRequested(channel, outcome);
    await this.audit?.record({ type: 'code.requested', method: channel, outcome, client: requester });
  }

  /** Takes one unit of a send budget and remembers it in `claimed`; RateLimitedError when none is left. */
  private async claim(claimed: string[], key: string, max: number, windowSeconds: number, refusal?: string): Promise<void> {
    const outcome = await this.counters.take(key, max, windowSeconds);
    if (!outcome.granted) {
      const wait = secondsUntil(outcome.expiresAt, this.clock.nowMs());
      const message = refusal ? `${refusal.replace(/\.$/, '')}: ${wait} seconds.` : `Too many codes were requested. Try again in ${Math.ceil(wait / 60)} minutes.`;
      // The kind is the key's first part: otp-cooldown, otp-sends, otp-sends-by.
      throw new RateLimitedError(message, wait, key.slice(0, key.indexOf(':')));
    }
    claimed.push(key);
  }
}
