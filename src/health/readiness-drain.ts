import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { appConfig } from '../config';

/**
 * Turns readiness off when the application starts to shut down (SIGTERM), before the HTTP server
 * stops accepting: Nest calls this hook first. With SHUTDOWN_DELAY_MS, requests are still served
 * for that long while /health/ready answers 503, so the load balancer stops sending new ones first.
 */
@Injectable()
export class ReadinessDrain implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private shuttingDown = false;

  constructor(@Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>) {}

  get draining(): boolean {
    return this.shuttingDown;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    const delay = this.config.shutdownDelayMs;
    if (delay === 0) return;
    this.logger.log(`Readiness is off; still serving for ${delay} ms before closing`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
