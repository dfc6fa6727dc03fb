import { Inject, Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { connect } from 'node:net';
import { errorMessage } from '../common/errors';
import { MESIBO_SETTINGS, MesiboSettings } from '../mesibo/mesibo.settings';
import { HEALTH_PROBE_TIMEOUT_MS } from './with-timeout';

export interface TcpTarget {
  host: string;
  port: number;
}

/** Host and port of an http(s) URL, with the scheme's default port. */
export function tcpTargetOf(url: string): TcpTarget {
  const parsed = new URL(url);
  const port = parsed.port !== '' ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
  // URL keeps IPv6 literals in brackets; net.connect wants them bare.
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/** Resolves whether a TCP connection to `target` opens within `timeoutMs`; never rejects. */
export function canConnect(target: TcpTarget, timeoutMs: number): Promise<{ reachable: true } | { reachable: false; reason: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => finish({ reachable: false, reason: `no connection within ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => finish({ reachable: true }));
    socket.once('error', (error) => finish({ reachable: false, reason: errorMessage(error) }));

    function finish(outcome: { reachable: true } | { reachable: false; reason: string }): void {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(outcome);
    }
  });
}

/**
 * Whether the mesibo backend API accepts TCP connections: reported, never a reason to be unready
 * (mesibo being down must not take every instance out of the load balancer). It knows only the
 * API's host and port, not the App Token, and does not speak HTTP to mesibo.
 */
@Injectable()
export class MesiboReachabilityIndicator {
  private readonly logger = new Logger('HealthCheck');
  private readonly target: TcpTarget;
  /** One probe at a time, shared by concurrent requests, so the endpoint cannot fan out connections. */
  private inFlight?: Promise<boolean>;
  private lastReachable?: boolean;

  constructor(
    @Inject(MESIBO_SETTINGS) settings: MesiboSettings,
    private readonly indicators: HealthIndicatorService,
  ) {
    // Only the URL's host and port are kept; the App Token is none of this class's business.
    this.target = tcpTargetOf(settings.apiUrl);
  }

  /** Always a result, `up` or `down`; the caller decides that `down` does not fail the check. */
  async check(key = 'mesibo') {
    const indicator = this.indicators.check(key);
    this.inFlight ??= this.probe().finally(() => (this.inFlight = undefined));
    return (await this.inFlight) ? indicator.up() : indicator.down();
  }

  private async probe(): Promise<boolean> {
    const target = this.target;
    const outcome = await canConnect(target, HEALTH_PROBE_TIMEOUT_MS);
    // Log changes only: a load balancer polls this every few seconds.
    if (outcome.reachable !== this.lastReachable) {
      const where = `${target.host}:${target.port}`;
      if (outcome.reachable) {
        if (this.lastReachable === false) this.logger.log(`mesibo API at ${where} is reachable again`);
      } else {
        this.logger.warn(`mesibo API at ${where} is unreachable: ${outcome.reason}`);
      }
      this.lastReachable = outcome.reachable;
    }
    return outcome.reachable;
  }
}
