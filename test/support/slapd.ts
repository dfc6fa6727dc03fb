import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { freePorts } from './free-ports';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SLAPD = '/usr/sbin/slapd';
export const SLAPADD = '/usr/sbin/slapadd';
export const LDAPADD = '/usr/bin/ldapadd';
export const LDAPSEARCH = '/usr/bin/ldapsearch';
export const OPENSSL = '/usr/bin/openssl';
export const SLAPD_PROGRAMS = [SLAPD, SLAPADD, LDAPADD, LDAPSEARCH, OPENSSL];
export const SLAPD_INSTALL = 'apt-get install slapd ldap-utils openssl';

const SUFFIX = 'dc=example,dc=org';
const ADMIN_DN = `cn=admin,${SUFFIX}`;
const ADMIN_PASSWORD = 'admin-secret-for-tests';

export interface DirectoryUser {
  uid: string;
  password: string;
  cn: string;
  mail?: string;
  mobile?: string;
  /** Names of groups (under ou=groups) the user is a member of. */
  groups?: string[];
}

/**
 * OpenLDAP's slapd, started by the test in a temporary directory: an mdb database loaded with
 * slapadd, the memberof overlay (groups are added over LDAP after the start, so the overlay sets
 * each member's memberOf), a CA and a server certificate made with openssl for ldaps:// and
 * StartTLS, and plain, TLS ports on free loopback ports. `-d stats` keeps it in the foreground and
 * logs every operation, so a test can count the binds that reached it.
 */
export class Slapd {
  readonly suffix = SUFFIX;
  readonly peopleBase = `ou=people,${SUFFIX}`;
  readonly serviceDn = `cn=service,${SUFFIX}`;
  readonly servicePassword = 'service-account-secret';
  private output = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly tlsPort: number,
    private readonly child: ChildProcess,
  ) {}

  /** ldap://127.0.0.1:<port> */
  get url(): string {
    return `ldap://127.0.0.1:${this.port}`;
  }

  /** ldaps://localhost:<port>: the certificate names localhost and 127.0.0.1. */
  get tlsUrl(): string {
    return `ldaps://localhost:${this.tlsPort}`;
  }

  /** The CA that signed the server's certificate. */
  get caFile(): string {
    return join(this.dir, 'ca.pem');
  }

  /** A CA that signed nothing here: a server certificate checked against it is refused. */
  get otherCaFile(): string {
    return join(this.dir, 'other-ca.pem');
  }

  userDn(uid: string): string {
    return `uid=${escapeRdnValue(uid)},${this.peopleBase}`;
  }

  groupDn(name: string): string {
    return `cn=${name},ou=groups,${SUFFIX}`;
  }

  static async start(users: readonly DirectoryUser[]): Promise<Slapd> {
    const dir = await mkdtemp(join(tmpdir(), 'slapd-'));
    try {
      await makeTestCertificates(dir);
      await writeFile(join(dir, 'slapd.conf'), slapdConf(dir));
      await run(SLAPADD, ['-q', '-f', join(dir, 'slapd.conf'), '-l', await writeLdif(dir, 'entries.ldif', entriesLdif(users))]);
      const [port, tlsPort] = await freePorts(2);
      const child = spawn(SLAPD, ['-f', join(dir, 'slapd.conf'), '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`, '-d', 'stats'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const slapd = new Slapd(dir, port, tlsPort, child);
      await slapd.started();
      await run(LDAPADD, ['-x', '-H', slapd.url, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD, '-f', await writeLdif(dir, 'groups.ldif', groupsLdif(users))]);
      return slapd;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** What slapd logged so far: one line per operation (`-d stats`). */
  get log(): string {
    return this.output;
  }

  /** How many simple binds to `dn` slapd has received so far. */
  bindsTo(dn: string): number {
    return this.output.split('\n').filter((line) => line.includes(` BIND dn="${dn}" method=128`)).length;
  }

  /** The entryUUID slapadd gave the user. */
  async entryUuid(uid: string): Promise<string> {
    const { stdout } = await run(LDAPSEARCH, ['-x', '-LLL', '-H', this.url, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD, '-b', this.userDn(uid), '-s', 'base', 'entryUUID']);
    const match = /^entryUUID: (\S+)$/m.exec(stdout);
    if (!match) throw new Error(`no entryUUID for ${uid}:\n${stdout}`);
    return match[1];
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  private started(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`slapd did not start:\n${this.output}`));
      }, 10_000);
      this.child.stderr?.on('data', (chunk: Buffer) => {
        this.output += chunk.toString('utf8');
        if (this.output.includes('slapd starting')) {
          clearTimeout(timer);
          resolve();
        }
      });
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`slapd exited with ${code}:\n${this.output}`));
      });
    });
  }
}

function slapdConf(dir: string): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile ${dir}/slapd.pid
TLSCACertificateFile ${dir}/ca.pem
TLSCertificateFile ${dir}/server.pem
TLSCertificateKeyFile ${dir}/server.key

database mdb
suffix "${SUFFIX}"
rootdn "${ADMIN_DN}"
rootpw ${ADMIN_PASSWORD}
directory ${dir}
maxsize 16777216
overlay memberof

# Passwords are for binds only. The service account reads the directory; a user reads their own
# entry (the DN-template mode reads it after the bind); anonymous users read nothing.
access to attrs=userPassword
  by anonymous auth
  by * none
access to *
  by dn.exact="cn=service,${SUFFIX}" read
  by self read
  by * none
`;
}

function entriesLdif(users: readonly DirectoryUser[]): string {
  const entries = [
    `dn: ${SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example`,
    `dn: ou=people,${SUFFIX}\nobjectClass: organizationalUnit\nou: people`,
    `dn: cn=service,${SUFFIX}\nobjectClass: person\ncn: service\nsn: service\nuserPassword: service-account-secret`,
    ...users.map((user) =>
      [
        `dn: uid=${escapeRdnValue(user.uid)},ou=people,${SUFFIX}`,
        'objectClass: inetOrgPerson',
        `uid: ${user.uid}`,
        `cn: ${user.cn}`,
        `sn: ${user.cn.split(' ').pop() ?? user.cn}`,
        ...(user.mail ? [`mail: ${user.mail}`] : []),
        ...(user.mobile ? [`mobile: ${user.mobile}`] : []),
        // Base64, so any character of a password survives LDIF.
        `userPassword:: ${Buffer.from(user.password).toString('base64')}`,
      ].join('\n'),
    ),
  ];
  return `${entries.join('\n\n')}\n`;
}

function groupsLdif(users: readonly DirectoryUser[]): string {
  const names = [...new Set(users.flatMap((user) => user.groups ?? []))];
  const groups = names.map((name) => {
    const members = users.filter((user) => user.groups?.includes(name)).map((user) => `member: uid=${escapeRdnValue(user.uid)},ou=people,${SUFFIX}`);
    return [`dn: cn=${name},ou=groups,${SUFFIX}`, 'objectClass: groupOfNames', `cn: ${name}`, ...members].join('\n');
  });
  return `${[`dn: ou=groups,${SUFFIX}\nobjectClass: organizationalUnit\nou: groups`, ...groups].join('\n\n')}\n`;
}

/** Enough of RFC 4514 for the test users' uids (written here, not taken from the code under test). */
function escapeRdnValue(value: string): string {
  return value.replace(/[,+"\\<>;=]/g, (character) => `\\${character}`);
}

async function writeLdif(dir: string, name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/**
 * In `dir`: `ca.pem` (a CA), `server.pem` and `server.key` (a certificate it signs for localhost and
 * 127.0.0.1) and `other-ca.pem` (an unrelated CA).
 */
export async function makeTestCertificates(dir: string): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  const at = (name: string) => join(dir, name);
  await run(OPENSSL, ['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=Test LDAP CA', ...ca]);
  await run(OPENSSL, ['req', '-x509', ...ec, '-keyout', at('other-ca.key'), '-out', at('other-ca.pem'), '-days', '2', '-subj', '/CN=Another CA', ...ca]);
  await run(OPENSSL, ['req', ...ec, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=localhost']);
  await writeFile(at('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  await run(OPENSSL, [
    'x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial',
    '-out', at('server.pem'), '-days', '2', '-extfile', at('server.ext'),
  ]);
}
