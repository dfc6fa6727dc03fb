// A suite of another project: it runs the mesibo private backend with its testing kit and logs in
// the way an app does, reading the one-time codes from the kit's inbox.
const { startBackend } = require('mesibo-private-backend/testing');

const APPID = 'com.example.messenger';

/** The op API the released apps call: POST / with {op, ...}; every answer is HTTP 200. */
async function op(backend, body) {
  const res = await fetch(`${backend.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json();
}

async function requestCode(backend, phone) {
  expect(await op(backend, { op: 'login', phone, appid: APPID })).toMatchObject({ result: 'OK' });
  return backend.inbox.codeFor(phone);
}

describe('logging in to the mesibo private backend', () => {
  let backend;

  beforeAll(async () => {
    backend = await startBackend();
  });
  afterAll(() => backend.stop());
  afterEach(() => backend.mesibo.setFault('none'));

  test('the code sent to the phone logs in, and /v1/me knows the token', async () => {
    const phone = '14155550101';
    const code = await requestCode(backend, phone);

    const login = await op(backend, { op: 'login', phone, appid: APPID, otp: code });

    expect(login).toMatchObject({ result: 'OK', phone });
    const me = await fetch(`${backend.url}/v1/me`, { headers: { authorization: `Bearer ${login.token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ address: phone });
  });

  test('a wrong code answers BADCODE', async () => {
    const phone = '14155550102';
    const code = await requestCode(backend, phone);
    const wrong = code === '000000' ? '111111' : '000000';

    expect(await op(backend, { op: 'login', phone, appid: APPID, otp: wrong })).toMatchObject({ result: 'FAIL', error: 'BADCODE' });
  });

  test('while mesibo is down, a login answers MESIBOUNAVAILABLE', async () => {
    const phone = '14155550103';
    const code = await requestCode(backend, phone);
    backend.mesibo.setFault('down');

    expect(await op(backend, { op: 'login', phone, appid: APPID, otp: code })).toMatchObject({
      result: 'FAIL',
      error: 'MESIBOUNAVAILABLE',
    });
  });

  test('a code no longer works five minutes later', async () => {
    const phone = '14155550104';
    const code = await requestCode(backend, phone);

    backend.advanceTime(5 * 60 + 1);

    expect(await op(backend, { op: 'login', phone, appid: APPID, otp: code })).toMatchObject({ result: 'FAIL', error: 'BADCODE' });
  });
});
