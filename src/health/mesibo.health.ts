import { Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Clock } from '../common/clock';
import { AppTokenStatus, MesiboTokenService } from '../mesibo/mesibo-token.service';
import { ProbeTimeoutError, withTimeout } from './with-timeout';

/** How long an answer of mesibo is reused: load balancers poll readiness every few seconds. */
export const MESIBO_CHECK_CACHE_MS = { accepted: 30_000, refused: 10_000, unreachable: 5_000 } as const;

const REASONS: Record<Exclude<AppTokenStatus, 'accepted'>, string> = {
  refused: 'app token refused',
  unreachable: 'unreachable',
};

/**
 * Whether mesibo answers and accepts our App Token, asked through MesiboTokenService with a call
 * that changes nothing. One call at a time, and its answer is reused for a while, so readiness
 * probes cannot hammer mesibo. The caller decides what counts: a refused token fails every login
 * (readiness fails), an unreachable mesibo is reported only (it must not empty the load balancer).
 */
@Injectable()
export class MesiboHealthIndicator {
  private readonly logger = new Logger('HealthCheck');
  private inFlight?: Promise<AppTokenStatus>;
  private cached?: { status: AppTokenStatus; until: number };
  private lastStatus?: AppTokenStatus;

  constructor(
    private readonly mesibo: MesiboTokenService,
    private readonly clock: Clock,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** Always a result: `up`, or `down` with the reason. */
  async check(key = 'mesibo') {
    const status = await this.status();
    const indicator = this.indicators.check(key);
    return status === 'accepted' ? indicator.up() : indicator.down({ message: REASONS[status] });
  }

  /** The App Token status, from the cache or from one shared call. */
  async status(): Promise<AppTokenStatus> {
    if (this.cached && this.clock.nowMs() < this.cached.until) return this.cached.status;
    this.inFlight ??= this.ask().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async ask(): Promise<AppTokenStatus> {
    let status: AppTokenStatus;
    try {
      status = await withTimeout(this.mesibo.checkAppToken());
    } catch (error) {
      if (!(error instanceof ProbeTimeoutError)) throw error;
      status = 'unreachable';
    }
    this.cached = { status, until: this.clock.nowMs() + MESIBO_CHECK_CACHE_MS[status] };
    this.logChange(status);
    return status;
  }

  /** Changes only: a load balancer polls this every few seconds. */
  private logChange(status: AppTokenStatus): void {
    if (status === this.lastStatus) return;
    if (status === 'refused') this.logger.error('mesibo refuses the App Token: every login fails until MESIBO_APP_TOKEN is fixed');
    else if (status === 'unreachable') this.logger.warn('mesibo API is unreachable');
    else if (this.lastStatus !== undefined) this.logger.log('mesibo API accepts the App Token again');
    this.lastStatus = status;
  }
}
