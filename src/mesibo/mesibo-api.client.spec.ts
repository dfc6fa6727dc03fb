import { rejectionOf } from '../../test/support/rejection';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { MesiboMisconfiguredError, MesiboRefusedError, MesiboUnavailableError } from '../common/errors';
import { MesiboSimulator } from '../mesibo-simulator/mesibo-simulator';
import { MesiboApiClient, MesiboEndpoint } from './mesibo-api.client';

const APP_TOKEN = `spec-app-token-${randomBytes(12).toString('hex')}`;


/** A plain HTTP server whose answers the test scripts; counts the requests it received. */
async function startRawServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/backend/`, hits: () => hits };
}

async function stopRawServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port on which nothing listens (it was just released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('MesiboApiClient', () => {
  let simulator: MesiboSimulator;
  let clients: MesiboApiClient[];
  let rawServers: Server[];
  let sleeps: number[];
  let logSpies: jest.SpyInstance[];

  const recordSleep = (ms: number): Promise<void> => {
    sleeps.push(ms);
    return Promise.resolve();
  };

  function makeClient(endpoint: Partial<MesiboEndpoint> = {}): MesiboApiClient {
    const client = new MesiboApiClient(
      { apiUrl: simulator.url, appToken: APP_TOKEN, timeoutMs: 1000, retries: 2, ...endpoint },
      recordSleep,
    );
    clients.push(client);
    return client;
  }

  async function rawServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; hits: () => number }> {
    const raw = await startRawServer(handler);
    rawServers.push(raw.server);
    return raw;
  }

  /** Everything passed to the Nest logger during the test, one string per call. */
  function loggedLines(): string[] {
    return logSpies.flatMap((spy) => spy.mock.calls.map((args: unknown[]) => args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ')));
  }

  /** Something was logged (the spies do see the client), and none of it holds the token. */
  function expectLogsFreeOf(secret: string): void {
    const lines = loggedLines();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain(secret);
  }

  beforeEach(async () => {
    simulator = await new MesiboSimulator({ appToken: APP_TOKEN }).start();
    clients = [];
    rawServers = [];
    sleeps = [];
    logSpies = (['log', 'warn', 'error'] as const).map((level) =>
      jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined),
    );
  });

  afterEach(async () => {
    for (const spy of logSpies) spy.mockRestore();
    for (const client of clients) await client.close();
    for (const server of rawServers) await stopRawServer(server);
    await simulator.stop();
  });

  it('sends an op with the App Token and returns the reply of useradd', async () => {
    const client = makeClient();

    const reply = await client.call('useradd', {
      user: { address: '18005551234', token: { appid: 'com.messenger.appid', expiry: 60 } },
    });

    expect(reply.result).toBe(true);
    const user = reply.user as { uid: unknown; token: unknown };
    const stored = simulator.users.get('18005551234');
    expect(stored).toBeDefined();
    expect(user.uid).toBe(stored?.uid);
    expect(typeof user.token).toBe('string');
    expect(stored?.tokens.get(user.token as string)).toMatchObject({ appid: 'com.messenger.appid' });
    expect(simulator.requests).toHaveLength(1);
    expect(simulator.requests[0].op).toBe('useradd');
    expect(simulator.requests[0].body.user).toEqual({
      address: '18005551234',
      token: { appid: 'com.messenger.appid', expiry: 60 },
    });
    expect(sleeps).toEqual([]);
  });

  it('lets the op name win over a payload field called op', async () => {
    const client = makeClient();

    await client.call('useradd', { op: 'userdel', user: { address: '18005551234' } });

    expect(simulator.requests[0].op).toBe('useradd');
    expect(simulator.users.has('18005551234')).toBe(true);
  });

  it('reports a rejected App Token as a misconfiguration, without logging the token', async () => {
    const wrongToken = `wrong-token-${randomBytes(12).toString('hex')}`;
    const client = makeClient({ appToken: wrongToken });

    const error = await rejectionOf(client.call('useradd', { user: { address: '18005551234' } }));

    expect(error).toBeInstanceOf(MesiboMisconfiguredError);
    expect(simulator.users.size).toBe(0);
    expectLogsFreeOf(wrongToken);
    expectLogsFreeOf(APP_TOKEN);
  });

  it('reports a refused op with the mesibo error, without retrying', async () => {
    const client = makeClient();

    const error = await rejectionOf(client.call('useradd', { user: {} }));

    expect(error).toBeInstanceOf(MesiboRefusedError);
    expect((error as MesiboRefusedError).mesiboError).toBe('MISSINGADDRESS');
    expect(simulator.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expectLogsFreeOf(APP_TOKEN);
  });

  it('reports an unknown op as refused with BADOP', async () => {
    const client = makeClient();

    const error = await rejectionOf(client.call('nosuchop', {}));

    expect(error).toBeInstanceOf(MesiboRefusedError);
    expect((error as MesiboRefusedError).mesiboError).toBe('BADOP');
    expectLogsFreeOf(APP_TOKEN);
  });

  it('retries a 5xx answer with growing backoff and returns the reply that follows', async () => {
    let answered = 0;
    const raw = await rawServer((_req, res) => {
      answered++;
      if (answered <= 2) {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body>Bad Gateway</body></html>');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ op: 'useradd', result: true, user: { uid: 7, token: 'abc' } }));
    });
    const client = makeClient({ apiUrl: raw.url, retries: 2 });

    const reply = await client.call('useradd', { user: { address: '18005551234' } });

    expect(reply).toMatchObject({ result: true, user: { uid: 7, token: 'abc' } });
    expect(raw.hits()).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0]);
    expectLogsFreeOf(APP_TOKEN);
  });

  it('gives up as unavailable after 1 + retries failed 5xx attempts', async () => {
    const raw = await rawServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('Service Unavailable');
    });
    const client = makeClient({ apiUrl: raw.url, retries: 2 });

    const error = await rejectionOf(client.call('useradd', { user: { address: '18005551234' } }));

    expect(error).toBeInstanceOf(MesiboUnavailableError);
    expect(raw.hits()).toBe(3);
    expect(sleeps).toHaveLength(2);
    expectLogsFreeOf(APP_TOKEN);
  });

  it('retries a 5xx whose body is a mesibo failure, and succeeds when mesibo recovers', async () => {
    simulator.failNext(2, 503);
    const client = makeClient({ retries: 2 });

    const reply = await client.call('useradd', { user: { address: '18005551234', token: { appid: 'a', expiry: 1 } } });

    expect(reply).toMatchObject({ result: true, user: { token: expect.any(String) } });
    expect(sleeps).toHaveLength(2);
  });

  it('reports mesibo as unavailable, not as refusing, when every attempt is a 5xx with a JSON body', async () => {
    simulator.failNext(3, 503);
    const client = makeClient({ retries: 2 });

    const error = await rejectionOf(client.call('useradd', { user: { address: '18005551234' } }));

    expect(error).toBeInstanceOf(MesiboUnavailableError);
    expect(simulator.users.size).toBe(0);
  });

  it('reports a port with nothing listening as unavailable', async () => {
    const client = makeClient({ apiUrl: `http://127.0.0.1:${await freePort()}/backend/` });

    const error = await rejectionOf(client.call('useradd', { user: { address: '18005551234' } }));

    expect(error).toBeInstanceOf(MesiboUnavailableError);
    expect(sleeps).toHaveLength(2);
    expectLogsFreeOf(APP_TOKEN);
  });

  it('gives up on a server that never answers after the timeout', async () => {
    const raw = await rawServer(() => {
      // never answers
    });
    const client = makeClient({ apiUrl: raw.url, timeoutMs: 300, retries: 2 });

    const started = Date.now();
    const error = await rejectionOf(client.call('useradd', { user: { address: '18005551234' } }));
    const elapsed = Date.now() - started;

    expect(error).toBeInstanceOf(MesiboUnavailableError);
    expect(raw.hits()).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 250);
    expect(elapsed).toBeLessThan(5000);
    expectLogsFreeOf(APP_TOKEN);
  });

  it('reports a 200 answer that is not JSON as unavailable, without retrying', async () => {
    const raw = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>maintenance</html>');
    });
    const client = makeClient({ apiUrl: raw.url });

    const error = await rejectionOf(client.call('useradd', { user: { address: '18005551234' } }));

    expect(error).toBeInstanceOf(MesiboUnavailableError);
    expect(raw.hits()).toBe(1);
    expectLogsFreeOf(APP_TOKEN);
  });

  it('reports a 200 JSON answer without a result field as unavailable', async () => {
    const raw = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ hello: 'world' }));
    });
    const client = makeClient({ apiUrl: raw.url });

    const error = await rejectionOf(client.call('useradd', { user: { address: '18005551234' } }));

    expect(error).toBeInstanceOf(MesiboUnavailableError);
    expectLogsFreeOf(APP_TOKEN);
  });
});
