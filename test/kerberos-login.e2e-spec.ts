import { spawn } from 'node:child_process';
import request from 'supertest';
import { AppProcess, startAppProcess } from './support/app-process';
import {
  exportToNativeEnvironment,
  FOREIGN_REALM,
  HTTP_SERVICE,
  KDC_INSTALL_HINT,
  KDC_PROGRAMS,
  KdcUser,
  KERBEROS_BINDING,
  negotiateClient,
  startKdc,
  TEST_REALM,
  TestKdc,
} from './support/kdc';
import { describeWithPrograms } from './support/server-software';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { APP_TOKEN, startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';
const ALICE: KdcUser = { name: 'alice', password: 'alice-kerberos-password-1' };
const BOB: KdcUser = { name: 'bob', password: 'bob-kerberos-password-2' };
const ALICE_ADMIN: KdcUser = { name: 'alice/admin', password: 'alice-admin-password-3' };
/** Of the other realm, which TEST.REALM trusts: her tickets for the service are valid. */
const CAROL: KdcUser = { name: 'carol', password: 'carol-kerberos-password-4', realm: FOREIGN_REALM };
const USERS = [ALICE, BOB, ALICE_ADMIN, CAROL];
const CURL = '/usr/bin/curl';

const REFUSED = { status: 401, code: 'invalid_credentials', detail: 'The Kerberos login was not accepted.' };

describeWithPrograms('Kerberos login (SPNEGO) against an MIT KDC', [...KDC_PROGRAMS, CURL, KERBEROS_BINDING], KDC_INSTALL_HINT)(
  'Kerberos login (SPNEGO) with tickets from an MIT KDC',
  () => {
    let kdc: TestKdc;
    let t: TestApp;
    let settings: Record<string, string>;
    const ccaches: Record<string, string> = {};
    /** Every Negotiate token sent and received: none may reach a log. */
    const tokensSeen: string[] = [];

    beforeAll(async () => {
      kdc = await startKdc(USERS);
      for (const user of USERS) ccaches[user.name] = await kdc.kinit(user);
      settings = {
        KERBEROS_KEYTAB: kdc.keytab,
        KERBEROS_SERVICE_PRINCIPAL: HTTP_SERVICE.principal,
        KERBEROS_REALMS: TEST_REALM,
        KERBEROS_KRB5_CONFIG: kdc.krb5Config,
        // The replay cache of accepted tickets, in the realm's directory rather than /var/tmp.
        KRB5RCACHEDIR: kdc.dir,
      };
      // libkrb5 reads the real environment, which jest keeps apart from process.env: give it what the
      // settings are expected to write (checked below), before the app's start-up check uses it.
      exportToNativeEnvironment({ KRB5_KTNAME: `FILE:${kdc.keytab}`, KRB5_CONFIG: kdc.krb5Config, KRB5RCACHEDIR: kdc.dir });
      t = await startTestApp(settings);
      expect(process.env.KRB5_KTNAME).toBe(`FILE:${kdc.keytab}`);
      expect(process.env.KRB5_CONFIG).toBe(kdc.krb5Config);
      expect(t.logs.lines.join('\n')).not.toContain('Kerberos logins will answer 503');
    }, 60_000);
    afterAll(async () => {
      await t?.close();
      await kdc?.remove();
      exportToNativeEnvironment({ KRB5_KTNAME: undefined, KRB5_CONFIG: undefined, KRB5RCACHEDIR: undefined, KRB5CCNAME: undefined });
    });

    const api = () => request(t.url);
    async function tokenOf(user: KdcUser) {
      const client = await negotiateClient(ccaches[user.name], kdc.krb5Config);
      tokensSeen.push(client.token);
      return client;
    }
    const restLogin = (authorization?: string, url = t.url) => {
      const req = request(url).post('/v1/auth/kerberos/login');
      return (authorization ? req.set('Authorization', authorization) : req).send({ appid: APPID, device: 'workstation' });
    };
    const opLogin = (authorization?: string) => {
      const req = api().post('/');
      return (authorization ? req.set('Authorization', authorization) : req).send({ op: 'login', method: 'kerberos', appid: APPID, dt: 'web' });
    };
    /** The server's token of mutual authentication, from `WWW-Authenticate: Negotiate <token>`. */
    function serverToken(res: request.Response): string {
      const match = /^Negotiate ([A-Za-z0-9+/=]+)$/.exec(String(res.headers['www-authenticate']));
      expect(match).not.toBeNull();
      tokensSeen.push(match![1]);
      return match![1];
    }

    it('asks for Negotiate without an Authorization header: 401 on REST, FAIL NEGOTIATE on the op API, both with the header', async () => {
      const rest = await restLogin();
      expect(rest.status).toBe(401);
      expect(rest.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(rest.headers['www-authenticate']).toBe('Negotiate');
      expect(rest.body.code).toBe('negotiate_required');

      const op = await opLogin();
      expect(op.status).toBe(200);
      expect(op.headers['www-authenticate']).toBe('Negotiate');
      expect(op.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'NEGOTIATE' });
    });

    it('logs in on REST with a SPNEGO token, mints the mesibo token, and proves itself to the client (mutual authentication)', async () => {
      const client = await tokenOf(ALICE);
      const res = await restLogin(`Negotiate ${client.token}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ token: expect.any(String), address: 'alice', newUser: true });
      expect(t.mesibo.users.get('alice')?.tokens.has(res.body.token)).toBe(true);
      await expect(client.verifyServer(serverToken(res))).resolves.toBe(true);

      const me = await api().get('/v1/me').auth(res.body.token, { type: 'bearer' });
      expect(me.body.identities).toEqual([expect.objectContaining({ method: 'kerberos', subject: `alice@${TEST_REALM}`, verified: false })]);
    });

    it('logs in on the op API with method "kerberos", with the reply the apps read and the server token', async () => {
      const client = await tokenOf(BOB);
      const res = await opLogin(`Negotiate ${client.token}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ op: 'login', result: 'OK', token: expect.any(String), phone: 'bob' });
      expect(t.mesibo.users.get('bob')?.tokens.has(res.body.token)).toBe(true);
      await expect(client.verifyServer(serverToken(res))).resolves.toBe(true);
    });

    it('logs in with curl --negotiate, which answers the 401 with its ticket, to the same account as before', async () => {
      const port = new URL(t.url).port;
      // The name in the URL is the service's host name (HTTP@localhost); it connects to 127.0.0.1.
      const { status, body } = await curlNegotiate(`http://localhost:${port}/v1/auth/kerberos/login`, port, ccaches.alice, kdc.krb5Config);
      expect(status).toBe(200);
      const login = JSON.parse(body) as { token: string; address: string; newUser: boolean };
      expect(login).toMatchObject({ address: 'alice', newUser: false });
      expect(t.mesibo.users.get('alice')?.tokens.has(login.token)).toBe(true);
    });

    it('answers every token it does not accept alike: 401 invalid_credentials asking for Negotiate, BADLOGIN on the op API', async () => {
      const valid = await tokenOf(BOB);
      expect((await restLogin(`Negotiate ${valid.token}`)).status).toBe(200);
      const refusals = [
        'Negotiate this-is-not-base64!',
        `Negotiate ${Buffer.from('a token that is no Kerberos ticket at all').toString('base64')}`,
        // Accepted once already: libkrb5's replay cache refuses it.
        `Negotiate ${valid.token}`,
      ];
      for (const authorization of refusals) {
        const res = await restLogin(authorization);
        expect({ status: res.status, code: res.body.code, detail: res.body.detail }).toEqual(REFUSED);
        expect(res.headers['www-authenticate']).toBe('Negotiate');
        const op = await opLogin(authorization);
        expect(op.body).toMatchObject({ result: 'FAIL', error: 'BADLOGIN' });
      }
    });

    it('refuses a principal with an instance (alice/admin) with the same answer', async () => {
      const res = await restLogin(`Negotiate ${(await tokenOf(ALICE_ADMIN)).token}`);
      expect({ status: res.status, code: res.body.code, detail: res.body.detail }).toEqual(REFUSED);
      expect(t.mesibo.users.has('alice/admin')).toBe(false);
      expect(t.logs.lines.join('\n')).toContain(`alice/admin@${TEST_REALM} may not log in: it has an instance`);
    });

    it('takes no Bearer token on the Kerberos route, and no Negotiate token as a Bearer token elsewhere', async () => {
      const session = await restLogin(`Negotiate ${(await tokenOf(ALICE)).token}`);
      expect(session.status).toBe(200);
      const bearer = await restLogin(`Bearer ${session.body.token}`);
      expect([bearer.status, bearer.body.code, bearer.headers['www-authenticate']]).toEqual([401, 'negotiate_required', 'Negotiate']);

      const negotiateAsBearer = await api().get('/v1/me').set('Authorization', `Negotiate ${(await tokenOf(ALICE)).token}`);
      expect([negotiateAsBearer.status, negotiateAsBearer.body.code]).toEqual([401, 'invalid_token']);
    });

    it('refuses a user of a trusted realm that KERBEROS_REALMS does not list, though her ticket is valid', async () => {
      const res = await restLogin(`Negotiate ${(await tokenOf(CAROL)).token}`);
      expect({ status: res.status, code: res.body.code, detail: res.body.detail }).toEqual(REFUSED);
      expect(t.mesibo.users.has('carol')).toBe(false);
      expect(t.logs.lines.join('\n')).toContain(`carol@${FOREIGN_REALM} may not log in: realm ${FOREIGN_REALM} is not in KERBEROS_REALMS`);
    });

    describe('the service started as in production (main.ts), with the address template and a trusted address', () => {
      let database: TestDatabase;
      let service: AppProcess | undefined;

      beforeAll(async () => {
        database = await createTestDatabase();
      });
      afterAll(async () => {
        await service?.stop();
        await database.drop();
      });

      it('sets KRB5_KTNAME itself and logs a user of a second realm in with curl --negotiate, as {user}@example.org', async () => {
        service = await startAppProcess({
          ...settings,
          KERBEROS_REALMS: `${TEST_REALM},${FOREIGN_REALM}`,
          KERBEROS_ADDRESS_TEMPLATE: '{user}@example.org',
          KERBEROS_TRUST_ADDRESS: 'true',
          // Nothing from the environment of the tests: the service must find the keytab by its settings.
          KRB5_KTNAME: '',
          KRB5_CONFIG: '',
          DATABASE_URL: database.url,
          MESIBO_API_URL: t.mesibo.url,
          MESIBO_APP_TOKEN: APP_TOKEN,
          REDIS_URL: '',
          OTP_SENDER: 'console',
          TICKET_LOGIN_SECRET: '',
        });
        const port = new URL(service.url).port;
        const { status, body } = await curlNegotiate(`http://localhost:${port}/v1/auth/kerberos/login`, port, ccaches.carol, kdc.krb5Config);
        expect(status).toBe(200);
        const login = JSON.parse(body) as { token: string; address: string };
        expect(login.address).toBe('carol@example.org');
        expect(t.mesibo.users.get('carol@example.org')?.tokens.has(login.token)).toBe(true);
        expect(service.output()).toContain('Listening on');
        expect(service.output()).not.toMatch(/Negotiate [A-Za-z0-9+/]{20}/);
      }, 90_000);
    });

    it('writes no ticket, token or password to the log', () => {
      const logged = t.logs.lines.join('\n');
      expect(tokensSeen.length).toBeGreaterThan(5);
      for (const token of tokensSeen) expect(logged).not.toContain(token.slice(0, 40));
      for (const user of USERS) expect(logged).not.toContain(user.password);
    });

    it('goes on accepting tickets while the KDC is down: the keytab is all the service needs', async () => {
      await kdc.stop();
      // The KDC is down indeed: nobody can get a new ticket now.
      await expect(kdc.kinit(ALICE)).rejects.toThrow(/kinit/);
      // Alice's ticket for the service, cached by her earlier logins, still works.
      const res = await restLogin(`Negotiate ${(await tokenOf(ALICE)).token}`);
      expect(res.status).toBe(200);
      expect(res.body.address).toBe('alice');
    });

    // Last: a second app in this process takes over the passport strategy named "kerberos".
    it('says at start-up when the keytab has no key for the service principal, and answers 503, not 401', async () => {
      const misconfigured = await startTestApp({ ...settings, KERBEROS_SERVICE_PRINCIPAL: `HTTP/chat.example.org@${TEST_REALM}` });
      try {
        expect(misconfigured.logs.lines.join('\n')).toContain(
          `Kerberos logins will answer 503 until KERBEROS_KEYTAB (${kdc.keytab}) holds a key for KERBEROS_SERVICE_PRINCIPAL (HTTP@chat.example.org)`,
        );
        const res = await restLogin(`Negotiate ${(await tokenOf(ALICE)).token}`, misconfigured.url);
        expect([res.status, res.body.code]).toEqual([503, 'login_method_unavailable']);
      } finally {
        await misconfigured.close();
      }
    });
  },
);

/** `curl --negotiate -u :` as a user with tickets in `ccache` would run it: first without a token, then with one after the 401. */
function curlNegotiate(url: string, port: string, ccache: string, krb5Config: string): Promise<{ status: number; body: string }> {
  const args = [
    '--silent',
    '--show-error',
    '--negotiate',
    '--user',
    ':',
    '--resolve',
    `localhost:${port}:127.0.0.1`,
    '--header',
    'Content-Type: application/json',
    '--data',
    JSON.stringify({ appid: APPID }),
    '--write-out',
    '\n%{http_code}',
    url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(CURL, args, { env: { PATH: process.env.PATH ?? '', KRB5CCNAME: ccache, KRB5_CONFIG: krb5Config }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`curl exited with ${code}: ${errors}`));
      const newline = output.lastIndexOf('\n');
      resolve({ status: Number(output.slice(newline + 1)), body: output.slice(0, newline) });
    });
  });
}
