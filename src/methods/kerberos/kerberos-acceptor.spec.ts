import { Logger } from '@nestjs/common';
import { LoginMethodUnavailableError } from '../../common/errors';
import { KerberosAcceptor } from './kerberos-acceptor';
import { KerberosLibrary, KerberosServerContext } from './kerberos-library';
import { KerberosLoginRefusedError } from './kerberos-login-refused.error';
import { KerberosSettings } from './kerberos.settings';

const SETTINGS: KerberosSettings = {
  enabled: true,
  keytab: '/etc/http.keytab',
  acceptorName: 'HTTP@www.example.org',
  realms: ['EXAMPLE.ORG'],
  addressTemplate: '{user}',
  trustAddress: false,
  allowInstances: false,
  timeoutMs: 1000,
};

function context(step: KerberosServerContext['step'], username = 'alice@EXAMPLE.ORG'): KerberosServerContext {
  const server: KerberosServerContext = {
    username: '',
    contextComplete: false,
    step: async (token) => {
      const reply = await step(token);
      Object.assign(server, { username, contextComplete: true });
      return reply;
    },
  };
  return server;
}

function acceptorWith(library: Partial<KerberosLibrary> | (() => never)): KerberosAcceptor {
  const load = typeof library === 'function' ? library : () => library as KerberosLibrary;
  return new KerberosAcceptor(SETTINGS, load);
}

describe('KerberosAcceptor', () => {
  let logged: string[];

  beforeEach(() => {
    logged = [];
    for (const level of ['warn', 'error'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => void logged.push(`${level} ${String(args[0])}`));
    }
  });
  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('accepts with the configured service name and returns the principal and the reply token', async () => {
    const initializeServer = jest.fn(() => Promise.resolve(context(() => Promise.resolve('cmVwbHk='))));
    await expect(acceptorWith({ initializeServer }).accept('dG9rZW4=')).resolves.toEqual({ principal: 'alice@EXAMPLE.ORG', replyToken: 'cmVwbHk=' });
    expect(initializeServer).toHaveBeenCalledWith('HTTP@www.example.org');
  });

  it('returns no reply token when GSS-API made none', async () => {
    const initializeServer = () => Promise.resolve(context(() => Promise.resolve(null)));
    await expect(acceptorWith({ initializeServer }).accept('dG9rZW4=')).resolves.toEqual({ principal: 'alice@EXAMPLE.ORG' });
  });

  it('refuses a token GSS-API does not accept, logging why but not the token', async () => {
    const initializeServer = () => Promise.resolve(context(() => Promise.reject(new Error('Request is a replay'))));
    await expect(acceptorWith({ initializeServer }).accept('dG9rZW4=')).rejects.toBeInstanceOf(KerberosLoginRefusedError);
    expect(logged).toEqual(['warn Kerberos token not accepted: Request is a replay']);
  });

  it('refuses an exchange that did not complete in one step', async () => {
    const server: KerberosServerContext = { username: '', contextComplete: false, step: () => Promise.resolve('bW9yZQ==') };
    await expect(acceptorWith({ initializeServer: () => Promise.resolve(server) }).accept('dG9rZW4=')).rejects.toBeInstanceOf(KerberosLoginRefusedError);
  });

  it('is unavailable, not refusing the user, when the keytab has no key for the service', async () => {
    const initializeServer = () => Promise.reject(new Error('No key table entry found matching HTTP/www.example.org'));
    await expect(acceptorWith({ initializeServer }).accept('dG9rZW4=')).rejects.toBeInstanceOf(LoginMethodUnavailableError);
    expect(logged).toEqual([expect.stringMatching(/^error .*no credentials for HTTP@www.example.org in the keytab/)]);
  });

  it('checks at start-up that the keytab has a key for the service name, and says so when not', async () => {
    const initializeServer = jest.fn(() => Promise.resolve(context(() => Promise.resolve(null))));
    await acceptorWith({ initializeServer }).onApplicationBootstrap();
    expect(initializeServer).toHaveBeenCalledWith('HTTP@www.example.org');
    expect(logged).toEqual([]);

    const missingKey = () => Promise.reject(new Error('No key table entry found matching HTTP/www.example.org'));
    await acceptorWith({ initializeServer: missingKey }).onApplicationBootstrap();
    expect(logged).toEqual([
      'error Kerberos logins will answer 503 until KERBEROS_KEYTAB (/etc/http.keytab) holds a key for KERBEROS_SERVICE_PRINCIPAL ' +
        '(HTTP@www.example.org): No key table entry found matching HTTP/www.example.org',
    ]);
  });

  it('checks nothing at start-up when the method is off', async () => {
    const load = jest.fn();
    await new KerberosAcceptor({ ...SETTINGS, enabled: false }, load).onApplicationBootstrap();
    expect(load).not.toHaveBeenCalled();
  });

  it('is unavailable when the package cannot be loaded', async () => {
    const missing = (): never => {
      throw new Error("Cannot find module 'kerberos'");
    };
    await expect(acceptorWith(missing).accept('dG9rZW4=')).rejects.toBeInstanceOf(LoginMethodUnavailableError);
  });

  it('stops waiting for GSS-API after the timeout', async () => {
    jest.useFakeTimers();
    const initializeServer = () => Promise.resolve(context(() => new Promise<string>(() => undefined)));
    const accepted = acceptorWith({ initializeServer }).accept('dG9rZW4=');
    const outcome = expect(accepted).rejects.toBeInstanceOf(LoginMethodUnavailableError);
    await jest.advanceTimersByTimeAsync(SETTINGS.timeoutMs);
    await outcome;
  });
});
