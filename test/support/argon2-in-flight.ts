/**
 * Counts the real argon2 verifications running at once, for tests of the hashing bound. Call it
 * inside a `describe`: it spies, in each test, on the very module object the hasher calls into.
 */
export function watchArgon2Verifications(): { peak: () => number } {
  const argon2 = jest.requireActual<typeof import('@node-rs/argon2')>('@node-rs/argon2');
  let inFlight = 0;
  let peak = 0;

  beforeEach(() => {
    inFlight = 0;
    peak = 0;
    const realVerify = argon2.verify;
    jest.spyOn(argon2, 'verify').mockImplementation(async (...args: Parameters<typeof realVerify>) => {
      peak = Math.max(peak, ++inFlight);
      try {
        return await realVerify(...args);
      } finally {
        inFlight--;
      }
    });
  });
  afterEach(() => jest.restoreAllMocks());

  return { peak: () => peak };
}
