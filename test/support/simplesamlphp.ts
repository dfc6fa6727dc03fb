import { ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { missingPrograms } from './server-software';

/** Debian's SimpleSAMLphp 1.19: its web root, served by PHP's built-in server. */
export const SIMPLESAMLPHP_WWW = '/usr/share/simplesamlphp/www';
export const PHP = '/usr/bin/php';
export const OPENSSL = '/usr/bin/openssl';

/** What to install where something is missing. */
export const SIMPLESAMLPHP_INSTALL = 'apt-get install simplesamlphp php-cli php-xml';

/**
 * What the tests need, for describeWithPrograms: PHP, openssl and SimpleSAMLphp, and PHP's XML
 * extensions (Debian's simplesamlphp does not pull in php-xml): when PHP lacks them, they are
 * named as the missing program.
 */
export function simpleSamlPhpSoftware(): string[] {
  const programs = [PHP, OPENSSL, SIMPLESAMLPHP_WWW];
  if (missingPrograms([PHP]).length > 0) return programs;
  try {
    execFileSync(PHP, ['-r', 'exit(extension_loaded("dom") ? 0 : 1);'], { stdio: 'ignore' });
    return programs;
  } catch {
    return [...programs, 'php-xml (the dom extension of PHP)'];
  }
}

export const PERSISTENT_NAMEID = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

export interface IdpUser {
  username: string;
  password: string;
  /** Attribute name → values, released to every service provider. */
  attributes: Record<string, string[]>;
}

/** A service provider the identity provider knows (saml20-sp-remote.php). */
export interface RemoteServiceProvider {
  entityId: string;
  acsUrl: string;
  /** Sign the assertion (default true) and the Response around it (default true). */
  signAssertion?: boolean;
  signResponse?: boolean;
  /** The SP's certificate (PEM): its AuthnRequests must then be signed with its key. */
  requestSigningCert?: string;
}

export interface TestIdp {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  entityId: string;
  metadataUrl: string;
  /** The metadata the IdP publishes, as fetched once it was up. */
  metadataXml: string;
  /** A directory of this IdP's that is removed by stop(); tests may put files there. */
  dir: string;
  stop(): Promise<void>;
}

/**
 * Starts SimpleSAMLphp as a SAML 2.0 identity provider on a free loopback port: a configuration
 * directory of its own (SIMPLESAMLPHP_CONFIG_DIR) with `exampleauth:UserPass` users, a signing key
 * made here, the persistent NameID taken from each user's `uid`, and the given service providers;
 * served by `php -S`. Nothing of the system's SimpleSAMLphp configuration is used or changed.
 */
export async function startSimpleSamlPhp(options: { users: IdpUser[]; serviceProviders: RemoteServiceProvider[] }): Promise<TestIdp> {
  const dir = mkdtempSync(join(tmpdir(), 'simplesamlphp-'));
  try {
    for (const sub of ['config', 'metadata', 'cert', 'tmp', 'data', 'log']) mkdirSync(join(dir, sub));
    await makeCertificate(join(dir, 'cert', 'idp.key'), join(dir, 'cert', 'idp.crt'), 'SimpleSAMLphp test IdP');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const entityId = `${url}/saml2/idp/metadata.php`;
    writeConfiguration(dir, url, entityId, options);

    const child = spawn(PHP, ['-S', `127.0.0.1:${port}`, '-t', SIMPLESAMLPHP_WWW], {
      cwd: SIMPLESAMLPHP_WWW,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SIMPLESAMLPHP_CONFIG_DIR: join(dir, 'config') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-20_000)));
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-20_000)));
    const metadataUrl = `${url}/saml2/idp/metadata.php`;
    const metadataXml = await waitForMetadata(metadataUrl, child, () => output);
    return {
      url,
      entityId,
      metadataUrl,
      metadataXml,
      dir,
      stop: async () => {
        await stopProcess(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A self-signed RSA key and certificate in PEM files, for an IdP or an SP. */
export async function makeCertificate(keyFile: string, certFile: string, commonName: string): Promise<void> {
  await promisify(execFile)(OPENSSL, [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-subj', `/CN=${commonName}`, '-keyout', keyFile, '-out', certFile,
  ]);
}

function writeConfiguration(dir: string, url: string, entityId: string, options: { users: IdpUser[]; serviceProviders: RemoteServiceProvider[] }): void {
  const path = (...parts: string[]) => `${join(dir, ...parts)}/`;
  writeFileSync(
    join(dir, 'config', 'config.php'),
    phpFile('config', {
      baseurlpath: `${url}/`,
      certdir: path('cert'),
      loggingdir: path('log'),
      datadir: path('data'),
      tempdir: join(dir, 'tmp'),
      metadatadir: path('metadata'),
      secretsalt: 'simplesamlphp-test-salt-0123456789',
      'auth.adminpassword': 'not-used-by-the-tests-0123456789',
      technicalcontact_name: 'Test',
      technicalcontact_email: 'test@example.com',
      timezone: 'UTC',
      'enable.saml20-idp': true,
      'module.enable': { exampleauth: true, core: true, saml: true, admin: false },
      'logging.handler': 'file',
      'store.type': 'phpsession',
      'session.phpsession.savepath': join(dir, 'tmp'),
      // Plain http on loopback: cookies must not be Secure.
      'session.cookie.secure': false,
      'session.cookie.samesite': null,
      'language.cookie.secure': false,
      'language.cookie.samesite': null,
      'admin.checkforupdates': false,
      production: true,
    }),
  );
  const users: Record<string, PhpValue> = {};
  for (const user of options.users) users[`${user.username}:${user.password}`] = user.attributes;
  writeFileSync(join(dir, 'config', 'authsources.php'), phpFile('config', { users: { 0: 'exampleauth:UserPass', ...users } }));
  writeFileSync(
    join(dir, 'metadata', 'saml20-idp-hosted.php'),
    phpFile('metadata', {
      [entityId]: {
        host: '__DEFAULT__',
        privatekey: 'idp.key',
        certificate: 'idp.crt',
        auth: 'users',
        NameIDFormat: PERSISTENT_NAMEID,
        'signature.algorithm': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
        authproc: { 100: { class: 'saml:AttributeNameID', Format: PERSISTENT_NAMEID, attribute: 'uid' } },
      },
    }),
  );
  const remotes: Record<string, PhpValue> = {};
  for (const sp of options.serviceProviders) {
    remotes[sp.entityId] = {
      AssertionConsumerService: sp.acsUrl,
      NameIDFormat: PERSISTENT_NAMEID,
      'saml20.sign.assertion': sp.signAssertion ?? true,
      'saml20.sign.response': sp.signResponse ?? true,
      ...(sp.requestSigningCert
        ? { 'validate.authnrequest': true, certData: sp.requestSigningCert.replace(/-----[^-]+-----|\s/g, '') }
        : {}),
    };
  }
  writeFileSync(join(dir, 'metadata', 'saml20-sp-remote.php'), phpFile('metadata', remotes));
}

type PhpValue = string | number | boolean | null | PhpValue[] | { [key: string]: PhpValue };

/** `<?php $<variable> = [...];` */
function phpFile(variable: string, value: Record<string, PhpValue>): string {
  const assignments = Object.entries(value).map(([key, item]) => `$${variable}[${phpLiteral(key)}] = ${phpLiteral(item)};`);
  return `<?php\n$${variable} = [];\n${assignments.join('\n')}\n`;
}

function phpLiteral(value: PhpValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(phpLiteral).join(', ')}]`;
  const entries = Object.entries(value).map(([key, item]) => `${/^\d+$/.test(key) ? key : phpLiteral(key)} => ${phpLiteral(item)}`);
  return `[${entries.join(', ')}]`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForMetadata(url: string, child: ChildProcess, output: () => string): Promise<string> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`php -S exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(url);
      const body = await response.text();
      if (response.ok && body.includes('IDPSSODescriptor')) return body;
      if (response.status >= 500) throw new Error(`SimpleSAMLphp answered ${response.status}:\n${body.slice(0, 2000)}\n${output()}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('SimpleSAMLphp answered')) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stopProcess(child);
  throw new Error(`SimpleSAMLphp did not come up at ${url}:\n${output()}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}
