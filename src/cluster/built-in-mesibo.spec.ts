import { Logger } from '@nestjs/common';
import { AddressInfo, createServer, Server } from 'node:net';
import { ConfigError } from '../config/env';
import { BuiltInMesibo, startBuiltInMesiboIfNoAppToken } from './built-in-mesibo';

/** A TCP server on a free loopback port. */
async function listening(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  await new Promise((resolve) => server.close(resolve));
}

describe('the built-in mesibo simulator', () => {
  const logger = { warn: jest.fn() } as unknown as Logger;
  let started: BuiltInMesibo | undefined;

  afterEach(async () => {
    await started?.stop();
    started = undefined;
  });

  it('listens on MESIBO_SIMULATOR_PORT and answers there as mesibo', async () => {
    const probe = await listening();
    const port = portOf(probe);
    await close(probe);

    started = await startBuiltInMesiboIfNoAppToken(logger, { MESIBO_SIMULATOR_PORT: String(port) });

    expect(started?.endpoint.apiUrl).toBe(`http://127.0.0.1:${port}/backend/`);
    const res = await fetch(started!.endpoint.apiUrl, {
      method: 'POST',
      body: JSON.stringify({ op: 'useradd', token: started!.endpoint.appToken, user: { address: '18005551234' } }),
    });
    expect(await res.json()).toMatchObject({ result: true, user: { address: '18005551234' } });
  });

  it('takes any free port by default', async () => {
    started = await startBuiltInMesiboIfNoAppToken(logger, {});

    expect(Number(new URL(started!.endpoint.apiUrl).port)).toBeGreaterThan(0);
  });

  it('stops start-up with one line naming the setting when the port is taken', async () => {
    const holder = await listening();
    try {
      const refusal = startBuiltInMesiboIfNoAppToken(logger, { MESIBO_SIMULATOR_PORT: String(portOf(holder)) });

      await expect(refusal).rejects.toThrow(ConfigError);
      await expect(refusal).rejects.toThrow(`MESIBO_SIMULATOR_PORT=${portOf(holder)} is in use`);
    } finally {
      await close(holder);
    }
  });

  it.each(['abc', '-1', '65536', '80.5'])('refuses MESIBO_SIMULATOR_PORT=%s', async (value) => {
    await expect(startBuiltInMesiboIfNoAppToken(logger, { MESIBO_SIMULATOR_PORT: value })).rejects.toThrow(
      'MESIBO_SIMULATOR_PORT must be a port number from 0 to 65535',
    );
  });

  it('is not started with an App Token, whatever the port setting', async () => {
    started = await startBuiltInMesiboIfNoAppToken(logger, { MESIBO_APP_TOKEN: 'a-real-app-token', MESIBO_SIMULATOR_PORT: '1' });

    expect(started).toBeUndefined();
  });
});
