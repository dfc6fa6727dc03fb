/** How long one health probe (a query, a TCP connect) may take before it counts as down. */
export const HEALTH_PROBE_TIMEOUT_MS = 2000;

export class ProbeTimeoutError extends Error {
  override readonly name = 'ProbeTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
  }
}

/**
 * Settles with `work`, or rejects with a ProbeTimeoutError after `timeoutMs`. The work itself is not
 * cancelled (a hung query keeps its connection until the driver's own timeout), but the probe answers.
 */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number = HEALTH_PROBE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
