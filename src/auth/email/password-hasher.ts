import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { hash, parseOptions, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { passwordConfig } from '../../config';

// Algorithm.Argon2id; the package declares its enums `const`, which isolated builds cannot read.
const ARGON2ID = 2;

/** argon2id hashing with the configured parameters, and the check for hashes made with older ones. */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummy?: Promise<string>;

  constructor(@Inject(passwordConfig.KEY) private readonly config: ConfigType<typeof passwordConfig>) {}

  /** Made at start-up, so the first unknown-address login is not slower than the rest. */
  async onModuleInit(): Promise<void> {
    await this.dummyHash();
  }

  hash(password: string): Promise<string> {
    return hash(password, {
      algorithm: ARGON2ID,
      memoryCost: this.config.memoryKib,
      timeCost: this.config.timeCost,
      parallelism: this.config.parallelism,
    });
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  /**
   * Spends the time of one verification against a hash nobody owns: used when an account does not
   * exist, so the answer takes as long as for a wrong password.
   */
  async verifyAgainstDummy(password: string): Promise<void> {
    await this.verify(await this.dummyHash(), password);
  }

  private dummyHash(): Promise<string> {
    this.dummy ??= this.hash(randomBytes(16).toString('hex'));
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
