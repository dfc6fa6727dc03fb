export interface CrashLoopPolicy {
  /** A worker that has served this long is sound: its later exit is not part of a crash loop. */
  soundAfterMs: number;
  /** Quick exits in a row (each before `soundAfterMs` of serving) after which the primary gives up. */
  maxQuickExits: number;
  /** Wait before replacing a worker after the first quick exit; it doubles with each further one. */
  firstDelayMs: number;
}

export const DEFAULT_CRASH_LOOP_POLICY: CrashLoopPolicy = { soundAfterMs: 10_000, maxQuickExits: 5, firstDelayMs: 1_000 };

/** Replace the worker after `delayMs`, or give up: the workers die as fast as they are started. */
export type Replacement = { delayMs: number } | 'give-up';

/**
 * Decides when a worker that exited unexpectedly is replaced. A worker that crashes after serving
 * a while is replaced at once; workers that keep dying right after they start are replaced ever
 * more slowly (1, 2, 4, 8 s), and after five such exits in a row the service stops, rather than
 * spinning the CPU on start-ups that fail.
 */
export class CrashLoopGuard {
  private quickExits = 0;

  constructor(private readonly policy: CrashLoopPolicy = DEFAULT_CRASH_LOOP_POLICY) {}

  get soundAfterMs(): number {
    return this.policy.soundAfterMs;
  }

  /** A worker has served for `soundAfterMs`: the exits before it were no loop. */
  workerSound(): void {
    this.quickExits = 0;
  }

  /** A worker exited unexpectedly after serving `servedMs` (0 when it never listened). */
  workerExited(servedMs: number): Replacement {
    if (servedMs >= this.policy.soundAfterMs) {
      this.quickExits = 0;
      return { delayMs: 0 };
    }
    this.quickExits += 1;
    if (this.quickExits >= this.policy.maxQuickExits) return 'give-up';
    return { delayMs: this.policy.firstDelayMs * 2 ** (this.quickExits - 1) };
  }
}
