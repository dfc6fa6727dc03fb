import { createHmac, randomBytes } from 'node:crypto';

/**
 * Signing as the Standard Webhooks specification (standardwebhooks.com) describes, so receivers can
 * use its libraries: `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`
 * (`v1,` and the base64 HMAC-SHA256 of `<id>.<timestamp>.<body>`), keyed with the base64-decoded
 * part of a `whsec_...` secret (see parseWebhookSecret in the settings).
 */

/** A fresh message id; a message keeps its id on every retry, so receivers can drop duplicates. */
export function newWebhookId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

export function webhookSignature(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** The three headers of one signed call. */
export function signedWebhookHeaders(key: Buffer, id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': webhookSignature(key, id, timestampSeconds, body),
  };
}
