import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { WebhookEventType } from '../config/hooks.config';
import { hooksConfig } from '../config/hooks.config';
import { QueryRunner } from '../database/prepared-query';
import { newWebhookId } from './standard-webhooks';
import { WebhookOutboxRepository } from './webhook-outbox.repository';

/**
 * What each event tells the receiver. Ids and the login's method and app, never a secret or a code.
 * The mesibo address (a phone number or an email for those logins) is the one personal datum, and
 * only in `user.created` and `user.deleted`: it is how the owner's other systems know the user (the
 * name mesibo and the apps use), so they can set up or erase what they keep about that user.
 */
export interface WebhookEventData {
  'user.created': { userId: string; address: string; method: string; appId: string };
  'login.succeeded': { userId: string; method: string; appId: string; newUser: boolean };
  'user.deleted': { userId: string; address: string; reason: string };
}

/**
 * Records events for the event webhook (EVENT_WEBHOOK_URL) in the outbox, in the caller's
 * transaction, so an event exists exactly when what it reports happened; EventWebhookDelivery
 * sends them later. Without a webhook, or for an event not in EVENT_WEBHOOK_EVENTS, nothing is written.
 */
@Injectable()
export class WebhookEvents {
  constructor(
    private readonly outbox: WebhookOutboxRepository,
    private readonly clock: Clock,
    @Inject(hooksConfig.KEY) private readonly config: ConfigType<typeof hooksConfig>,
  ) {}

  async record<T extends WebhookEventType>(type: T, data: WebhookEventData[T], executor?: QueryRunner): Promise<void> {
    if (!this.config.events?.events.has(type)) return;
    const now = this.clock.nowMs();
    // The body is fixed now, so every retry sends (and signs) the same bytes.
    const payload = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
    await this.outbox.add({ id: newWebhookId(), type, payload, now }, executor);
  }
}
