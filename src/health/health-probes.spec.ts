import { createServer, Server } from 'node:net';
import { AddressInfo } from 'node:net';
import { canConnect, tcpTargetOf } from './mesibo.health';
import { ProbeTimeoutError, withTimeout } from './with-timeout';

describe('health probes', () => {
  describe('withTimeout', () => {
    it('passes the result through', async () => {
      await expect(withTimeout(Promise.resolve(7), 50)).resolves.toBe(7);
    });

    it('passes a rejection through', async () => {
      await expect(withTimeout(Promise.reject(new Error('boom')), 50)).rejects.toThrow('boom');
    });

    it('rejects with ProbeTimeoutError when the work hangs', async () => {
      const hung = new Promise<never>(() => undefined);
      await expect(withTimeout(hung, 20)).rejects.toEqual(new ProbeTimeoutError(20));
      await expect(withTimeout(hung, 20)).rejects.toThrow('timed out after 20 ms');
    });
  });

  describe('tcpTargetOf', () => {
    it.each([
      ['https://api.mesibo.com/backend/', { host: 'api.mesibo.com', port: 443 }],
      ['http://mesibo.internal/backend/', { host: 'mesibo.internal', port: 80 }],
      ['http://127.0.0.1:4000/backend/', { host: '127.0.0.1', port: 4000 }],
      ['https://[::1]:8443/', { host: '::1', port: 8443 }],
    ])('%s', (url, target) => {
      expect(tcpTargetOf(url)).toEqual(target);
    });
  });

  describe('canConnect', () => {
    let server: Server;

    beforeEach(async () => {
      server = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterEach(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('is reachable while something listens, and not once it stopped', async () => {
      const target = { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
      await expect(canConnect(target, 1000)).resolves.toEqual({ reachable: true });

      await new Promise<void>((resolve) => server.close(() => resolve()));
      server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const refused = await canConnect(target, 1000);
      expect(refused).toEqual({ reachable: false, reason: expect.stringContaining('ECONNREFUSED') });
    });
  });
});
