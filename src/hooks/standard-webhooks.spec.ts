import { parseWebhookSecret } from '../config/hooks.config';
import { newWebhookId, signedWebhookHeaders, webhookSignature } from './standard-webhooks';

describe('Standard Webhooks signing', () => {
  it("reproduces the specification's published test vector", () => {
    const key = parseWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')!;
    expect(webhookSignature(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('signs the id and the timestamp too, not only the body', () => {
    const key = parseWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')!;
    const headers = signedWebhookHeaders(key, 'msg_a', 100, '{}');
    expect(headers).toEqual({ 'webhook-id': 'msg_a', 'webhook-timestamp': '100', 'webhook-signature': webhookSignature(key, 'msg_a', 100, '{}') });
    expect(webhookSignature(key, 'msg_b', 100, '{}')).not.toBe(headers['webhook-signature']);
    expect(webhookSignature(key, 'msg_a', 101, '{}')).not.toBe(headers['webhook-signature']);
  });

  it('makes a new id each time', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newWebhookId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
  });
});
