import { ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInThisContext } from 'node:vm';

/** The MIT Kerberos programs the tests run (Debian: krb5-kdc, krb5-admin-server, krb5-user). */
export const KDC_PROGRAMS = ['/usr/sbin/krb5kdc', '/usr/sbin/kdb5_util', '/usr/sbin/kadmin.local', '/usr/bin/kinit'];
/** The native part of the optional kerberos package: built by `npm install` only where libkrb5-dev is installed. */
export const KERBEROS_BINDING = join(__dirname, '..', '..', 'node_modules', 'kerberos', 'build', 'Release', 'kerberos.node');
export const KDC_INSTALL_HINT = 'apt-get install krb5-kdc krb5-admin-server krb5-user libkrb5-dev curl, then npm install';

export const TEST_REALM = 'TEST.REALM';
/** A second realm of the same KDC, whose users the first realm trusts (a cross-realm key). */
export const FOREIGN_REALM = 'OTHER.REALM';
const REALMS = [TEST_REALM, FOREIGN_REALM];
/** The service principal of the service under test, and its GSS-API name as clients ask for it. */
export const HTTP_SERVICE = { principal: `HTTP/localhost@${TEST_REALM}`, gssName: 'HTTP@localhost' };

export interface KdcUser {
  /** Without the realm: `alice`, `alice/admin`. */
  name: string;
  password: string;
  /** TEST_REALM unless said otherwise (FOREIGN_REALM). */
  realm?: string;
}

export interface TestKdc {
  /** The temporary directory with the database, the configuration, the keytab and the credential caches. */
  dir: string;
  port: number;
  /** The krb5.conf of clients and of the service: both realms, their KDC on the loopback port, no DNS. */
  krb5Config: string;
  /** The keytab of HTTP/localhost, as `kadmin ktadd` writes it for a service. */
  keytab: string;
  /** Logs `name` in with its password (given on stdin); resolves with its KRB5CCNAME (`FILE:<dir>/...`). */
  kinit(user: KdcUser): Promise<string>;
  /** Stops the KDC (the realm's files stay until `remove`). */
  stop(): Promise<void>;
  /** Stops the KDC and deletes the directory. */
  remove(): Promise<void>;
}

/**
 * Creates two MIT Kerberos realms in a temporary directory (kdb5_util): TEST_REALM, with the service
 * principal HTTP/localhost and its keytab, and FOREIGN_REALM, whose users TEST_REALM trusts (so they
 * get tickets for the service). Adds `users` (kadmin.local) and runs krb5kdc in the foreground for
 * both realms on a free loopback port, TCP and UDP. Nothing outside the directory is touched.
 */
export async function startKdc(users: readonly KdcUser[]): Promise<TestKdc> {
  const dir = mkdtempSync(join(tmpdir(), 'kerberos-kdc-'));
  const port = await freeTcpAndUdpPort();
  const krb5Config = join(dir, 'krb5.conf');
  const kdcProfile = join(dir, 'kdc.conf');
  const keytab = join(dir, 'http.keytab');
  writeFileSync(krb5Config, krb5Conf(port, dir));
  writeFileSync(kdcProfile, kdcConf(port, dir));
  writeFileSync(join(dir, 'kadm5.acl'), '');
  const env = { ...process.env, KRB5_CONFIG: krb5Config, KRB5_KDC_PROFILE: kdcProfile };

  let kdc: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (!kdc || kdc.exitCode !== null || kdc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => kdc?.once('exit', () => resolve()));
    kdc.kill('SIGTERM');
    await exited;
  };
  try {
    const kadmin = (realm: string, query: string) => run('/usr/sbin/kadmin.local', ['-r', realm, '-q', query], env);
    for (const realm of REALMS) {
      // The master key protects the database file; it is stashed, so the KDC starts without asking.
      await run('/usr/sbin/kdb5_util', ['create', '-s', '-r', realm, '-P', `master-key-of-${realm}`], env);
      // The same key in both realms: FOREIGN_REALM's users get tickets for TEST_REALM's services.
      await kadmin(realm, `addprinc -pw cross-realm-key-of-the-tests krbtgt/${TEST_REALM}@${FOREIGN_REALM}`);
    }
    for (const user of users) await kadmin(user.realm ?? TEST_REALM, `addprinc -pw ${user.password} ${user.name}`);
    await kadmin(TEST_REALM, `addprinc -randkey ${HTTP_SERVICE.principal}`);
    await kadmin(TEST_REALM, `ktadd -k ${keytab} ${HTTP_SERVICE.principal}`);

    kdc = spawn('/usr/sbin/krb5kdc', ['-n', ...REALMS.flatMap((realm) => ['-r', realm])], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    await listening(kdc, port);
  } catch (error) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    dir,
    port,
    krb5Config,
    keytab,
    async kinit(user) {
      const ccache = `FILE:${join(dir, `ccache-${user.name.replace(/\W/g, '_')}-${user.realm ?? TEST_REALM}`)}`;
      await run('/usr/bin/kinit', [`${user.name}@${user.realm ?? TEST_REALM}`], { ...env, KRB5CCNAME: ccache }, `${user.password}\n`);
      return ccache;
    },
    stop,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The part of the kerberos package's client that the tests use to log in as a browser would. */
interface KerberosClient {
  contextComplete: boolean;
  step(challenge: string): Promise<string>;
}
interface KerberosClientLibrary {
  initializeClient(service: string, options?: { mechOID?: number }): Promise<KerberosClient>;
  GSS_MECH_OID_SPNEGO: number;
}

export interface NegotiateClient {
  /** The first token, for `Authorization: Negotiate <token>`: a SPNEGO-wrapped Kerberos AP-REQ. */
  token: string;
  /** Checks the server's `WWW-Authenticate: Negotiate <token>` (mutual authentication); throws when it is not valid. */
  verifyServer(serverToken: string): Promise<boolean>;
}

/**
 * A SPNEGO token for the service, from the tickets in `ccache`, made by the kerberos package's
 * client (GSS-API, as browsers use it). One at a time: libkrb5 reads KRB5CCNAME from the environment.
 */
export async function negotiateClient(ccache: string, krb5Config: string, service = HTTP_SERVICE.gssName): Promise<NegotiateClient> {
  exportToNativeEnvironment({ KRB5CCNAME: ccache, KRB5_CONFIG: krb5Config });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const kerberos = require('kerberos') as KerberosClientLibrary;
  const client = await kerberos.initializeClient(service, { mechOID: kerberos.GSS_MECH_OID_SPNEGO });
  const token = await client.step('');
  return {
    token,
    async verifyServer(serverToken) {
      exportToNativeEnvironment({ KRB5CCNAME: ccache, KRB5_CONFIG: krb5Config });
      await client.step(serverToken);
      return client.contextComplete;
    },
  };
}

/**
 * Sets variables in the environment of this process as native code sees it. Jest gives each test
 * file a copy of `process.env`: what the service's settings write there (KRB5_KTNAME, KRB5_CONFIG)
 * never reaches libkrb5, which reads the real environment. A service started by main.ts writes the
 * real one; an app booted inside jest needs its kerberos variables copied over with this.
 */
export function exportToNativeEnvironment(variables: Record<string, string | undefined>): void {
  const nativeProcess = runInThisContext('process') as NodeJS.Process;
  for (const [name, value] of Object.entries(variables)) {
    if (value === undefined) delete nativeProcess.env[name];
    else nativeProcess.env[name] = value;
  }
}

function krb5Conf(port: number, dir: string): string {
  const realms = REALMS.map((realm) => `  ${realm} = {\n    kdc = 127.0.0.1:${port}\n  }`).join('\n');
  return `[libdefaults]
  default_realm = ${TEST_REALM}
  dns_lookup_kdc = false
  dns_lookup_realm = false
  dns_canonicalize_hostname = false
  rdns = false
  default_ccache_name = FILE:${join(dir, 'ccache-default')}

[realms]
${realms}

[domain_realm]
  localhost = ${TEST_REALM}

[capaths]
  ${FOREIGN_REALM} = {
    ${TEST_REALM} = .
  }
`;
}

function kdcConf(port: number, dir: string): string {
  const realms = REALMS.map(
    (realm) =>
      `  ${realm} = {\n    database_name = ${join(dir, `${realm}.principal`)}\n    key_stash_file = ${join(dir, `${realm}.stash`)}\n    acl_file = ${join(dir, 'kadm5.acl')}\n  }`,
  ).join('\n');
  return `[kdcdefaults]
  kdc_listen = 127.0.0.1:${port}
  kdc_tcp_listen = 127.0.0.1:${port}

[realms]
${realms}

[logging]
  kdc = FILE:${join(dir, 'kdc.log')}
  default = FILE:${join(dir, 'krb5.log')}
`;
}

/** Runs a program to its end; rejects with its output when it fails. `input` is written to its stdin. */
function run(program: string, args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${program} ${args[0]} exited with ${code}:\n${output}`))));
    // A program that fails early (kinit without a KDC) may close its stdin before reading it.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Resolves once the KDC accepts TCP connections on `port`; rejects if it exits or takes over 10 s. */
function listening(kdc: ChildProcess, port: number): Promise<void> {
  let output = '';
  kdc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  kdc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const onExit = (code: number | null) => reject(new Error(`krb5kdc exited with ${code}:\n${output}`));
    kdc.once('exit', onExit);
    const attempt = (): void => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        kdc.off('exit', onExit);
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) {
          kdc.off('exit', onExit);
          reject(new Error(`krb5kdc did not listen on port ${port} within 10 s:\n${output}`));
        } else if (kdc.exitCode === null) {
          setTimeout(attempt, 50);
        }
      });
    };
    attempt();
  });
}

/** A loopback port free on both TCP and UDP (the KDC listens on both). */
async function freeTcpAndUdpPort(): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const server = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
    const udp = createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    try {
      udp.close();
    } catch {
      // Closed already by the failed bind.
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (udpFree) return port;
  }
  throw new Error('no loopback port free on both TCP and UDP');
}
