import { createSocket, Socket } from 'node:dgram';
import request from 'supertest';
import { describeWithPrograms } from './support/server-software';
import { CHALLENGE_PROMPT, FREERADIUS, FreeRadius, freeUdpPort, RADIUS_USERS, startFreeRadius } from './support/freeradius';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const SECRET = 'radius-shared-secret-for-the-tests-0123';
const { ada, carol, dave, mallory, grace, bruno } = RADIUS_USERS;

/** Every RADIUS setting, so one app's settings never leak into the next app's start. */
function radiusEnv(overrides: Record<string, string>): Record<string, string> {
  return {
    RADIUS_SERVERS: '',
    RADIUS_SECRET: SECRET,
    RADIUS_TIMEOUT_MS: '1000',
    RADIUS_RETRIES: '1',
    RADIUS_NAS_IDENTIFIER: 'mesibo-e2e',
    RADIUS_SUBJECT_ATTRIBUTE: '',
    RADIUS_ADDRESS_ATTRIBUTE: '',
    RADIUS_ADDRESS_PREFIX: '',
    RADIUS_TRUST_ADDRESS: '',
    RADIUS_CHALLENGE_TTL_SECONDS: '',
    ...overrides,
  };
}

/** A UDP socket that takes packets and never answers: a server that is down behind a firewall. */
async function silentServer(): Promise<{ socket: Socket; label: string; packets: () => number }> {
  const socket = createSocket('udp4');
  let packets = 0;
  socket.on('message', () => packets++);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, label: `127.0.0.1:${socket.address().port}`, packets: () => packets };
}

describeWithPrograms('RADIUS login against FreeRADIUS', [FREERADIUS], 'apt-get install freeradius')('RADIUS login against FreeRADIUS', () => {
  let radius: FreeRadius;

  beforeAll(async () => {
    radius = await startFreeRadius({ secret: SECRET });
  });
  afterAll(async () => {
    await radius?.stop();
  });

  describe('with one server', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp(radiusEnv({ RADIUS_SERVERS: radius.label }));
    });
    afterAll(async () => {
      await t?.close();
    });

    const api = () => request(t.url);
    const restLogin = (body: Record<string, string>) => api().post('/v1/auth/radius/login').send({ appid: APPID, ...body });
    const opLogin = (body: Record<string, string>) => api().post('/').send({ op: 'login', method: 'radius', appid: APPID, dt: 'web', ...body });

    it('logs in on the REST surface with a password, and mints a mesibo token for radius:<username>', async () => {
      const res = await restLogin({ username: ada.username, password: ada.password, device: 'laptop' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ token: expect.any(String), address: 'radius:ada', newUser: true });
      expect(t.mesibo.users.get('radius:ada')?.tokens.has(res.body.token)).toBe(true);
      const me = await api().get('/v1/me').auth(res.body.token, { type: 'bearer' });
      expect(me.body.identities).toEqual([expect.objectContaining({ method: 'radius', subject: 'ada', verified: false })]);
    });

    it('logs in on the op API with method "radius", to the same user', async () => {
      const res = await opLogin({ username: ada.username, password: ada.password });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ op: 'login', result: 'OK', token: expect.any(String), phone: 'radius:ada' });
      expect(t.mesibo.users.get('radius:ada')?.tokens.has(res.body.token)).toBe(true);
    });

    it('gives a user name with a realm an address without @, which only email logins may take', async () => {
      const res = await restLogin({ username: grace.username, password: grace.password });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ address: 'radius:grace%40corp.example', newUser: true });
      const me = await api().get('/v1/me').auth(res.body.token, { type: 'bearer' });
      expect(me.body.identities).toEqual([expect.objectContaining({ method: 'radius', subject: grace.username })]);
    });

    it('answers a wrong password, a rejected user and an unknown user alike, on both surfaces', async () => {
      const wrong = await restLogin({ username: ada.username, password: 'not the password' });
      const rejected = await restLogin({ username: mallory.username, password: mallory.password });
      const unknown = await restLogin({ username: 'nobody', password: 'whatever it is' });
      expect([wrong.status, wrong.body.code]).toEqual([401, 'invalid_credentials']);
      expect([rejected.status, rejected.body]).toEqual([wrong.status, wrong.body]);
      expect([unknown.status, unknown.body]).toEqual([wrong.status, wrong.body]);

      const viaOp = await opLogin({ username: ada.username, password: 'not the password' });
      expect(viaOp.status).toBe(200);
      expect(viaOp.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'BADLOGIN' });
    });

    it('asks for the token code on the REST surface, then logs in with state and response', async () => {
      const first = await restLogin({ username: carol.username, password: carol.password });
      expect(first.status).toBe(401);
      expect(first.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(first.body).toMatchObject({ code: 'challenge_required', challenge: CHALLENGE_PROMPT, state: expect.any(String) });
      // The server's State stays on the server side: the client only sees the sealed one.
      expect(first.body.state).not.toContain(Buffer.from('token-challenge').toString('base64'));

      const wrongCode = await restLogin({ username: carol.username, state: first.body.state, response: '000000' });
      expect([wrongCode.status, wrongCode.body.code]).toEqual([401, 'invalid_credentials']);

      const again = await restLogin({ username: carol.username, password: carol.password });
      const second = await restLogin({ username: carol.username, state: again.body.state, response: carol.code });
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ token: expect.any(String), address: 'radius:carol' });
      expect(t.mesibo.users.get('radius:carol')?.tokens.has(second.body.token)).toBe(true);

      // A state is answered once.
      const replayed = await restLogin({ username: carol.username, state: again.body.state, response: carol.code });
      expect([replayed.status, replayed.body.code]).toEqual([401, 'invalid_credentials']);
    });

    it('asks for the token code on the op API, then logs in with state and response', async () => {
      const first = await opLogin({ username: carol.username, password: carol.password });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'CHALLENGE', challenge: CHALLENGE_PROMPT, state: expect.any(String) });

      const second = await opLogin({ username: carol.username, state: first.body.state, response: carol.code });
      expect(second.body).toMatchObject({ op: 'login', result: 'OK', token: expect.any(String), phone: 'radius:carol' });
    });

    it('refuses a state issued to another user, before the server hears of it', async () => {
      const carols = await restLogin({ username: carol.username, password: carol.password });
      expect(carols.body.code).toBe('challenge_required');
      const before = radius.requestsFor(dave.username);

      // The server would accept dave with carol's State and code: only the sealing stops this.
      const asDave = await restLogin({ username: dave.username, state: carols.body.state, response: carol.code });
      expect([asDave.status, asDave.body.code]).toEqual([401, 'invalid_credentials']);
      const viaOp = await opLogin({ username: dave.username, state: carols.body.state, response: carol.code });
      expect(viaOp.body).toMatchObject({ result: 'FAIL', error: 'BADLOGIN' });
      expect(radius.requestsFor(dave.username)).toBe(before);
      expect(t.mesibo.users.has('radius:dave')).toBe(false);

      // Altered by one character, it does not open for carol either.
      const state = carols.body.state as string;
      const altered = `${state.slice(0, -2)}${state.at(-2) === 'A' ? 'B' : 'A'}${state.at(-1)}`;
      expect((await restLogin({ username: carol.username, state: altered, response: carol.code })).status).toBe(401);
    });

    it('refuses the answer to a challenge once the state has expired', async () => {
      const first = await restLogin({ username: carol.username, password: carol.password });
      t.clock.advance(301);
      const late = await restLogin({ username: carol.username, state: first.body.state, response: carol.code });
      expect([late.status, late.body.code]).toEqual([401, 'invalid_credentials']);
    });

    it.each([
      ['no password', { username: ada.username }, /password must be sent/],
      ['a password and a state', { username: ada.username, password: ada.password, state: 'x', response: '1' }, /password must not be sent with state/],
      ['a state without a response', { username: carol.username, state: 'x' }, /response must be sent with state/],
      ['a response without a state', { username: carol.username, response: '123456' }, /state must be sent with response/],
      ['a password longer than RADIUS carries', { username: ada.username, password: 'é'.repeat(65) }, /password must be 1 to 128 bytes/],
      ['no username', { password: ada.password }, /username/],
    ])('refuses a request with %s, naming the field', async (_case, body, reason) => {
      const res = await restLogin(body);
      expect([res.status, res.body.code]).toEqual([400, 'invalid_request']);
      expect((res.body.errors as string[]).join('\n')).toMatch(reason);
      const viaOp = await opLogin(body);
      expect(viaOp.body).toMatchObject({ result: 'FAIL', error: 'BADREQUEST' });
    });

    it('gets no more wrong passwords to the server than the budget allows, from 200 concurrent tries', async () => {
      const before = radius.requestsFor(bruno.username);
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          i % 2 === 0
            ? restLogin({ username: bruno.username, password: `wrong password ${i}` }).then((res) => res.body.code as string)
            : opLogin({ username: bruno.username, password: `wrong password ${i}` }).then((res) => (res.body.error === 'RATELIMITED' ? 'rate_limited' : 'invalid_credentials')),
        ),
      );
      const refused = answers.filter((code) => code === 'invalid_credentials').length;
      // PASSWORD_MAX_FAILURES_PER_CLIENT_PER_WINDOW: 10 by default.
      expect(refused).toBe(10);
      expect(answers.filter((code) => code === 'rate_limited')).toHaveLength(190);
      expect(radius.requestsFor(bruno.username) - before).toBe(10);
      // Spent for this client, even with the right password now.
      expect((await restLogin({ username: bruno.username, password: bruno.password })).status).toBe(429);
    });

    it('never writes a password, the shared secret or a token code to the log', () => {
      const log = t.logs.lines.join('\n');
      expect(log.length).toBeGreaterThan(0);
      for (const secret of [SECRET, ada.password, carol.password, carol.code, mallory.password, grace.password, bruno.password, 'not the password']) {
        expect(log).not.toContain(secret);
      }
    });
  });

  describe('with a FreeRADIUS that does not sign its replies', () => {
    let unsigned: FreeRadius;
    let t: TestApp;

    beforeAll(async () => {
      // Debian 12's FreeRADIUS 3.2.1 as installed: no Message-Authenticator in PAP replies.
      unsigned = await startFreeRadius({ secret: SECRET, messageAuthenticator: false });
      t = await startTestApp(radiusEnv({ RADIUS_SERVERS: unsigned.label, RADIUS_TIMEOUT_MS: '200', RADIUS_RETRIES: '0' }));
    });
    afterAll(async () => {
      await t?.close();
      await unsigned?.stop();
    });

    it('refuses its Access-Accept, on both surfaces, and says why in the log', async () => {
      const res = await request(t.url).post('/v1/auth/radius/login').send({ appid: APPID, username: ada.username, password: ada.password });
      expect([res.status, res.body.code]).toEqual([503, 'login_method_unavailable']);
      const viaOp = await request(t.url).post('/').send({ op: 'login', method: 'radius', appid: APPID, username: ada.username, password: ada.password });
      expect(viaOp.body).toMatchObject({ result: 'FAIL', error: 'UNAVAILABLE' });
      expect(unsigned.requestsFor(ada.username)).toBe(2);
      expect(t.logs.lines.some((line) => line.includes(`Dropped a reply from RADIUS server ${unsigned.label}: no Message-Authenticator`))).toBe(true);
      expect(t.mesibo.users.size).toBe(0);
    });
  });

  describe('with servers that are down before it, and attributes for the identity', () => {
    let t: TestApp;
    let silent: Awaited<ReturnType<typeof silentServer>>;
    let closedPort: number;

    beforeAll(async () => {
      silent = await silentServer();
      closedPort = await freeUdpPort();
      t = await startTestApp(
        radiusEnv({
          // Refused at once (ICMP port unreachable), then silent until the timeouts, then FreeRADIUS.
          RADIUS_SERVERS: `127.0.0.1:${closedPort}, ${silent.label}, ${radius.label}`,
          RADIUS_TIMEOUT_MS: '300',
          RADIUS_RETRIES: '1',
          RADIUS_SUBJECT_ATTRIBUTE: 'Class',
          RADIUS_ADDRESS_ATTRIBUTE: 'Filter-Id',
          RADIUS_TRUST_ADDRESS: 'true',
        }),
      );
    });
    afterAll(async () => {
      await t?.close();
      silent?.socket.close();
    });

    it('fails over to the next server, and takes subject and address from the Accept', async () => {
      const before = radius.requestsFor(ada.username);
      const started = Date.now();
      const res = await request(t.url).post('/v1/auth/radius/login').send({ appid: APPID, username: ada.username, password: ada.password });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ address: ada.filterId, newUser: true });
      // The silent server got the packet and its one retransmission, each waited for.
      expect(silent.packets()).toBe(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 300 - 20);
      expect(radius.requestsFor(ada.username) - before).toBe(1);
      const me = await request(t.url).get('/v1/me').auth(res.body.token, { type: 'bearer' });
      expect(me.body.identities).toEqual([expect.objectContaining({ method: 'radius', subject: ada.class, verified: true })]);
    });

    it('sends the answer to a challenge back to the server that asked, after failing over to it', async () => {
      const first = await request(t.url).post('/').send({ op: 'login', method: 'radius', appid: APPID, username: carol.username, password: carol.password });
      expect(first.body).toMatchObject({ result: 'FAIL', error: 'CHALLENGE' });
      const packetsBefore = silent.packets();
      const second = await request(t.url).post('/').send({ op: 'login', method: 'radius', appid: APPID, username: carol.username, state: first.body.state, response: carol.code });
      // carol's Accept has no Class: the configured subject is missing, which is the server's fault.
      expect(second.body).toMatchObject({ result: 'FAIL', error: 'UNAVAILABLE' });
      expect(silent.packets()).toBe(packetsBefore);
      expect(t.logs.lines.some((line) => line.includes('has no usable Class attribute (RADIUS_SUBJECT_ATTRIBUTE)'))).toBe(true);
    });

    it('names the servers that failed in the log, and no secret', () => {
      const log = t.logs.lines.join('\n');
      expect(log).toContain(`RADIUS server 127.0.0.1:${closedPort} did not answer`);
      expect(log).toContain(`RADIUS server ${silent.label} did not answer: no valid reply to 2 packets within 300 ms each`);
      for (const secret of [SECRET, ada.password, carol.password, carol.code]) expect(log).not.toContain(secret);
    });
  });
});
