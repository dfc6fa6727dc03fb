import { hash as argon2Hash } from '@node-rs/argon2';
import { performance } from 'node:perf_hooks';
import { watchArgon2Verifications } from '../../../test/support/argon2-in-flight';
import { rejectionOf } from '../../../test/support/rejection';
import { ServiceUnavailableError } from '../../common/errors';
import { PasswordConfig } from '../../config';
import { PasswordHasher, WorkSlots } from './password-hasher';

const config: PasswordConfig = { memoryKib: 19456, timeCost: 2, parallelism: 1, maxFailuresPerWindow: 10, maxFailuresPerClientPerWindow: 10, maxFailureBackoffSeconds: 86400, failureWindowSeconds: 900 };

const PASSWORD = 'correct horse battery staple';

// Algorithm.Argon2i of @node-rs/argon2 (its enums are `const`, unreadable under isolatedModules).
const ARGON2I = 1;

/** An argon2id PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash, salt and hash in unpadded base64. */
const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{16,}$/;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(config);

  describe('hash', () => {
    it('makes an argon2id PHC string with the configured m=19456, t=2, p=1', async () => {
      const passwordHash = await hasher.hash(PASSWORD);

      const match = PHC.exec(passwordHash);
      expect(match).not.toBeNull();
      expect(match?.slice(1, 4)).toEqual(['19456', '2', '1']);
      expect(passwordHash).not.toContain(PASSWORD);
    });

    it('salts every hash: the same password hashes differently twice', async () => {
      const first = await hasher.hash(PASSWORD);
      const second = await hasher.hash(PASSWORD);

      expect(first).not.toBe(second);
      await expect(hasher.verify(first, PASSWORD)).resolves.toBe(true);
      await expect(hasher.verify(second, PASSWORD)).resolves.toBe(true);
    });
  });

  describe('verify', () => {
    let passwordHash: string;

    beforeAll(async () => {
      passwordHash = await hasher.hash(PASSWORD);
    });

    it('accepts the right password', async () => {
      await expect(hasher.verify(passwordHash, PASSWORD)).resolves.toBe(true);
    });

    it('refuses a wrong password, including one differing only in case or by a trailing space', async () => {
      await expect(hasher.verify(passwordHash, 'correct horse battery stapler')).resolves.toBe(false);
      await expect(hasher.verify(passwordHash, PASSWORD.toUpperCase())).resolves.toBe(false);
      await expect(hasher.verify(passwordHash, `${PASSWORD} `)).resolves.toBe(false);
      await expect(hasher.verify(passwordHash, '')).resolves.toBe(false);
    });

    it.each(['', 'not a hash', '$argon2id$v=19$m=19456,t=2,p=1$broken', '$2b$10$abcdefghijklmnopqrstuvCDEFGHIJKLMNOPQRSTUVWXYZ01234'])(
      'answers false, without throwing, for the garbage hash %j',
      async (garbage) => {
        await expect(hasher.verify(garbage, PASSWORD)).resolves.toBe(false);
      },
    );

    it('verifies a hash made with other parameters, which it reads from the hash itself', async () => {
      const older = await new PasswordHasher({ ...config, memoryKib: 8192, timeCost: 3 }).hash(PASSWORD);

      await expect(hasher.verify(older, PASSWORD)).resolves.toBe(true);
      await expect(hasher.verify(older, 'wrong password')).resolves.toBe(false);
    });
  });

  describe('needsRehash', () => {
    it('is false for a hash it made itself', async () => {
      expect(hasher.needsRehash(await hasher.hash(PASSWORD))).toBe(false);
    });

    it('is true for a hash made with timeCost 3', async () => {
      const other = await new PasswordHasher({ ...config, timeCost: 3 }).hash(PASSWORD);
      expect(hasher.needsRehash(other)).toBe(true);
    });

    it('is true for a hash made with memoryKib 8192', async () => {
      const other = await new PasswordHasher({ ...config, memoryKib: 8192 }).hash(PASSWORD);
      expect(hasher.needsRehash(other)).toBe(true);
    });

    it('is true for a hash made with parallelism 2', async () => {
      const other = await new PasswordHasher({ ...config, parallelism: 2 }).hash(PASSWORD);
      expect(hasher.needsRehash(other)).toBe(true);
    });

    it('is true for an argon2i hash with the very same m, t and p', async () => {
      const argon2i = await argon2Hash(PASSWORD, { algorithm: ARGON2I, memoryCost: 19456, timeCost: 2, parallelism: 1 });
      expect(argon2i).toMatch(/^\$argon2i\$/);

      expect(hasher.needsRehash(argon2i)).toBe(true);
    });

    it.each(['', 'not a hash', '$2b$10$abcdefghijklmnopqrstuvCDEFGHIJKLMNOPQRSTUVWXYZ01234', '{SSHA}aGVsbG8gd29ybGQ='])(
      'is true, without throwing, for the non-argon2 string %j',
      (other) => {
        expect(hasher.needsRehash(other)).toBe(true);
      },
    );
  });

  describe('verifyAgainstDummy', () => {
    it('resolves for any password', async () => {
      await expect(hasher.verifyAgainstDummy(PASSWORD)).resolves.toBeUndefined();
      await expect(hasher.verifyAgainstDummy('')).resolves.toBeUndefined();
    });

    it('takes about as long as verifying a real hash', async () => {
      const real = await hasher.hash(PASSWORD);
      // The first call also makes the dummy hash; keep it out of the measurement.
      await hasher.verifyAgainstDummy(PASSWORD);
      await hasher.verify(real, 'warm-up');

      // One sample is 3 checks in a row (one check is only a few ms, close to a scheduler slice);
      // real and dummy samples alternate, and so does which of the two goes first.
      const realSample = () => timed(async () => {
        for (let i = 0; i < 3; i++) await hasher.verify(real, 'a wrong password');
      });
      const dummySample = () => timed(async () => {
        for (let i = 0; i < 3; i++) await hasher.verifyAgainstDummy('a wrong password');
      });
      const realTimes: number[] = [];
      const dummyTimes: number[] = [];
      for (let round = 0; round < 9; round++) {
        if (round % 2 === 0) {
          realTimes.push(await realSample());
          dummyTimes.push(await dummySample());
        } else {
          dummyTimes.push(await dummySample());
          realTimes.push(await realSample());
        }
      }

      // Loose on purpose: jest runs spec files in parallel workers, so CPU contention, GC pauses and
      // the libuv thread pool shared with other work can stretch any measurement a lot. Medians over
      // interleaved samples smooth most of that out, and 50% still catches what matters: a dummy
      // that skips the work (≈0%) or checks against a cheaper hash (8 MiB and one pass cost about
      // a fifth of 19 MiB and two passes). It cannot prove the times are equal, only comparable.
      expect(median(dummyTimes)).toBeGreaterThanOrEqual(0.5 * median(realTimes));
    });
  });
});

/** A job the test finishes by hand. */
function deferred(): { promise: Promise<void>; finish: () => void; fail: (error: Error) => void } {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { promise, finish, fail };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WorkSlots', () => {
  it('runs at most `limit` jobs at once and starts the waiting ones in order as slots free up', async () => {
    const slots = new WorkSlots(2, 10);
    const jobs = Array.from({ length: 5 }, () => deferred());
    const started: number[] = [];
    const done = jobs.map((job, index) =>
      slots.run(() => {
        started.push(index);
        return job.promise;
      }),
    );
    await settle();
    expect(started).toEqual([0, 1]);

    jobs[1].finish();
    await settle();
    expect(started).toEqual([0, 1, 2]);

    const failed = expect(done[0]).rejects.toThrow('boom');
    jobs[0].fail(new Error('boom')); // a failed job frees its slot too
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    await failed;

    for (const job of jobs.slice(2)) job.finish();
    await Promise.all(done.slice(1));
    expect(started).toEqual([0, 1, 2, 3, 4]);

    // All slots are free again: the next job starts at once.
    let ranAlone = false;
    await slots.run(() => {
      ranAlone = true;
      return Promise.resolve();
    });
    expect(ranAlone).toBe(true);
  });

  it('refuses at once with ServiceUnavailableError when `queueLimit` jobs already wait', async () => {
    const slots = new WorkSlots(1, 2);
    const job = deferred();
    const accepted = [slots.run(() => job.promise), slots.run(() => Promise.resolve()), slots.run(() => Promise.resolve())];

    await expect(slots.run(() => Promise.resolve())).rejects.toBeInstanceOf(ServiceUnavailableError);

    job.finish();
    await Promise.all(accepted);
    await expect(slots.run(() => Promise.resolve('again'))).resolves.toBe('again');
  });
});

describe('PasswordHasher concurrency', () => {
  const argon2 = watchArgon2Verifications();

  it('never computes more than PASSWORD_HASH_CONCURRENCY hashes at once, and answers every check right', async () => {
    const hasher = new PasswordHasher(config, { passwordHashConcurrency: 2, passwordHashQueueLimit: 100 });
    const passwordHash = await argon2Hash(PASSWORD, { memoryCost: 8192, timeCost: 1, parallelism: 1 });

    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => (i % 4 === 0 ? hasher.verify(passwordHash, PASSWORD) : hasher.verifyAgainstDummy(`guess ${i}`).then(() => false))),
    );

    expect(argon2.peak()).toBe(2);
    expect(answers.filter(Boolean)).toHaveLength(4);
  });

  it('refuses checks beyond the queue with ServiceUnavailableError instead of piling them up', async () => {
    const hasher = new PasswordHasher(config, { passwordHashConcurrency: 1, passwordHashQueueLimit: 3 });
    const passwordHash = await argon2Hash(PASSWORD, { memoryCost: 8192, timeCost: 1, parallelism: 1 });

    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => hasher.verify(passwordHash, PASSWORD)));

    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(4);
    const refused = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(refused).toHaveLength(4);
    for (const outcome of refused) expect(outcome.reason).toBeInstanceOf(ServiceUnavailableError);
    expect(argon2.peak()).toBe(1);
    // Once the queue drained, checks are accepted again.
    await expect(hasher.verify(passwordHash, PASSWORD)).resolves.toBe(true);
  });

  it('does not remember a refused dummy hash: the next unknown-address check works', async () => {
    const hasher = new PasswordHasher(config, { passwordHashConcurrency: 1, passwordHashQueueLimit: 0 });
    const passwordHash = await argon2Hash(PASSWORD, { memoryCost: 8192, timeCost: 1, parallelism: 1 });
    const busy = hasher.verify(passwordHash, PASSWORD);

    expect(await rejectionOf(hasher.verifyAgainstDummy('guess'))).toBeInstanceOf(ServiceUnavailableError);

    await busy;
    await expect(hasher.verifyAgainstDummy('guess')).resolves.toBeUndefined();
  });
});
