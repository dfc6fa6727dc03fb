import { ConfigError } from './env';
import { loadHooksConfig, parseWebhookSecret } from './hooks.config';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

describe('hooks settings', () => {
  it('asks for nothing by default: no signing, no event webhook, no hook', () => {
    expect(loadHooksConfig({})).toEqual({ otpWebhookKey: undefined, events: undefined, beforeToken: undefined });
  });

  it('reads the event webhook with every event, and the hook failing closed after 2 s', () => {
    const config = loadHooksConfig({ EVENT_WEBHOOK_URL: 'https://hooks.example.org/e', EVENT_WEBHOOK_SECRET: SECRET, BEFORE_TOKEN_HOOK_URL: 'http://localhost:9000/h', BEFORE_TOKEN_HOOK_SECRET: SECRET });
    expect([...config.events!.events]).toEqual(['user.created', 'login.succeeded', 'user.deleted']);
    expect(config.events!.key.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(config.beforeToken).toMatchObject({ timeoutMs: 2000, failure: 'closed' });
  });

  it('limits the events to EVENT_WEBHOOK_EVENTS', () => {
    const config = loadHooksConfig({ EVENT_WEBHOOK_URL: 'https://hooks.example.org/e', EVENT_WEBHOOK_SECRET: SECRET, EVENT_WEBHOOK_EVENTS: 'user.deleted, user.created' });
    expect([...config.events!.events].sort()).toEqual(['user.created', 'user.deleted']);
  });

  it('refuses a URL without its secret, a secret that is not whsec_, unknown events and failure modes, naming each variable', () => {
    const attempt = () =>
      loadHooksConfig({
        EVENT_WEBHOOK_URL: 'https://hooks.example.org/e',
        EVENT_WEBHOOK_EVENTS: 'user.created,user.updated',
        BEFORE_TOKEN_HOOK_URL: 'https://hooks.example.org/h',
        BEFORE_TOKEN_HOOK_SECRET: 'plain-secret-without-prefix-0123456789',
        BEFORE_TOKEN_HOOK_FAILURE: 'ignore',
        OTP_WEBHOOK_SECRET: 'whsec_c2hvcnQ=',
      });
    expect(attempt).toThrow(ConfigError);
    const problems = (() => {
      try {
        attempt();
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();
    for (const name of ['EVENT_WEBHOOK_SECRET', 'EVENT_WEBHOOK_EVENTS', 'BEFORE_TOKEN_HOOK_SECRET', 'BEFORE_TOKEN_HOOK_FAILURE', 'OTP_WEBHOOK_SECRET']) {
      expect(problems.some((problem) => problem.startsWith(name))).toBe(true);
    }
    // A problem never repeats the secret it refuses.
    expect(problems.join(' ')).not.toContain('plain-secret-without-prefix');
  });

  it('takes whsec_ secrets of 24 to 64 bytes in base64, and nothing else', () => {
    expect(parseWebhookSecret(`whsec_${Buffer.alloc(24).toString('base64')}`)).toHaveLength(24);
    expect(parseWebhookSecret(`whsec_${Buffer.alloc(64).toString('base64')}`)).toHaveLength(64);
    expect(parseWebhookSecret(`whsec_${Buffer.alloc(23).toString('base64')}`)).toBeUndefined();
    expect(parseWebhookSecret(`whsec_${Buffer.alloc(65).toString('base64')}`)).toBeUndefined();
    expect(parseWebhookSecret(Buffer.alloc(32).toString('base64'))).toBeUndefined();
    expect(parseWebhookSecret('whsec_not base64 at all!!')).toBeUndefined();
  });
});
