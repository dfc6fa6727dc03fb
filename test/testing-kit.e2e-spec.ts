import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Backend, startBackend } from '../src/testing';

/**
 * The testing kit as another project's suite uses it: no @nestjs/testing, no supertest, only the
 * backend's URL, its inbox and its mesibo simulator.
 */
const APPID = 'com.example.kit';

async function post(url: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}

/** The op API, as the released apps call it. */
async function op(backend: Backend, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await post(`${backend.url}/`, body);
  expect(res.status).toBe(200);
  return res.body;
}

async function me(backend: Backend, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${backend.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function isListening(url: string): Promise<boolean> {
  try {
    await fetch(url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

describe('testing kit: an in-process backend', () => {
  let backend: Backend;
  // Each test its own number: codes and budgets of one never touch another.
  let next = 100;
  const newPhone = (): string => `1415555${String(next++).padStart(4, '0')}`;

  beforeAll(async () => {
    // The mesibo faults below make the service log errors, as they should; this suite does not read them.
    backend = await startBackend({ env: { LOG_LEVEL: 'silent' } });
  });
  afterAll(() => backend.stop());
  afterEach(() => backend.mesibo.setFault('none'));

  async function requestCode(phone: string): Promise<string> {
    expect(await op(backend, { op: 'login', phone, appid: APPID })).toMatchObject({ result: 'OK' });
    return backend.inbox.codeFor(phone);
  }

  it('logs in with the code from the inbox: a mesibo token that /v1/me accepts', async () => {
    const phone = newPhone();
    const code = await requestCode(`+${phone}`);

    const login = await op(backend, { op: 'login', phone, appid: APPID, otp: code });

    expect(login).toMatchObject({ result: 'OK', phone });
    const token = login.token as string;
    expect(backend.mesibo.isTokenValid(token)).toBe(true);
    expect(await me(backend, token)).toMatchObject({ status: 200, body: { address: phone } });
  });

  it('answers BADCODE to a wrong code', async () => {
    const phone = newPhone();
    const code = await requestCode(phone);
    const wrong = code === '000000' ? '111111' : '000000';

    expect(await op(backend, { op: 'login', phone, appid: APPID, otp: wrong })).toMatchObject({ result: 'FAIL', error: 'BADCODE' });
  });

  it('raises the limits a suite runs into: no resend cooldown, no per-number or per-client send cap', async () => {
    const phone = newPhone();
    // By default the second code within 30 s, and the sixth within an hour, are refused.
    for (let i = 0; i < 8; i++) await requestCode(phone);

    const code = await requestCode(phone);
    expect(await op(backend, { op: 'login', phone, appid: APPID, otp: code })).toMatchObject({ result: 'OK' });
  });

  it('moves time: a code expires after OTP_TTL_SECONDS on the op API and the REST API', async () => {
    const phone = newPhone();
    const code = await requestCode(phone);

    backend.advanceTime(301);

    expect(await op(backend, { op: 'login', phone, appid: APPID, otp: code })).toMatchObject({
      result: 'FAIL',
      error: 'BADCODE',
      errmsg: 'The code has expired or was already used. Request a new code.',
    });
    const rest = await post(`${backend.url}/v1/auth/otp/verify`, { phone, appid: APPID, otp: code });
    expect(rest).toMatchObject({ status: 401, body: { code: 'invalid_code' } });
    expect(backend.now().getTime() - Date.now()).toBeGreaterThanOrEqual(301_000);
  });

  describe('mesibo faults', () => {
    it('down: MESIBOUNAVAILABLE / 503 mesibo_unavailable; the same code works once mesibo is back', async () => {
      const phone = newPhone();
      const code = await requestCode(phone);
      backend.mesibo.setFault('down');

      expect(await op(backend, { op: 'login', phone, appid: APPID, otp: code })).toMatchObject({ result: 'FAIL', error: 'MESIBOUNAVAILABLE' });
      const rest = await post(`${backend.url}/v1/auth/otp/verify`, { phone, appid: APPID, otp: code });
      expect(rest).toMatchObject({ status: 503, body: { code: 'mesibo_unavailable' } });

      backend.mesibo.setFault('none');
      expect(await op(backend, { op: 'login', phone, appid: APPID, otp: code })).toMatchObject({ result: 'OK' });
    });

    it('authfail: BADAPP / 502 mesibo_misconfigured (never AUTHFAIL, which signs the apps out)', async () => {
      const phone = newPhone();
      const code = await requestCode(phone);
      backend.mesibo.setFault('authfail');

      expect(await op(backend, { op: 'login', phone, appid: APPID, otp: code })).toMatchObject({ result: 'FAIL', error: 'BADAPP' });
      const rest = await post(`${backend.url}/v1/auth/otp/verify`, { phone, appid: APPID, otp: code });
      expect(rest).toMatchObject({ status: 502, body: { code: 'mesibo_misconfigured' } });
    });

    it('slow beyond the timeout: MESIBOUNAVAILABLE within about two seconds (the kit’s mesibo timeout and one retry)', async () => {
      const phone = newPhone();
      const code = await requestCode(phone);
      backend.mesibo.setFault('slow');

      const started = performance.now();
      expect(await op(backend, { op: 'login', phone, appid: APPID, otp: code })).toMatchObject({ result: 'FAIL', error: 'MESIBOUNAVAILABLE' });
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(2000);
      expect(elapsed).toBeLessThan(4500);
      const rest = await post(`${backend.url}/v1/auth/otp/verify`, { phone, appid: APPID, otp: code });
      expect(rest).toMatchObject({ status: 503, body: { code: 'mesibo_unavailable' } });
    });

    it('slow within the timeout: the login waits, then succeeds', async () => {
      const phone = newPhone();
      const code = await requestCode(phone);
      backend.mesibo.setFault('slow', { delayMs: 300 });

      const started = performance.now();
      expect(await op(backend, { op: 'login', phone, appid: APPID, otp: code })).toMatchObject({ result: 'OK' });
      expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    });
  });

  it('fails a send when the inbox is told to: SENDFAILED, and the next request sends', async () => {
    const phone = newPhone();
    backend.inbox.failNext(1);

    expect(await op(backend, { op: 'login', phone, appid: APPID })).toMatchObject({ result: 'FAIL', error: 'SENDFAILED' });
    expect(await requestCode(phone)).toMatch(/^\d{6}$/);
  });

  it('receives email codes too: register, confirm with the emailed code, log in', async () => {
    const email = `ada${next++}@example.com`;
    const password = 'correct horse battery staple';
    expect((await post(`${backend.url}/v1/auth/email/register`, { email, password, name: 'Ada' })).status).toBe(202);

    const code = await backend.inbox.codeFor(email.toUpperCase());

    expect((await post(`${backend.url}/v1/auth/email/verify`, { email, code, password })).status).toBe(204);
    const login = await post(`${backend.url}/v1/auth/email/login`, { email, password, appid: APPID });
    expect(login).toMatchObject({ status: 200, body: { address: email } });
    expect(backend.inbox.messages.find((message) => message.to === email)).toMatchObject({ channel: 'email', code });
  });
});

describe('testing kit: settings', () => {
  it("limits: 'production' keeps the defaults: a second code within the cooldown is refused", async () => {
    const backend = await startBackend({ limits: 'production' });
    try {
      const phone = '14155550001';
      expect(await op(backend, { op: 'login', phone, appid: APPID })).toMatchObject({ result: 'OK' });
      expect(await op(backend, { op: 'login', phone, appid: APPID })).toMatchObject({ result: 'FAIL', error: 'RATELIMITED' });
    } finally {
      await backend.stop();
    }
  });

  it('two backends started at once each get their own settings, and the process environment is left as it was', async () => {
    const before = { ...process.env };
    const [four, eight] = await Promise.all([startBackend({ env: { OTP_LENGTH: '4' } }), startBackend({ env: { OTP_LENGTH: '8' } })]);
    try {
      expect(process.env).toEqual(before);
      for (const [backend, length] of [
        [four, 4],
        [eight, 8],
      ] as const) {
        await op(backend, { op: 'login', phone: '14155550002', appid: APPID });
        expect(await backend.inbox.codeFor('14155550002')).toMatch(new RegExp(`^\\d{${length}}$`));
      }
    } finally {
      await Promise.all([four.stop(), eight.stop()]);
    }
  });

  it('a bad setting rejects the start with the variable named, and removes what it had made', async () => {
    const kitFolders = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('mesibo-backend-kit-'));
    const before = kitFolders();

    await expect(startBackend({ env: { OTP_LENGTH: 'six' } })).rejects.toThrow(/OTP_LENGTH/);

    expect(kitFolders()).toEqual(before);
  });

  it('stop() releases the ports and removes the database folder', async () => {
    const backend = await startBackend();
    const directory = backend.dataDirectory!;
    const urls = [backend.url, backend.mesibo.url, backend.inbox.settings.OTP_WEBHOOK_URL];
    expect(existsSync(directory)).toBe(true);
    for (const url of urls) expect(await isListening(url)).toBe(true);

    await backend.stop();

    expect(existsSync(directory)).toBe(false);
    for (const url of urls) expect(await isListening(url)).toBe(false);
  });
});

describe('testing kit: a backend in a child process', () => {
  it('logs in with the inbox and the simulator in the test process; time cannot be moved', async () => {
    const backend = await startBackend({ process: 'child' });
    try {
      const phone = '14155550003';
      expect(await op(backend, { op: 'login', phone, appid: APPID })).toMatchObject({ result: 'OK' });
      const login = await op(backend, { op: 'login', phone, appid: APPID, otp: await backend.inbox.codeFor(phone) });
      expect(backend.mesibo.isTokenValid(login.token as string)).toBe(true);

      await op(backend, { op: 'login', phone, appid: APPID });
      const code = await backend.inbox.codeFor(phone);
      backend.mesibo.setFault('down');
      expect(await op(backend, { op: 'login', phone, appid: APPID, otp: code })).toMatchObject({ result: 'FAIL', error: 'MESIBOUNAVAILABLE' });
      expect(() => backend.advanceTime(60)).toThrow('advanceTime needs the in-process backend');
    } finally {
      await backend.stop();
    }
    expect(await isListening(backend.url)).toBe(false);
  }, 90_000);
});
