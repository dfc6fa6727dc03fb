import request from 'supertest';
import { describeWithPrograms } from './support/server-software';
import { freePorts } from './support/free-ports';
import { DirectoryUser, Slapd, SLAPD_INSTALL, SLAPD_PROGRAMS } from './support/slapd';
import { TcpProxy } from './support/tcp-proxy';
import { startTestApp, TestApp } from './support/test-app';

const APPID = 'com.mesibo.firstapp';

const ADA: DirectoryUser = { uid: 'ada', password: 'ada-Correct-horse-1', cn: 'Ada Lovelace', mail: 'Ada@Example.org', mobile: '+1 800 555 0101', groups: ['messenger'] };
const GRACE: DirectoryUser = { uid: 'grace', password: 'grace-Battery-staple-2', cn: 'Grace Hopper', mail: 'grace@example.org', groups: ['messenger'] };
/** Has a right password, but is not in the messenger group. */
const LINUS: DirectoryUser = { uid: 'linus', password: 'linus-Outside-group-3', cn: 'Linus T', mail: 'linus@example.org', groups: ['staff'] };
const BOB: DirectoryUser = { uid: 'bob', password: 'bob-Burst-target-4', cn: 'Bob Burst', mail: 'bob@example.org', groups: ['messenger'] };
const MARGARET: DirectoryUser = { uid: 'margaret', password: 'margaret-Outage-5', cn: 'Margaret H', mail: 'margaret@example.org', groups: ['messenger'] };
/** A uid with characters that must be escaped in a DN. */
const OBRIEN: DirectoryUser = { uid: "o'brien, jr+1", password: 'obrien-Escaped-6', cn: "Pat O'Brien", mobile: '+1 800 555 0106', groups: ['messenger'] };
const USERS = [ADA, GRACE, LINUS, BOB, MARGARET, OBRIEN];
const PASSWORDS = [...USERS.map((user) => user.password), 'service-account-secret'];

const LDAP_VARIABLES = [
  'LDAP_URL', 'LDAP_STARTTLS', 'LDAP_CA_FILE', 'LDAP_ALLOW_PLAINTEXT', 'LDAP_USER_DN_TEMPLATE', 'LDAP_BIND_DN', 'LDAP_BIND_PASSWORD',
  'LDAP_SEARCH_BASE', 'LDAP_USER_FILTER', 'LDAP_REQUIRED_GROUP', 'LDAP_GROUP_MATCH', 'LDAP_ID_ATTRIBUTE', 'LDAP_ADDRESS_ATTRIBUTE',
  'LDAP_ADDRESS_KIND', 'LDAP_NAME_ATTRIBUTE', 'LDAP_TRUST_ADDRESS', 'LDAP_CONNECT_TIMEOUT_MS', 'LDAP_TIMEOUT_MS', 'LDAP_MAX_CONNECTIONS',
];

/** Starts the app with exactly these LDAP settings: the test app keeps the environment of the apps started before it. */
function startWithLdap(settings: Record<string, string>): Promise<TestApp> {
  return startTestApp({ ...Object.fromEntries(LDAP_VARIABLES.map((name) => [name, ''])), ...settings });
}

describeWithPrograms('LDAP login against OpenLDAP slapd', SLAPD_PROGRAMS, SLAPD_INSTALL)('LDAP login against OpenLDAP slapd', () => {
  let slapd: Slapd;

  beforeAll(async () => {
    slapd = await Slapd.start(USERS);
  });
  afterAll(() => slapd?.stop());

  const searchSettings = () => ({
    LDAP_BIND_DN: slapd.serviceDn,
    LDAP_BIND_PASSWORD: slapd.servicePassword,
    LDAP_SEARCH_BASE: slapd.peopleBase,
    LDAP_USER_FILTER: '(uid={username})',
    LDAP_REQUIRED_GROUP: slapd.groupDn('messenger'),
  });

  function loginsOf(t: TestApp) {
    return {
      rest: (username: string, password: string) => request(t.url).post('/v1/auth/ldap/login').send({ username, password, appid: APPID }),
      op: (username: string, password: string) => request(t.url).post('/').send({ op: 'login', method: 'ldap', username, password, appid: APPID }),
    };
  }

  function expectNoPasswordLogged(t: TestApp): void {
    const log = t.logs.lines.join('\n');
    for (const password of PASSWORDS) expect(log).not.toContain(password);
  }

  describe('search with a service account, over plain LDAP, with a second server for failover', () => {
    let t: TestApp;
    let proxy: TcpProxy;
    let login: ReturnType<typeof loginsOf>;

    beforeAll(async () => {
      proxy = await new TcpProxy('127.0.0.1', slapd.port).start();
      const [closed] = await freePorts(1);
      t = await startWithLdap({
        // The first server is down: every login fails over to the second (slapd, behind a proxy the tests can cut).
        LDAP_URL: `ldap://127.0.0.1:${closed} ldap://127.0.0.1:${proxy.listeningPort}`,
        ...searchSettings(),
        LDAP_TRUST_ADDRESS: 'true',
        LDAP_CONNECT_TIMEOUT_MS: '1000',
        LDAP_TIMEOUT_MS: '1000',
      });
      login = loginsOf(t);
    });
    afterAll(async () => {
      await t?.close();
      await proxy?.stop();
    });

    it('logs in on the REST surface: the entryUUID is the subject, the trusted mail the verified address', async () => {
      const res = await login.rest('ada', ADA.password);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ token: expect.any(String), address: 'ada@example.org', newUser: true });
      expect(t.mesibo.users.get('ada@example.org')?.tokens.has(res.body.token)).toBe(true);

      const me = await request(t.url).get('/v1/me').auth(res.body.token, { type: 'bearer' });
      expect(me.body.displayName).toBe('Ada Lovelace');
      expect(me.body.identities).toEqual([expect.objectContaining({ method: 'ldap', subject: await slapd.entryUuid('ada'), verified: true })]);
    });

    it('logs in on the op API with method "ldap"', async () => {
      const res = await login.op('grace', GRACE.password);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ op: 'login', result: 'OK', token: expect.any(String), phone: 'grace@example.org' });
      expect(t.mesibo.users.get('grace@example.org')?.tokens.has(res.body.token)).toBe(true);
    });

    it('gives one answer for a wrong password, an unknown user, a user outside the group and filter injections', async () => {
      const attempts: Array<[string, string]> = [
        ['ada', 'not-the-password'],
        ['nobody', ADA.password],
        ['linus', LINUS.password],
        // Unescaped, (uid=ad*) would find ada and her password would log in as "ad*".
        ['ad*', ADA.password],
        ['*', ADA.password],
        ['*)(uid=*', ADA.password],
        ['ada)(|(uid=*', ADA.password],
      ];
      const adaBinds = slapd.bindsTo(slapd.userDn('ada'));
      const rest = await Promise.all(attempts.map(([username, password]) => login.rest(username, password)));
      for (const res of rest) {
        expect([res.status, res.body.code]).toEqual([401, 'invalid_credentials']);
        expect(res.body).toEqual(rest[0].body);
      }
      const op = await Promise.all(attempts.map(([username, password]) => login.op(username, password)));
      for (const res of op) expect(res.body).toMatchObject({ op: 'login', result: 'FAIL', error: 'BADLOGIN' });
      // Only the two wrong-password tries for ada reached her entry; the injections matched nobody.
      expect(slapd.bindsTo(slapd.userDn('ada')) - adaBinds).toBe(2);
      expect(t.mesibo.users.has('linus@example.org')).toBe(false);
    });

    it('refuses an empty password before any bind', async () => {
      const binds = slapd.bindsTo(slapd.userDn('ada'));
      const res = await login.rest('ada', '');
      expect([res.status, res.body.code]).toEqual([400, 'invalid_request']);
      expect((await login.op('ada', '')).body).toMatchObject({ result: 'FAIL' });
      expect(slapd.bindsTo(slapd.userDn('ada'))).toBe(binds);
    });

    it('lets at most the budget of 200 concurrent wrong passwords for one user reach the server', async () => {
      const before = slapd.bindsTo(slapd.userDn('bob'));
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          i % 2 === 0
            ? login.rest('bob', `wrong-${i}`).then((res) => res.status)
            : login.op('bob', `wrong-${i}`).then((res) => (res.body.error === 'RATELIMITED' ? 429 : res.body.error === 'BADLOGIN' ? 401 : res.status)),
        ),
      );
      // PASSWORD_MAX_FAILURES_PER_CLIENT_PER_WINDOW (10) from this client.
      expect(answers.filter((status) => status === 401)).toHaveLength(10);
      expect(answers.filter((status) => status === 429)).toHaveLength(190);
      expect(slapd.bindsTo(slapd.userDn('bob')) - before).toBe(10);
      // Spent: even the right password waits for the window, and is not tried.
      expect((await login.rest('bob', BOB.password)).status).toBe(429);
      expect(slapd.bindsTo(slapd.userDn('bob')) - before).toBe(10);
      t.clock.advance(901);
      expect((await login.rest('bob', BOB.password)).status).toBe(200);
    });

    it('answers 503 while the server is down, and gives the budget back: an outage locks nobody out', async () => {
      await proxy.stop();
      try {
        const rest = await login.rest('margaret', MARGARET.password);
        expect([rest.status, rest.body.code]).toEqual([503, 'login_method_unavailable']);
        expect((await login.op('margaret', MARGARET.password)).body).toMatchObject({ op: 'login', result: 'FAIL', error: 'UNAVAILABLE' });
        // More tries than the client's budget of wrong passwords: none of them is counted.
        for (let i = 0; i < 12; i++) expect((await login.rest('margaret', `maybe-${i}`)).status).toBe(503);
      } finally {
        await proxy.start();
      }
      expect((await login.rest('margaret', MARGARET.password)).status).toBe(200);
    });

    it('answers 503 within the timeouts when the server accepts connections but never answers', async () => {
      proxy.stall();
      try {
        const started = Date.now();
        const res = await login.rest('ada', ADA.password);
        expect([res.status, res.body.code]).toEqual([503, 'login_method_unavailable']);
        expect(Date.now() - started).toBeLessThan(3000);
      } finally {
        proxy.resume();
      }
      expect((await login.rest('ada', ADA.password)).status).toBe(200);
    });

    it('never logs a password', () => {
      expect(t.logs.lines.join('\n')).toContain('No LDAP server could be reached');
      expectNoPasswordLogged(t);
    });
  });

  describe('StartTLS, with the certificate checked against LDAP_CA_FILE', () => {
    let t: TestApp;
    let login: ReturnType<typeof loginsOf>;

    beforeAll(async () => {
      t = await startWithLdap({ LDAP_URL: `ldap://localhost:${slapd.port}`, LDAP_STARTTLS: 'true', LDAP_CA_FILE: slapd.caFile, ...searchSettings() });
      login = loginsOf(t);
    });
    afterAll(() => t?.close());

    it('logs in on both surfaces, binding only after StartTLS; the untrusted mail is not the address', async () => {
      const logged = slapd.log.length;
      const rest = await login.rest('ada', ADA.password);
      const op = await login.op('grace', GRACE.password);
      // slapd logs each bind with the strength of its connection's encryption: none went unencrypted.
      const log = slapd.log.slice(logged);
      expect(log.match(/ STARTTLS$/gm)).toHaveLength(2);
      expect(log.match(/ mech=SIMPLE bind_ssf=0 ssf=256$/gm)).toHaveLength(4);
      expect(log).not.toMatch(/ ssf=0$/m);

      expect(rest.status).toBe(200);
      const subject = await slapd.entryUuid('ada');
      expect(rest.body).toMatchObject({ address: `ldap:${subject}`, newUser: true });
      expect(t.mesibo.users.get(`ldap:${subject}`)?.tokens.has(rest.body.token)).toBe(true);
      expect(op.body).toMatchObject({ result: 'OK', phone: `ldap:${await slapd.entryUuid('grace')}` });
      const me = await request(t.url).get('/v1/me').auth(rest.body.token, { type: 'bearer' });
      expect(me.body.identities).toEqual([expect.objectContaining({ method: 'ldap', subject, verified: false })]);
    });

    it('refuses a wrong password and a user outside the group', async () => {
      expect((await login.rest('ada', 'wrong')).status).toBe(401);
      expect((await login.rest('linus', LINUS.password)).status).toBe(401);
      expectNoPasswordLogged(t);
    });
  });

  describe('LDAPS, a direct bind to a DN template, and a phone number as address', () => {
    let t: TestApp;
    let login: ReturnType<typeof loginsOf>;

    beforeAll(async () => {
      t = await startWithLdap({
        LDAP_URL: slapd.tlsUrl,
        LDAP_CA_FILE: slapd.caFile,
        LDAP_USER_DN_TEMPLATE: `uid={username},${slapd.peopleBase}`,
        LDAP_REQUIRED_GROUP: slapd.groupDn('messenger'),
        LDAP_ADDRESS_ATTRIBUTE: 'mobile',
        LDAP_TRUST_ADDRESS: 'true',
      });
      login = loginsOf(t);
    });
    afterAll(() => t?.close());

    it('logs in on both surfaces with the phone normalized as for phone logins', async () => {
      const rest = await login.rest('ada', ADA.password);
      expect(rest.status).toBe(200);
      expect(rest.body).toMatchObject({ address: '18005550101', newUser: true });
      expect(t.mesibo.users.get('18005550101')?.tokens.has(rest.body.token)).toBe(true);
      const op = await login.op('ada', ADA.password);
      expect(op.body).toMatchObject({ result: 'OK', phone: '18005550101' });
    });

    it('escapes the username in the DN: a uid with a comma, a plus and a quote logs in', async () => {
      const res = await login.rest(OBRIEN.uid, OBRIEN.password);
      expect(res.status).toBe(200);
      expect(res.body.address).toBe('18005550106');
    });

    it('gives one answer for a wrong password, an unknown user, a user outside the group and a DN injection', async () => {
      const attempts: Array<[string, string]> = [
        ['ada', 'wrong'],
        ['nobody', ADA.password],
        ['linus', LINUS.password],
        ['ada,ou=people', ADA.password],
        ['*', ADA.password],
      ];
      const answers = await Promise.all(attempts.map(([username, password]) => login.rest(username, password)));
      for (const res of answers) expect([res.status, res.body]).toEqual([401, answers[0].body]);
      expect((await login.op('linus', LINUS.password)).body).toMatchObject({ result: 'FAIL', error: 'BADLOGIN' });
      expectNoPasswordLogged(t);
    });
  });

  describe('a server certificate from an authority that is not trusted', () => {
    let ldaps: TestApp;
    let startTls: TestApp;

    beforeAll(async () => {
      ldaps = await startWithLdap({ LDAP_URL: slapd.tlsUrl, LDAP_CA_FILE: slapd.otherCaFile, ...searchSettings() });
      startTls = await startWithLdap({ LDAP_URL: `ldap://localhost:${slapd.port}`, LDAP_STARTTLS: 'true', LDAP_CA_FILE: slapd.otherCaFile, ...searchSettings() });
    });
    afterAll(async () => {
      await ldaps?.close();
      await startTls?.close();
    });

    it('is refused over ldaps:// and StartTLS, before any password is sent', async () => {
      const binds = slapd.bindsTo(slapd.userDn('ada')) + slapd.bindsTo(slapd.serviceDn);
      for (const t of [ldaps, startTls]) {
        const res = await loginsOf(t).rest('ada', ADA.password);
        expect([res.status, res.body.code]).toEqual([503, 'login_method_unavailable']);
      }
      // Each app logs the lines of the requests it serves.
      const log = [ldaps, startTls].flatMap((t) => t.logs.lines).join('\n');
      expect(log.match(/No LDAP server could be reached \(ldap[^)]*certificate/gi)).toHaveLength(2);
      expect(slapd.bindsTo(slapd.userDn('ada')) + slapd.bindsTo(slapd.serviceDn)).toBe(binds);
    });
  });
});
