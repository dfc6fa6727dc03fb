import { Logger } from '@nestjs/common';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { InvalidCredentialsError, LoginMethodUnavailableError } from '../../common/errors';
import { LdapDirectory } from './ldap-directory';
import { loadLdapSettings } from './ldap.settings';

/**
 * A TCP server that accepts connections and never answers: a hung directory. It counts the
 * connections it accepted.
 */
class SilentServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  accepted = 0;

  constructor() {
    this.server = createServer((socket) => {
      this.accepted++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = new SilentServer();
  const port = await server.start();
  await server.stop();
  return port;
}

function directory(urls: string, extra: NodeJS.ProcessEnv = {}): LdapDirectory {
  return new LdapDirectory(
    loadLdapSettings({ LDAP_URL: urls, LDAP_SEARCH_BASE: 'dc=example,dc=org', LDAP_CONNECT_TIMEOUT_MS: '200', LDAP_TIMEOUT_MS: '200', ...extra }),
  );
}

describe('LdapDirectory without a working server', () => {
  let silent: SilentServer;
  let port: number;

  // Every failure here is logged as a warning; the tests look at the answers.
  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterAll(() => {
    Logger.overrideLogger(['log', 'error', 'warn']);
  });

  beforeEach(async () => {
    silent = new SilentServer();
    port = await silent.start();
  });
  afterEach(() => silent.stop());

  it('never connects for an empty password or username: a simple bind without a password is anonymous', async () => {
    const ldap = directory(`ldap://127.0.0.1:${port}`);
    await expect(ldap.authenticate('ada', '')).rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(ldap.authenticate('', 'secret')).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect(silent.accepted).toBe(0);
  });

  it('answers unavailable when no server accepts a connection, after trying each', async () => {
    const ldap = directory(`ldap://127.0.0.1:${await closedPort()}, ldap://127.0.0.1:${await closedPort()}`);
    await expect(ldap.authenticate('ada', 'secret')).rejects.toBeInstanceOf(LoginMethodUnavailableError);
  });

  it('fails over to the next server only when connecting fails', async () => {
    const ldap = directory(`ldap://127.0.0.1:${await closedPort()}, ldap://127.0.0.1:${port}`);
    // The second server accepts, then never answers: the operation times out, and is not tried elsewhere.
    await expect(ldap.authenticate('ada', 'secret')).rejects.toBeInstanceOf(LoginMethodUnavailableError);
    expect(silent.accepted).toBe(1);
  });

  it('answers unavailable within the StartTLS time limit when the server never answers StartTLS', async () => {
    const ldap = directory(`ldap://127.0.0.1:${port}`, { LDAP_STARTTLS: 'true' });
    const started = Date.now();
    await expect(ldap.authenticate('ada', 'secret')).rejects.toBeInstanceOf(LoginMethodUnavailableError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('answers unavailable when an ldaps:// server never completes the handshake', async () => {
    const ldap = directory(`ldaps://127.0.0.1:${port}`);
    await expect(ldap.authenticate('ada', 'secret')).rejects.toBeInstanceOf(LoginMethodUnavailableError);
  });

  it('keeps at most LDAP_MAX_CONNECTIONS open, lets four per connection wait, and refuses the rest at once', async () => {
    const ldap = directory(`ldap://127.0.0.1:${port}`, { LDAP_MAX_CONNECTIONS: '2', LDAP_TIMEOUT_MS: '300' });
    const outcomes: string[] = [];
    const logins = Array.from({ length: 12 }, (_, i) =>
      ldap.authenticate(`user${i}`, 'secret').catch((error: unknown) => {
        outcomes.push(error instanceof LoginMethodUnavailableError ? 'unavailable' : String(error));
      }),
    );
    // The two beyond 2 + 2 x 4 are refused before any other has ended.
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcomes).toEqual(['unavailable', 'unavailable']);
    // Well before the first operation times out (300 ms), only two connections were made.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(silent.accepted).toBe(2);
    await Promise.all(logins);
    expect(outcomes).toEqual(Array(12).fill('unavailable'));
    expect(silent.accepted).toBe(10);
  });
});
