import request from 'supertest';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AuditTrail } from '../src/audit/audit-trail';
import { hooksConfig } from '../src/config/hooks.config';
import { EventWebhookDelivery, RETRY_DELAYS_MS } from '../src/hooks/event-webhook-delivery';
import { WebhookEvents } from '../src/hooks/webhook-events';
import { WebhookOutboxRepository } from '../src/hooks/webhook-outbox.repository';
import { signTicket } from '../src/methods/ticket/ticket-verifier';
import { Clock } from '../src/common/clock';
import { startTestApp, TestApp } from './support/test-app';
import { hasValidSignature, ReceivedCall, WebhookReceiver } from './support/webhook-receiver';

const APPID = 'com.mesibo.firstapp';
const TICKET_SECRET = 'webhooks-ticket-secret-0123456789-0123456789';
const EVENT_SECRET = `whsec_${Buffer.from('event-webhook-key-of-the-owner-0123').toString('base64')}`;
const OTP_SECRET = `whsec_${Buffer.from('sms-gateway-key-of-the-owner-456789').toString('base64')}`;

/** Unset again for the next app of this file (an empty variable counts as unset). */
const NO_HOOKS = { EVENT_WEBHOOK_URL: '', EVENT_WEBHOOK_SECRET: '', EVENT_WEBHOOK_EVENTS: '', EVENT_WEBHOOK_TIMEOUT_MS: '', OTP_WEBHOOK_SECRET: '' };

interface EventBody {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

const eventOf = (call: ReceivedCall) => JSON.parse(call.body) as EventBody;

describe('the SMS webhook, signed with OTP_WEBHOOK_SECRET', () => {
  let gateway: WebhookReceiver;
  let t: TestApp | undefined;

  beforeEach(async () => (gateway = await new WebhookReceiver().start()));
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await gateway.stop();
  });

  it('carries a valid Standard Webhooks signature of the exact body, a new id per message, and still the Authorization header', async () => {
    t = await startTestApp({ ...NO_HOOKS, OTP_WEBHOOK_URL: gateway.url, OTP_WEBHOOK_SECRET: OTP_SECRET, OTP_WEBHOOK_AUTHORIZATION: 'Bearer gateway-key' });
    for (const phone of ['14155550123', '14155550124']) {
      expect((await request(t.url).post('/v1/auth/otp').send({ phone, appid: APPID })).status).toBe(202);
    }
    expect(gateway.calls).toHaveLength(2);
    for (const call of gateway.calls) {
      expect(await hasValidSignature(call, OTP_SECRET)).toBe(true);
      expect(call.headers.authorization).toBe('Bearer gateway-key');
      expect(call.headers['webhook-timestamp']).toBe(String(Math.floor(t.clock.nowMs() / 1000)));
    }
    expect(gateway.calls[0].headers['webhook-id']).not.toBe(gateway.calls[1].headers['webhook-id']);
    // The signature covers the body: another body (or another key) does not verify.
    expect(await hasValidSignature({ ...gateway.calls[0], body: gateway.calls[1].body }, OTP_SECRET)).toBe(false);
    expect(await hasValidSignature(gateway.calls[0], EVENT_SECRET)).toBe(false);
  });

  it('goes out unsigned, as before, without the secret', async () => {
    t = await startTestApp({ ...NO_HOOKS, OTP_WEBHOOK_URL: gateway.url, OTP_WEBHOOK_AUTHORIZATION: '' });
    expect((await request(t.url).post('/v1/auth/otp').send({ phone: '14155550125', appid: APPID })).status).toBe(202);
    expect(gateway.calls).toHaveLength(1);
    expect(Object.keys(gateway.calls[0].headers).filter((name) => name.startsWith('webhook-'))).toEqual([]);
    expect(JSON.parse(gateway.calls[0].body)).toMatchObject({ to: '14155550125', code: expect.stringMatching(/^\d+$/) });
  });
});

describe('event webhooks (EVENT_WEBHOOK_URL)', () => {
  let receiver: WebhookReceiver;
  let t: TestApp;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    t = await startTestApp({
      ...NO_HOOKS,
      EVENT_WEBHOOK_URL: receiver.url,
      EVENT_WEBHOOK_SECRET: EVENT_SECRET,
      EVENT_WEBHOOK_TIMEOUT_MS: '300',
      TICKET_LOGIN_SECRET: TICKET_SECRET,
    });
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });
  beforeEach(() => {
    receiver.calls.length = 0;
    receiver.answer = () => ({ status: 204 });
  });

  const api = () => request(t.url);
  const deliver = () => t.app.get(EventWebhookDelivery).runOnce();
  const outbox = () => t.app.get(WebhookOutboxRepository);
  const login = async (user: string) => {
    // A ticket is single-use: each login's is signed a second later.
    t.clock.advance(1);
    const expires = String(Math.floor(t.clock.nowMs() / 1000) + 60);
    const res = await api().post('/v1/auth/ticket/login').send({ user, expires, signature: signTicket(TICKET_SECRET, user, expires), appid: APPID, device: 'phone-1' });
    expect(res.status).toBe(200);
    return res.body as { token: string; userId: string; address: string };
  };
  /** Moves the clock by `ms` and runs the delivery job, as its timer would. */
  const after = async (ms: number) => {
    t.clock.advance(ms / 1000);
    return deliver();
  };

  it('sends user.created and login.succeeded of a new user, signed, with no secret in them', async () => {
    const { token } = await login('ada');
    // Recorded with the login, sent by the job: nothing went out during the request.
    expect(receiver.calls).toHaveLength(0);
    expect(await deliver()).toEqual({ delivered: 2, failed: 0, dead: 0 });

    expect(receiver.calls.map((call) => eventOf(call).type).sort()).toEqual(['login.succeeded', 'user.created']);
    for (const call of receiver.calls) expect(await hasValidSignature(call, EVENT_SECRET)).toBe(true);
    const created = eventOf(receiver.calls.find((call) => eventOf(call).type === 'user.created')!);
    const userId = created.data.userId as string;
    expect(created).toEqual({ type: 'user.created', timestamp: new Date(t.clock.nowMs()).toISOString(), data: { userId, address: 'ada', method: 'ticket', appId: APPID } });
    const succeeded = eventOf(receiver.calls.find((call) => eventOf(call).type === 'login.succeeded')!);
    expect(succeeded.data).toEqual({ userId, method: 'ticket', appId: APPID, newUser: true });
    const everything = receiver.calls.map((call) => JSON.stringify(call)).join('\n');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(TICKET_SECRET);

    // The next login of the same user: login.succeeded only.
    await login('ada');
    await deliver();
    expect(receiver.calls.slice(2).map(eventOf)).toEqual([expect.objectContaining({ type: 'login.succeeded', data: { userId, method: 'ticket', appId: APPID, newUser: false } })]);
    // Nothing is due any more: a run sends nothing twice.
    expect(await deliver()).toEqual({ delivered: 0, failed: 0, dead: 0 });
  });

  it('logs in while the receiver is down, and delivers once it is back, with the same id', async () => {
    await receiver.stop();
    await login('grace');
    expect(await deliver()).toEqual({ delivered: 0, failed: 2, dead: 0 });
    const pending = (await outbox().list()).filter((row) => row.status === 'pending');
    expect(pending).toHaveLength(2);
    const ids = pending.map((row) => row.id).sort();

    await receiver.start();
    // Not due before its back-off (5 s): a run now sends nothing.
    expect(await after(4000)).toEqual({ delivered: 0, failed: 0, dead: 0 });
    expect(await after(1000)).toEqual({ delivered: 2, failed: 0, dead: 0 });
    expect(receiver.calls.map((call) => call.headers['webhook-id']).sort()).toEqual(ids);
    for (const call of receiver.calls) expect(await hasValidSignature(call, EVENT_SECRET)).toBe(true);
    expect(await after(RETRY_DELAYS_MS[1])).toEqual({ delivered: 0, failed: 0, dead: 0 });
    expect(receiver.calls).toHaveLength(2);
  });

  it('backs off 5 s, 30 s, 2 min, ... with the same id and body each time; a status other than 2xx and no answer in time are failures', async () => {
    let answers = 0;
    receiver.answer = () => {
      answers++;
      // The third attempt answers after EVENT_WEBHOOK_TIMEOUT_MS: counted as a failure.
      if (answers === 3) return { status: 200, delayMs: 600 };
      return answers < 5 ? { status: answers % 2 === 0 ? 500 : 429 } : { status: 200 };
    };
    const webhooks = t.app.get(WebhookEvents);
    await webhooks.record('user.deleted', { userId: 'u-1', address: 'someone', reason: 'admin' });

    expect(await deliver()).toMatchObject({ failed: 1 });
    for (const [index, delay] of RETRY_DELAYS_MS.slice(0, 3).entries()) {
      expect(await after(delay - 1000)).toEqual({ delivered: 0, failed: 0, dead: 0 });
      expect(await after(1000)).toEqual({ delivered: 0, failed: 1, dead: 0 });
      expect(receiver.calls).toHaveLength(index + 2);
    }
    expect(await after(RETRY_DELAYS_MS[3])).toEqual({ delivered: 1, failed: 0, dead: 0 });
    expect(new Set(receiver.calls.map((call) => call.headers['webhook-id'])).size).toBe(1);
    expect(new Set(receiver.calls.map((call) => call.body)).size).toBe(1);
    // Each attempt is signed anew, at its own time.
    const stamps = receiver.calls.map((call) => Number(call.headers['webhook-timestamp']));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(new Set(stamps).size).toBe(5);
    for (const call of receiver.calls) expect(await hasValidSignature(call, EVENT_SECRET)).toBe(true);
    const row = await outbox().get(receiver.calls[0].headers['webhook-id'] as string);
    expect(row).toMatchObject({ status: 'delivered', attempts: 5 });
  });

  it('gives an event up after about a day of failures, with a warning and an audit event', async () => {
    receiver.answer = () => ({ status: 503 });
    await t.app.get(WebhookEvents).record('user.deleted', { userId: 'u-2', address: 'gone', reason: 'self' });
    expect(await deliver()).toMatchObject({ failed: 1 });
    for (const delay of RETRY_DELAYS_MS.slice(0, -1)) expect(await after(delay)).toMatchObject({ failed: 1, dead: 0 });
    const total = RETRY_DELAYS_MS.reduce((sum, delay) => sum + delay, 0);
    expect(total / 3_600_000).toBeGreaterThan(20);
    expect(total / 3_600_000).toBeLessThan(25);
    expect(await after(RETRY_DELAYS_MS[RETRY_DELAYS_MS.length - 1])).toEqual({ delivered: 0, failed: 0, dead: 1 });
    expect(receiver.calls).toHaveLength(RETRY_DELAYS_MS.length + 1);
    expect(await after(RETRY_DELAYS_MS[RETRY_DELAYS_MS.length - 1])).toEqual({ delivered: 0, failed: 0, dead: 0 });

    const row = await outbox().get(receiver.calls[0].headers['webhook-id'] as string);
    expect(row).toMatchObject({ status: 'dead', attempts: RETRY_DELAYS_MS.length + 1, last_error: 'HTTP 503' });
    expect(t.logs.lines.some((line) => line.includes('given up') && line.includes(row!.id))).toBe(true);
    const [audited] = await t.app.get(AuditTrail).list({ type: 'webhook.given-up' });
    expect(audited).toMatchObject({ method: 'user.deleted', outcome: 'HTTP 503' });
  });

  it('sends each of a burst of events exactly once when two workers run at the same time', async () => {
    // A second worker over the same database, as on a second instance.
    const other = new EventWebhookDelivery(
      t.app.get(WebhookOutboxRepository),
      t.app.get(AuditTrail),
      t.app.get(Clock),
      t.app.get(SchedulerRegistry),
      t.app.get(hooksConfig.KEY),
    );
    receiver.answer = () => ({ status: 200, delayMs: 5 });
    const webhooks = t.app.get(WebhookEvents);
    await Promise.all(Array.from({ length: 80 }, (_, i) => webhooks.record('user.deleted', { userId: `burst-${i}`, address: `b${i}`, reason: 'admin' })));
    const [mine, theirs] = await Promise.all([deliver(), other.runOnce()]);
    await other.onModuleDestroy();
    expect(mine.delivered + theirs.delivered).toBe(80);
    const ids = receiver.calls.map((call) => call.headers['webhook-id']);
    expect(ids).toHaveLength(80);
    expect(new Set(ids).size).toBe(80);
  });

  it('sends user.deleted when a user deletes their account, with the address their other records are kept under', async () => {
    const { token, userId } = await login('linus');
    await deliver();
    receiver.calls.length = 0;
    expect((await api().delete('/v1/me').auth(token, { type: 'bearer' })).status).toBe(204);
    await deliver();
    expect(receiver.calls.map(eventOf)).toEqual([expect.objectContaining({ type: 'user.deleted', data: { userId, address: 'linus', reason: 'self' } })]);
  });
});

describe('event webhooks limited by EVENT_WEBHOOK_EVENTS', () => {
  it('records only the events listed', async () => {
    const receiver = await new WebhookReceiver().start();
    const t = await startTestApp({ ...NO_HOOKS, EVENT_WEBHOOK_URL: receiver.url, EVENT_WEBHOOK_SECRET: EVENT_SECRET, EVENT_WEBHOOK_EVENTS: 'user.created', TICKET_LOGIN_SECRET: TICKET_SECRET });
    try {
      for (const user of ['a1', 'a1', 'a2']) {
        const expires = String(Math.floor(t.clock.nowMs() / 1000) + 60);
        expect((await request(t.url).post('/v1/auth/ticket/login').send({ user, expires, signature: signTicket(TICKET_SECRET, user, expires), appid: APPID })).status).toBe(200);
        t.clock.advance(1);
      }
      expect((await t.app.get(WebhookOutboxRepository).list()).map((row) => row.type)).toEqual(['user.created', 'user.created']);
    } finally {
      await t.close();
      await receiver.stop();
    }
  });
});
