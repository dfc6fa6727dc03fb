import { Clock } from '../../src/common/clock';

/** A clock the test moves by hand. */
export class FakeClock extends Clock {
  private current: number;

  constructor(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
    super();
    this.current = start;
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}
