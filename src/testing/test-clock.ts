import { Clock } from '../common/clock';

/**
 * The backend's clock in a test suite: the system's time plus however far the suite moved it.
 * Time keeps flowing between moves, so nothing that waits on real time stalls.
 */
export class TestClock extends Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves time forward by `seconds` (fractions allowed). */
  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('time moves forward only: give a number of seconds, 0 or more');
    this.offsetMs += seconds * 1000;
  }
}
