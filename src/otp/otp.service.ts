import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { InvalidCodeError, RateLimitedError } from '../common/errors';
import { otpConfig } from '../config';
import { CounterStore } from '../database/counter-store';
import { generateCode, hashCode, hashesEqual } from './otp-code';
import { composeOtpMessage } from './otp-messages';
import { OtpChannel, OtpRepository } from './otp.repository';
import { OtpSender } from './senders/otp-sender';

export interface IssuedCode {
  expiresAt: Date;
  /** Seconds before another code may be requested. */
  resendAfterSeconds: number;
}

/**
 * One-time codes: issuing (cooldown, superseding, delivery) and checking (expiry, tries per code,
 * wrong-try budget per destination). Every rule reads the injected clock.
 */
@Injectable()
export class OtpService {
  constructor(
    private readonly challenges: OtpRepository,
    private readonly counters: CounterStore,
    private readonly sender: OtpSender,
    private readonly clock: Clock,
    @Inject(otpConfig.KEY) private readonly config: ConfigType<typeof otpConfig>,
  ) {}

  /**
   * Sends a new code to `destination`. `requester` identifies who asks (the client IP), so one
   * client cannot have codes sent to many destinations.
   */
  async issue(channel: OtpChannel, destination: string, requester?: string): Promise<IssuedCode> {
    const now = this.clock.nowMs();
    await this.refuseWhileLockedOut(channel, destination);

    const pending = await this.challenges.findPending(channel, destination);
    const cooldownEndsAt = pending ? Number(pending.created_at) + this.config.resendCooldownSeconds * 1000 : 0;
    if (cooldownEndsAt > now) {
      const wait = Math.ceil((cooldownEndsAt - now) / 1000);
      throw new RateLimitedError(`Wait ${wait} seconds before requesting another code.`, wait);
    }
    const sendKeys = [{ key: `otp-sends:${channel}:${destination}`, max: this.config.maxSendsPerWindow }];
    if (requester) sendKeys.push({ key: `otp-sends-by:${requester}`, max: this.config.maxSendsPerRequesterPerWindow });
    for (const { key, max } of sendKeys) {
      const sent = await this.counters.get(key);
      if (sent.value >= max) {
        const wait = Math.max(1, Math.ceil((sent.expiresAt - now) / 1000));
        throw new RateLimitedError(`Too many codes were requested. Try again in ${Math.ceil(wait / 60)} minutes.`, wait);
      }
    }

    const code = generateCode(this.config.length);
    const expiresAt = now + this.config.ttlSeconds * 1000;
    const id = await this.challenges.replace({
      channel,
      destination,
      code_hash: hashCode(this.config.secret, channel, destination, code),
      created_at: now,
      expires_at: expiresAt,
    });
    try {
      const words = composeOtpMessage(channel, code, this.config.messageTemplate, Math.round(this.config.ttlSeconds / 60));
      await this.sender.send({ channel, to: destination, code, ...words });
    } catch (error) {
      // Undelivered: drop it so the user can ask again at once instead of waiting out the cooldown.
      await this.challenges.consume(id);
      throw error;
    }
    // Only delivered codes count against the send limits.
    for (const { key } of sendKeys) await this.counters.increment(key, this.config.sendWindowSeconds);
    return { expiresAt: new Date(expiresAt), resendAfterSeconds: this.config.resendCooldownSeconds };
  }

  /** Resolves when `code` is the pending code for the destination, and uses it up; throws otherwise. */
  async verify(channel: OtpChannel, destination: string, code: string): Promise<void> {
    await this.refuseWhileLockedOut(channel, destination);

    const challenge = await this.challenges.findPending(channel, destination);
    if (!challenge) throw new InvalidCodeError('none_pending');
    if (Number(challenge.expires_at) <= this.clock.nowMs()) {
      await this.challenges.consume(challenge.id);
      throw new InvalidCodeError('expired');
    }
    if (challenge.attempts >= this.config.maxAttempts) throw new InvalidCodeError('used_up');

    const offered = hashCode(this.config.secret, channel, destination, code);
    if (hashesEqual(offered, challenge.code_hash)) {
      if (!(await this.challenges.consume(challenge.id))) throw new InvalidCodeError('used_up');
      return;
    }

    const counted = await this.challenges.recordWrongAttempt(challenge.id, this.config.maxAttempts);
    await this.counters.increment(this.failureKey(channel, destination), this.config.failureWindowSeconds);
    throw new InvalidCodeError(counted ? 'wrong' : 'used_up');
  }

  private async refuseWhileLockedOut(channel: OtpChannel, destination: string): Promise<void> {
    const failures = await this.counters.get(this.failureKey(channel, destination));
    if (failures.value >= this.config.maxFailuresPerWindow) {
      const wait = Math.max(1, Math.ceil((failures.expiresAt - this.clock.nowMs()) / 1000));
      throw new RateLimitedError(`Too many wrong codes. Try again in ${Math.ceil(wait / 60)} minutes.`, wait);
    }
  }

  private failureKey(channel: OtpChannel, destination: string): string {
    return `otp-failures:${channel}:${destination}`;
  }
}
