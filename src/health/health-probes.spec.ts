import { FakeClock } from '../../test/support/fake-clock';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Logger } from '@nestjs/common';
import { MesiboApiClient } from '../mesibo/mesibo-api.client';
import { MesiboTokenService } from '../mesibo/mesibo-token.service';
import { MesiboSettings } from '../mesibo/mesibo.settings';
import { MesiboSimulator } from '../mesibo-simulator/mesibo-simulator';
import { MESIBO_CHECK_CACHE_MS, MesiboHealthIndicator } from './mesibo.health';
import { ProbeTimeoutError, withTimeout } from './with-timeout';

const APP_TOKEN = 'health-spec-app-token-0123456789';

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

  describe('MesiboHealthIndicator (the App Token, asked of a real mesibo simulator)', () => {
    let simulator: MesiboSimulator;
    let client: MesiboApiClient;
    let clock: FakeClock;
    let logged: string[];

    beforeEach(async () => {
      simulator = await new MesiboSimulator({ appToken: APP_TOKEN }).start();
      clock = new FakeClock();
      logged = [];
      for (const level of ['log', 'warn', 'error'] as const) {
        jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => void logged.push(`${level} ${String(args[0])}`));
      }
    });
    afterEach(async () => {
      jest.restoreAllMocks();
      await client.close();
      await simulator.stop();
    });

    function indicator(appToken = APP_TOKEN, apiUrl = simulator.url): MesiboHealthIndicator {
      const settings: MesiboSettings = { apiUrl, appToken, tokenExpiryMinutes: 60, timeoutMs: 1000, retries: 2, tokenRevokeOp: 'none' };
      client = new MesiboApiClient(settings, () => Promise.resolve());
      return new MesiboHealthIndicator(new MesiboTokenService(client, clock, settings), clock, new HealthIndicatorService());
    }

    it('is up when mesibo accepts the token, and the call it makes creates nothing', async () => {
      await expect(indicator().check()).resolves.toEqual({ mesibo: { status: 'up' } });
      expect(simulator.requests).toEqual([{ op: 'useradd', body: { op: 'useradd' } }]);
      expect(simulator.users.size).toBe(0);
      // A refusal that proves the token passed is not worth a log line on every probe.
      expect(logged).toEqual([]);
    });

    it('is down with "app token refused" for a wrong token, logged once without the token', async () => {
      const probe = indicator('a-wrong-app-token-987654321');
      await expect(probe.check()).resolves.toEqual({ mesibo: { status: 'down', message: 'app token refused' } });
      clock.advance(MESIBO_CHECK_CACHE_MS.refused / 1000);
      await expect(probe.check()).resolves.toEqual({ mesibo: { status: 'down', message: 'app token refused' } });
      expect(simulator.requests).toHaveLength(2);
      expect(logged).toEqual([expect.stringContaining('mesibo refuses the App Token')]);
      expect(logged.join('\n')).not.toContain('a-wrong-app-token');
    });

    it('is down with "unreachable" when nothing answers at the API URL', async () => {
      // Port 1: nothing listens there.
      const unreachable = indicator(APP_TOKEN, 'http://127.0.0.1:1/backend/');
      await expect(unreachable.check()).resolves.toEqual({ mesibo: { status: 'down', message: 'unreachable' } });
      expect(logged).toEqual(['warn mesibo API is unreachable']);
    });

    it('reuses an answer for a while and shares one call between concurrent probes', async () => {
      const probe = indicator();
      await Promise.all([probe.check(), probe.check(), probe.check()]);
      expect(simulator.requests).toHaveLength(1);

      clock.advance(MESIBO_CHECK_CACHE_MS.accepted / 1000 - 1);
      await probe.check();
      expect(simulator.requests).toHaveLength(1);

      clock.advance(1);
      await probe.check();
      expect(simulator.requests).toHaveLength(2);
    });
  });
});
