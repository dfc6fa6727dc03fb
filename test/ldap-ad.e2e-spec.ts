import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { describeWithPrograms } from './support/server-software';
import { makeTestCertificates, OPENSSL } from './support/slapd';
import { startTestApp, TestApp } from './support/test-app';

const run = promisify(execFile);

const SAMBA = '/usr/sbin/samba';
const SAMBA_TOOL = '/usr/bin/samba-tool';

const REALM = 'CORP.EXAMPLE.COM';
const AD_BASE = 'DC=corp,DC=example,DC=com';
/** Samba's LDAP server always listens on 389 and 636 (and 3268, 3269): there is no setting for its ports. */
const AD_LDAPS_PORT = 636;

interface AdUser {
  name: string;
  password: string;
  mail?: string;
  givenName?: string;
  surname?: string;
}

/**
 * A Samba Active Directory domain controller, provisioned by the test in a temporary directory
 * (`samba-tool domain provision --use-rfc2307`) and run in the foreground with only its LDAP
 * server, on the loopback interface, with a certificate made by openssl. Users and groups are
 * added with samba-tool before it starts. It needs root: its LDAP ports are below 1024.
 */
class SambaAd {
  private output = '';

  private constructor(
    readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  get ldapsUrl(): string {
    return `ldaps://localhost:${AD_LDAPS_PORT}`;
  }

  get caFile(): string {
    return join(this.dir, 'ca.pem');
  }

  private get conf(): string {
    return join(this.dir, 'dc', 'etc', 'smb.conf');
  }

  static async start(setup: { adminPassword: string; users: AdUser[]; groups: Record<string, string[]> }): Promise<SambaAd> {
    if (await accepts(AD_LDAPS_PORT)) throw new Error(`port ${AD_LDAPS_PORT} is in use: another directory server runs on this machine`);
    const dir = await mkdtemp(join(tmpdir(), 'samba-ad-'));
    try {
      await makeTestCertificates(dir);
      await mkdir(join(dir, 'run'));
      const options = {
        interfaces: 'lo',
        'bind interfaces only': 'yes',
        'server services': 'ldap',
        'pid directory': join(dir, 'run'),
        'log file': join(dir, 'log.%m'),
        'tls enabled': 'yes',
        'tls keyfile': join(dir, 'server.key'),
        'tls certfile': join(dir, 'server.pem'),
        'tls cafile': join(dir, 'ca.pem'),
      };
      await run(SAMBA_TOOL, [
        'domain', 'provision', '--use-rfc2307', `--targetdir=${join(dir, 'dc')}`, `--realm=${REALM}`, '--domain=CORP',
        '--server-role=dc', '--dns-backend=NONE', `--adminpass=${setup.adminPassword}`,
        ...Object.entries(options).map(([name, value]) => `--option=${name}=${value}`),
      ]);
      // Before the server starts, samba-tool writes to the database file directly.
      const local = ['-H', join(dir, 'dc', 'private', 'sam.ldb'), '-s', join(dir, 'dc', 'etc', 'smb.conf')];
      for (const user of setup.users) {
        const details = [
          ...(user.mail ? [`--mail-address=${user.mail}`] : []),
          ...(user.givenName ? [`--given-name=${user.givenName}`] : []),
          ...(user.surname ? [`--surname=${user.surname}`] : []),
        ];
        await run(SAMBA_TOOL, ['user', 'create', user.name, user.password, ...details, ...local]);
      }
      for (const group of Object.keys(setup.groups)) await run(SAMBA_TOOL, ['group', 'add', group, ...local]);
      for (const [group, members] of Object.entries(setup.groups)) {
        if (members.length > 0) await run(SAMBA_TOOL, ['group', 'addmembers', group, members.join(','), ...local]);
      }
      const child = spawn(SAMBA, ['-i', '-M', 'single', '-s', join(dir, 'dc', 'etc', 'smb.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
      const samba = new SambaAd(dir, child);
      child.stdout?.on('data', (chunk: Buffer) => (samba.output += chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => (samba.output += chunk.toString('utf8')));
      await samba.listening();
      return samba;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The objectGUID of a user as samba-tool shows it (its own GUID formatting, not ours). */
  async objectGuid(name: string): Promise<string> {
    const { stdout } = await run(SAMBA_TOOL, ['user', 'show', name, '--attributes=objectGUID', '-H', join(this.dir, 'dc', 'private', 'sam.ldb'), '-s', this.conf]);
    const match = /^objectGUID: (\S+)$/m.exec(stdout);
    if (!match) throw new Error(`no objectGUID for ${name}:\n${stdout}`);
    return match[1];
  }

  groupDn(name: string): string {
    return `CN=${name},CN=Users,${AD_BASE}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }


  private async listening(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`samba exited with ${this.child.exitCode}:\n${this.output}`);
      if (await accepts(AD_LDAPS_PORT)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.child.kill('SIGKILL');
    throw new Error(`samba did not listen on ${AD_LDAPS_PORT}:\n${this.output}`);
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const APPID = 'com.mesibo.firstapp';
const ADMIN_PASSWORD = 'Adm1n-Secret-Pass!';
const SERVICE = { name: 'svc-messenger', password: 'Svc-Acc0unt-Pass!' };
/** A member of Messenger only through the nested group Inner. */
const ALICE = { name: 'alice', password: 'Al1ce-Passw0rd!', mail: 'alice@corp.example.com', givenName: 'Alice', surname: 'Liddell' };
const MALLORY = { name: 'mallory', password: 'Mall0ry-Passw0rd!', mail: 'mallory@corp.example.com' };

/** Samba's LDAP ports (389, 636) cannot be moved and need root: without it the suite cannot run. */
const NOT_ROOT = process.getuid?.() !== 0 ? 'not root (Samba listens on 389 and 636)' : undefined;

describeWithPrograms('LDAP login against Samba Active Directory', [SAMBA, SAMBA_TOOL, OPENSSL], 'apt-get install samba', NOT_ROOT)('LDAP login against Samba Active Directory', () => {
  let ad: SambaAd;

  beforeAll(async () => {
    ad = await SambaAd.start({
      adminPassword: ADMIN_PASSWORD,
      users: [SERVICE, ALICE, MALLORY],
      groups: { Messenger: ['Inner'], Inner: ['alice'] },
    });
  }, 60_000);
  afterAll(() => ad?.stop());

  const adSettings = (groupMatch: 'direct' | 'nested') => ({
    LDAP_URL: ad.ldapsUrl,
    LDAP_CA_FILE: ad.caFile,
    LDAP_STARTTLS: '',
    LDAP_USER_DN_TEMPLATE: '',
    LDAP_BIND_DN: `${SERVICE.name}@corp.example.com`,
    LDAP_BIND_PASSWORD: SERVICE.password,
    LDAP_SEARCH_BASE: AD_BASE,
    LDAP_USER_FILTER: '(&(objectClass=user)(sAMAccountName={username}))',
    LDAP_REQUIRED_GROUP: ad.groupDn('Messenger'),
    LDAP_GROUP_MATCH: groupMatch,
    LDAP_ID_ATTRIBUTE: 'objectGUID',
    LDAP_ADDRESS_ATTRIBUTE: 'mail',
    LDAP_NAME_ATTRIBUTE: 'displayName',
    LDAP_TRUST_ADDRESS: 'true',
  });

  describe('nested group match', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp(adSettings('nested'));
    });
    afterAll(() => t?.close());

    it('logs a member of a nested group in on both surfaces, with the objectGUID as subject', async () => {
      const rest = await request(t.url).post('/v1/auth/ldap/login').send({ username: 'alice', password: ALICE.password, appid: APPID });
      expect(rest.status).toBe(200);
      expect(rest.body).toMatchObject({ address: ALICE.mail, newUser: true });
      expect(t.mesibo.users.get(ALICE.mail)?.tokens.has(rest.body.token)).toBe(true);
      const me = await request(t.url).get('/v1/me').auth(rest.body.token, { type: 'bearer' });
      expect(me.body.displayName).toBe('Alice Liddell');
      expect(me.body.identities).toEqual([expect.objectContaining({ method: 'ldap', subject: await ad.objectGuid('alice'), verified: true })]);

      const op = await request(t.url).post('/').send({ op: 'login', method: 'ldap', username: 'alice', password: ALICE.password, appid: APPID });
      expect(op.body).toMatchObject({ result: 'OK', phone: ALICE.mail });
    });

    it('gives one answer for a wrong password, an unknown user, a user outside the group and an injection', async () => {
      const attempts = [
        ['alice', 'Wr0ng-Passw0rd!'],
        ['nobody', ALICE.password],
        ['mallory', MALLORY.password],
        ['ali*', ALICE.password],
      ];
      const answers = await Promise.all(
        attempts.map(([username, password]) => request(t.url).post('/v1/auth/ldap/login').send({ username, password, appid: APPID })),
      );
      for (const res of answers) expect([res.status, res.body]).toEqual([401, answers[0].body]);
      expect(answers[0].body.code).toBe('invalid_credentials');
      const log = t.logs.lines.join('\n');
      for (const password of [ALICE.password, MALLORY.password, SERVICE.password, ADMIN_PASSWORD]) expect(log).not.toContain(password);
    });
  });

  describe('direct group match', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp(adSettings('direct'));
    });
    afterAll(() => t?.close());

    it('refuses a member of the group only through a nested group', async () => {
      const res = await request(t.url).post('/v1/auth/ldap/login').send({ username: 'alice', password: ALICE.password, appid: APPID });
      expect([res.status, res.body.code]).toEqual([401, 'invalid_credentials']);
    });
  });
});
