import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AuditTrail } from '../audit/audit-trail';
import { Clock } from '../common/clock';
import { errorMessage } from '../common/errors';
import { EventWebhookConfig, hooksConfig } from '../config/hooks.config';
import { keepAliveAgent, postSigned } from './signed-post';
import { OutboxRow, WebhookOutboxRepository } from './webhook-outbox.repository';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * The wait after each failed attempt: the first retry 5 s after the first try, the last about 22 h
 * after it; when the last retry fails too, the event is given up (`dead`) with a warning.
 */
export const RETRY_DELAYS_MS: readonly number[] = [5 * SECOND, 30 * SECOND, 2 * MINUTE, 10 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR];

/** Events sent per run and instance, at most; the rest wait for the next run. */
const BATCH = 100;
/** Delivered and dead events are kept this long, for operators looking into a receiver's problems. */
const KEPT_MS = 7 * 24 * HOUR;

export interface DeliveryReport {
  delivered: number;
  failed: number;
  dead: number;
}

/**
 * Sends the outbox's events to EVENT_WEBHOOK_URL: signed (Standard Webhooks), each with its own
 * message id on every attempt, at least once. Every instance runs it; a row is claimed atomically
 * before it is sent, so instances share the work without sending one event twice at the same time.
 * Any 2xx answer is a delivery; anything else (another status, no answer in time) is retried later.
 */
@Injectable()
export class EventWebhookDelivery implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('EventWebhook');
  private readonly agent = keepAliveAgent();
  private running?: Promise<DeliveryReport>;

  constructor(
    private readonly outbox: WebhookOutboxRepository,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    @Inject(hooksConfig.KEY) private readonly config: ConfigType<typeof hooksConfig>,
  ) {}

  onApplicationBootstrap(): void {
    const settings = this.config.events;
    if (!settings) return;
    const timer = setInterval(() => {
      this.runOnce().catch((error: unknown) => this.logger.warn(`Event webhook delivery failed; the next run tries again: ${errorMessage(error)}`));
    }, settings.intervalSeconds * SECOND);
    timer.unref();
    this.scheduler.addInterval('event-webhook-delivery', timer);
  }

  async onModuleDestroy(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.agent.close();
  }

  /** Sends what is due now. Runs of one instance never overlap: a second call waits for the first's report. */
  runOnce(): Promise<DeliveryReport> {
    this.running ??= this.deliverDue().finally(() => (this.running = undefined));
    return this.running;
  }

  private async deliverDue(): Promise<DeliveryReport> {
    const report: DeliveryReport = { delivered: 0, failed: 0, dead: 0 };
    const settings = this.config.events;
    if (!settings) return report;
    const now = this.clock.nowMs();
    // Long enough for an attempt to finish: only then may another worker take the row again.
    const leaseUntil = now + settings.timeoutMs + MINUTE;
    const claimed: OutboxRow[] = [];
    for (const row of await this.outbox.due(now, BATCH)) {
      if (await this.outbox.claim(row, leaseUntil)) claimed.push(row);
    }
    await Promise.all(claimed.map(async (row) => report[await this.attempt(row, settings)]++));
    await this.outbox.deleteFinishedBefore(now - KEPT_MS);
    return report;
  }

  private async attempt(row: OutboxRow, settings: EventWebhookConfig): Promise<keyof DeliveryReport> {
    const attempts = row.attempts + 1;
    const failure = await this.send(row, settings);
    const now = this.clock.nowMs();
    if (failure === undefined) {
      await this.outbox.markDelivered(row.id, attempts, now);
      return 'delivered';
    }
    const delay = RETRY_DELAYS_MS[attempts - 1];
    await this.outbox.markFailed(row.id, attempts, failure, now, delay === undefined ? undefined : now + delay);
    if (delay !== undefined) {
      this.logger.log(`Event ${row.id} (${row.type}) not delivered (${failure}); retry ${attempts} of ${RETRY_DELAYS_MS.length} in ${delay / SECOND} s`);
      return 'failed';
    }
    this.logger.warn(`Event ${row.id} (${row.type}) given up after ${attempts} attempts; the last: ${failure}`);
    await this.audit.record({ type: 'webhook.given-up', method: row.type, outcome: failure.slice(0, 64) });
    return 'dead';
  }

  /** Undefined when the receiver took the event; else why not (a status, or the network error). */
  private async send(row: OutboxRow, settings: EventWebhookConfig): Promise<string | undefined> {
    try {
      const answer = await postSigned(this.agent, {
        url: settings.url,
        key: settings.key,
        id: row.id,
        timestampSeconds: Math.floor(this.clock.nowMs() / SECOND),
        body: row.payload,
        timeoutMs: settings.timeoutMs,
        maxAnswerBytes: 0,
      });
      return answer.status >= 200 && answer.status < 300 ? undefined : `HTTP ${answer.status}`;
    } catch (error) {
      return errorMessage(error);
    }
  }
}
