import { randomBytes } from 'node:crypto';
import { MesiboSimulator } from './mesibo-simulator';

const APP_TOKEN = `spec-app-token-${randomBytes(12).toString('hex')}`;

/** The simulator over real HTTP, as the service talks to it. */
describe('MesiboSimulator', () => {
  let simulator: MesiboSimulator;

  beforeEach(async () => {
    simulator = await new MesiboSimulator({ appToken: APP_TOKEN }).start();
  });
  afterEach(() => simulator.stop());

  async function call(op: string, user: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await fetch(simulator.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op, token: APP_TOKEN, user }) });
    return (await res.json()) as Record<string, unknown>;
  }

  async function issue(address: string): Promise<string> {
    const reply = await call('useradd', { address, token: { appid: 'com.example.app', expiry: 60 } });
    return (reply.user as { token: string }).token;
  }

  it('tracks every token it issued as valid, and no other', async () => {
    const first = await issue('18005551234');
    const second = await issue('18005551234');

    expect(simulator.isTokenValid(first)).toBe(true);
    expect(simulator.isTokenValid(second)).toBe(true);
    expect(simulator.isTokenValid('never-issued')).toBe(false);
  });

  it('forgets a token removed with usertokendel, and only that one', async () => {
    const first = await issue('18005551234');
    const second = await issue('18005551234');

    expect(await call('usertokendel', { address: '18005551234', token: { appid: 'com.example.app', token: first } })).toMatchObject({ result: true });

    expect(simulator.isTokenValid(first)).toBe(false);
    expect(simulator.isTokenValid(second)).toBe(true);
    expect(await call('usertokendel', { token: { token: first } })).toMatchObject({ result: false, error: 'NOTOKEN' });
  });

  it('forgets the tokens of a user removed with userdel', async () => {
    const token = await issue('18005551234');

    await call('userdel', { address: '18005551234' });

    expect(simulator.isTokenValid(token)).toBe(false);
  });
});

describe('MesiboSimulator faults', () => {
  let simulator: MesiboSimulator;

  beforeEach(async () => {
    simulator = await new MesiboSimulator({ appToken: APP_TOKEN }).start();
  });
  afterEach(() => simulator.stop());

  function useradd(): Promise<Response> {
    return fetch(simulator.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ op: 'useradd', token: APP_TOKEN, user: { address: '18005551234', token: { appid: 'com.example.app' } } }),
    });
  }

  /** `key: null` sends no Authorization header. */
  function control(method: 'GET' | 'POST', body?: unknown, key: string | null = APP_TOKEN): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key !== null) headers.authorization = `Bearer ${key}`;
    return fetch(simulator.controlUrl, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  it('down: every call answers 503 with no mesibo reply, and none is handled', async () => {
    simulator.setFault('down');

    const res = await useradd();

    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(simulator.users.size).toBe(0);
    expect(simulator.requests).toHaveLength(0);
  });

  it('authfail: every call gets the reply mesibo gives a wrong App Token, even with the right one', async () => {
    simulator.setFault('authfail');

    const res = await useradd();

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ op: 'useradd', result: false, error: 'AUTHFAIL', code: 401, cause: 'Invalid or expired app token', properties: ['token'] });
    expect(simulator.users.size).toBe(0);
  });

  it('slow: answers after delayMs, handled as usual', async () => {
    simulator.setFault('slow', { delayMs: 300 });

    const started = performance.now();
    const res = await useradd();

    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await res.json()).toMatchObject({ result: true, user: { address: '18005551234' } });
    expect(simulator.fault).toEqual({ mode: 'slow', delayMs: 300 });
  });

  it('slow without a delay holds answers for 10 s, and stop() lets go of them at once', async () => {
    simulator.setFault('slow');
    expect(simulator.fault.delayMs).toBe(10_000);

    const answer = useradd().then(
      (res) => res.status,
      () => 'closed',
    );
    // The call is being held once the simulator recorded it.
    while (simulator.requests.length === 0) await new Promise((tick) => setTimeout(tick, 5));
    const started = performance.now();
    await simulator.stop();

    expect(performance.now() - started).toBeLessThan(1000);
    expect(await answer).toBe('closed');
  });

  it('none: back to normal', async () => {
    simulator.setFault('down');
    simulator.setFault('none');

    expect((await useradd()).status).toBe(200);
    expect(simulator.users.size).toBe(1);
  });

  it('delayMs is the slow fault: setting it plays slow, 0 ends it', () => {
    simulator.delayMs = 700;
    expect(simulator.fault).toEqual({ mode: 'slow', delayMs: 700 });
    expect(simulator.delayMs).toBe(700);

    simulator.delayMs = 0;
    expect(simulator.fault).toEqual({ mode: 'none', delayMs: 0 });
    simulator.setFault('down');
    expect(simulator.delayMs).toBe(0);
  });

  it('setFault refuses an unknown mode and a bad delay', () => {
    expect(() => simulator.setFault('broken' as never)).toThrow(/mode must be one of none, down, slow, authfail/);
    expect(() => simulator.setFault('slow', { delayMs: -1 })).toThrow(RangeError);
    expect(() => simulator.setFault('slow', { delayMs: 1.5 })).toThrow(RangeError);
    expect(simulator.fault).toEqual({ mode: 'none', delayMs: 0 });
  });

  describe('POST /control/faults', () => {
    it('switches the fault, with the App Token as bearer key', async () => {
      const res = await control('POST', { mode: 'down' });

      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ mode: 'down', delayMs: 0 });
      expect((await useradd()).status).toBe(503);
      // The control endpoint itself still answers, so the fault can be switched off.
      expect(await (await control('POST', { mode: 'none' })).json()).toEqual({ mode: 'none', delayMs: 0 });
      expect((await useradd()).status).toBe(200);
    });

    it('takes a delay for slow, and GET reads the current fault', async () => {
      await control('POST', { mode: 'slow', delayMs: 250 });

      const res = await control('GET');

      expect(await res.json()).toEqual({ mode: 'slow', delayMs: 250 });
    });

    it.each<[string, string | null]>([
      ['no key', null],
      ['a wrong key', 'not-the-app-token'],
      ['the key with one more character', `${APP_TOKEN}x`],
    ])('refuses %s with 401 and changes nothing', async (_name, key) => {
      const res = await control('POST', { mode: 'down' }, key);

      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(simulator.fault.mode).toBe('none');
      expect(JSON.stringify(await res.json())).not.toContain(APP_TOKEN);
    });

    it.each<[string, unknown]>([
      ['an unknown mode', { mode: 'broken' }],
      ['no mode', { delayMs: 10 }],
      ['a negative delay', { mode: 'slow', delayMs: -5 }],
      ['a delay over two minutes', { mode: 'slow', delayMs: 120_001 }],
      ['a delay given as text', { mode: 'slow', delayMs: '100' }],
      ['a body that is not an object', ['down']],
    ])('answers 400 to %s', async (_name, body) => {
      const res = await control('POST', body);

      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'BADREQUEST' });
      expect(simulator.fault.mode).toBe('none');
    });

    it('is not a mesibo op: nothing reaches the recorded requests', async () => {
      await control('POST', { mode: 'authfail' });

      expect(simulator.requests).toHaveLength(0);
    });
  });
});
