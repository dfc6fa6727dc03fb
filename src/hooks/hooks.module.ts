import { Global, Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { BeforeTokenHook } from './before-token-hook';
import { EventWebhookDelivery } from './event-webhook-delivery';
import { WebhookEvents } from './webhook-events';
import { WebhookOutboxRepository } from './webhook-outbox.repository';

/**
 * The owner's hooks: the before-token hook a login asks, and the event webhook, whose events are
 * recorded where they happen (WebhookEvents) and sent by a worker. Global, so the services that
 * record events (logins, account deletion) reach it without importing it.
 */
@Global()
@Module({
  imports: [UsersModule],
  providers: [BeforeTokenHook, WebhookEvents, WebhookOutboxRepository, EventWebhookDelivery],
  exports: [BeforeTokenHook, WebhookEvents],
})
export class HooksModule {}
