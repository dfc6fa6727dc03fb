import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { hash, parseOptions, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ServiceUnavailableError } from '../../common/errors';
import { passwordConfig, ThrottleConfig, throttleConfig } from '../../config';

// Algorithm.Argon2id; the package declares its enums `const`, which isolated builds cannot read.
const ARGON2ID = 2;

export type HashingLimits = Pick<ThrottleConfig, 'passwordHashConcurrency' | 'passwordHashQueueLimit'>;

/**
 * At most `limit` jobs at a time; up to `queueLimit` more wait their turn, in order, and any
 * beyond that are refused at once (ServiceUnavailableError) rather than piling up memory and latency.
 */
export class WorkSlots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly queueLimit: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) {
      this.active++;
    } else {
      if (this.waiting.length >= this.queueLimit) throw new ServiceUnavailableError();
      // The finishing job hands its slot straight to us, so `active` never goes over the limit.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * argon2id hashing with the configured parameters, and the check for hashes made with older ones.
 * Each hash costs ~19 MiB and tens of ms of a core, and anybody can ask for one (a login with any
 * address), so only PASSWORD_HASH_CONCURRENCY run at once; the rest queue, within a bound.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummy?: Promise<string>;
  private readonly slots: WorkSlots;

  constructor(
    @Inject(passwordConfig.KEY) private readonly config: ConfigType<typeof passwordConfig>,
    @Optional() @Inject(throttleConfig.KEY) limits?: HashingLimits,
  ) {
    const concurrency = limits?.passwordHashConcurrency ?? availableParallelism();
    this.slots = new WorkSlots(concurrency, limits?.passwordHashQueueLimit ?? concurrency * 16);
  }

  /** Made at start-up, so the first unknown-address login is not slower than the rest. */
  async onModuleInit(): Promise<void> {
    await this.dummyHash();
  }

  hash(password: string): Promise<string> {
    return this.slots.run(() =>
      hash(password, {
        algorithm: ARGON2ID,
        memoryCost: this.config.memoryKib,
        timeCost: this.config.timeCost,
        parallelism: this.config.parallelism,
      }),
    );
  }

  /** False for a wrong password or a hash it cannot read; throws ServiceUnavailableError when too many checks wait. */
  verify(passwordHash: string, password: string): Promise<boolean> {
    return this.slots.run(async () => {
      try {
        return await verify(passwordHash, password);
      } catch {
        return false;
      }
    });
  }

  /**
   * Spends the time of one verification against a hash nobody owns: used when an account does not
   * exist, so the answer takes as long as for a wrong password.
   */
  async verifyAgainstDummy(password: string): Promise<void> {
    await this.verify(await this.dummyHash(), password);
  }

  private dummyHash(): Promise<string> {
    // A refused attempt (too many waiting) must not be remembered: the next call tries again.
    this.dummy ??= this.hash(randomBytes(16).toString('hex')).catch((error: unknown) => {
      this.dummy = undefined;
      throw error;
    });
    return this.dummy;
  }

  needsRehash(passwordHash: string): boolean {
    try {
      const used = parseOptions(passwordHash);
      return (
        Number(used.algorithm) !== ARGON2ID ||
        used.memoryCost !== this.config.memoryKib ||
        used.timeCost !== this.config.timeCost ||
        used.parallelism !== this.config.parallelism
      );
    } catch {
      return true;
    }
  }
}
