import { CrashLoopGuard } from './crash-loop-guard';

describe('CrashLoopGuard', () => {
  const policy = { soundAfterMs: 10_000, maxQuickExits: 5, firstDelayMs: 1_000 };

  it('replaces a worker that crashed after serving a while at once', () => {
    const guard = new CrashLoopGuard(policy);
    expect(guard.workerExited(60_000)).toEqual({ delayMs: 0 });
    expect(guard.workerExited(10_000)).toEqual({ delayMs: 0 });
  });

  it('waits twice as long after each quick exit, and gives up at the fifth in a row', () => {
    const guard = new CrashLoopGuard(policy);
    expect([0, 2_000, 9_999, 0].map((served) => guard.workerExited(served))).toEqual([
      { delayMs: 1_000 },
      { delayMs: 2_000 },
      { delayMs: 4_000 },
      { delayMs: 8_000 },
    ]);
    expect(guard.workerExited(500)).toBe('give-up');
  });

  it('starts counting again after a worker served long enough, or exited after serving long', () => {
    const guard = new CrashLoopGuard(policy);
    for (let i = 0; i < 4; i++) guard.workerExited(0);
    guard.workerSound();
    expect(guard.workerExited(0)).toEqual({ delayMs: 1_000 });
    for (let i = 0; i < 3; i++) guard.workerExited(0);
    expect(guard.workerExited(30_000)).toEqual({ delayMs: 0 });
    expect(guard.workerExited(0)).toEqual({ delayMs: 1_000 });
  });
});
