import { FakeClock as TestClock } from '../../test/support/fake-clock';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { MesiboSimulator } from '../mesibo-simulator/mesibo-simulator';
import { MesiboApiClient } from './mesibo-api.client';
import { MesiboTokenService } from './mesibo-token.service';
import { MesiboSettings } from './mesibo.settings';


const APP_TOKEN = `spec-app-token-${randomBytes(12).toString('hex')}`;
const ADDRESS = '18005551234';
const APPID = 'com.messenger.appid';

describe('MesiboTokenService', () => {
  let simulator: MesiboSimulator;
  let client: MesiboApiClient;
  let clock: TestClock;
  let warn: jest.SpyInstance;

  function makeService(overrides: Partial<MesiboSettings> = {}, userDeleteOp = 'userdel'): MesiboTokenService {
    const settings: MesiboSettings = {
      apiUrl: simulator.url,
      appToken: APP_TOKEN,
      tokenExpiryMinutes: 525600,
      timeoutMs: 1000,
      retries: 0,
      tokenRevokeOp: 'usertokendel',
      ...overrides,
    };
    client = new MesiboApiClient(settings, () => Promise.resolve());
    return new MesiboTokenService(client, clock, settings, { userDeleteOp });
  }

  beforeEach(async () => {
    simulator = await new MesiboSimulator({ appToken: APP_TOKEN }).start();
    clock = new TestClock();
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await client.close();
    await simulator.stop();
  });

  describe('issueUserToken', () => {
    it('returns the uid as a string, the token mesibo stored, and the expiry from the clock', async () => {
      const service = makeService();

      const issued = await service.issueUserToken({ address: ADDRESS, appid: APPID });

      const user = simulator.users.get(ADDRESS);
      expect(user).toBeDefined();
      expect(issued.uid).toBe(String(user?.uid));
      expect(typeof issued.uid).toBe('string');
      expect([...(user?.tokens.keys() ?? [])]).toEqual([issued.token]);
      expect(user?.tokens.get(issued.token)?.appid).toBe(APPID);
      expect(issued.expiresAt.getTime()).toBe(clock.nowMs() + 525600 * 60_000);
    });

    it('asks useradd for a token for the address and appid, with the configured expiry', async () => {
      const service = makeService({ tokenExpiryMinutes: 1440 });

      const issued = await service.issueUserToken({ address: ADDRESS, appid: APPID });

      expect(simulator.requests).toHaveLength(1);
      const [request] = simulator.requests;
      expect(request.op).toBe('useradd');
      expect(request.body.user).toEqual({ address: ADDRESS, token: { appid: APPID, expiry: 1440 } });
      expect(request.body).not.toHaveProperty('token');
      expect(issued.expiresAt.getTime()).toBe(clock.nowMs() + 1440 * 60_000);
    });

    it('passes the name along when one is given', async () => {
      const service = makeService();

      await service.issueUserToken({ address: ADDRESS, appid: APPID, name: 'Alice' });

      expect(simulator.requests[0].body.user).toMatchObject({ address: ADDRESS, name: 'Alice' });
      expect(simulator.users.get(ADDRESS)?.name).toBe('Alice');
    });

    it('keeps the uid of the user and mints a new token on each call', async () => {
      const service = makeService();

      const first = await service.issueUserToken({ address: ADDRESS, appid: APPID });
      const second = await service.issueUserToken({ address: ADDRESS, appid: APPID });

      expect(second.uid).toBe(first.uid);
      expect(second.token).not.toBe(first.token);
      expect(simulator.users.get(ADDRESS)?.tokens.size).toBe(2);
    });
  });

  describe('revokeUserToken', () => {
    it('removes that token at mesibo and leaves the others', async () => {
      const service = makeService();
      const first = await service.issueUserToken({ address: ADDRESS, appid: APPID });
      const second = await service.issueUserToken({ address: ADDRESS, appid: APPID });

      await service.revokeUserToken({ uid: first.uid, address: ADDRESS, token: first.token, appid: APPID });

      const tokens = simulator.users.get(ADDRESS)?.tokens;
      expect(tokens?.has(first.token)).toBe(false);
      expect(tokens?.has(second.token)).toBe(true);
      expect(simulator.requests.at(-1)?.op).toBe('usertokendel');
      expect(simulator.isTokenValid(first.token)).toBe(false);
      expect(simulator.isTokenValid(second.token)).toBe(true);
      expect(warn).not.toHaveBeenCalled();
    });

    it('does not throw when mesibo refuses, and logs a warning', async () => {
      const service = makeService();

      await expect(
        service.revokeUserToken({ uid: null, address: ADDRESS, token: 'not-a-token', appid: APPID }),
      ).resolves.toBeUndefined();
      expect(warn).toHaveBeenCalled();
    });

    it('does not throw when mesibo cannot be reached', async () => {
      const service = makeService();
      const issued = await service.issueUserToken({ address: ADDRESS, appid: APPID });
      await simulator.stop();

      await expect(
        service.revokeUserToken({ uid: issued.uid, address: ADDRESS, token: issued.token, appid: APPID }),
      ).resolves.toBeUndefined();
      expect(warn).toHaveBeenCalled();
    });

    it('makes no call when the revoke op is none', async () => {
      const service = makeService({ tokenRevokeOp: 'none' });
      const issued = await service.issueUserToken({ address: ADDRESS, appid: APPID });

      await service.revokeUserToken({ uid: issued.uid, address: ADDRESS, token: issued.token, appid: APPID });

      expect(simulator.requests).toHaveLength(1);
      expect(simulator.users.get(ADDRESS)?.tokens.has(issued.token)).toBe(true);
    });
  });

  describe('deleteUser', () => {
    it('deletes the user at mesibo by uid, with its tokens', async () => {
      const service = makeService();
      const issued = await service.issueUserToken({ address: ADDRESS, appid: APPID });

      await expect(service.deleteUser({ uid: issued.uid, address: ADDRESS })).resolves.toBe('deleted');

      expect(simulator.requests.at(-1)).toEqual({ op: 'userdel', body: { op: 'userdel', user: { uid: issued.uid, address: ADDRESS } } });
      expect(simulator.users.has(ADDRESS)).toBe(false);
      expect(simulator.isTokenValid(issued.token)).toBe(false);
    });

    it('counts a user mesibo does not have (NOUSER) as deleted', async () => {
      await expect(makeService().deleteUser({ uid: null, address: ADDRESS })).resolves.toBe('deleted');
      expect(simulator.requests.at(-1)?.body).toEqual({ op: 'userdel', user: { address: ADDRESS } });
    });

    it('says `failed` (try again later) when mesibo is down or refuses the App Token, and `refused` when it refuses the op', async () => {
      const service = makeService();
      simulator.setFault('down');
      await expect(service.deleteUser({ uid: '1', address: ADDRESS })).resolves.toBe('failed');
      simulator.setFault('authfail');
      await expect(service.deleteUser({ uid: '1', address: ADDRESS })).resolves.toBe('failed');
      simulator.setFault('none');
      await expect(makeService({}, 'nosuchop').deleteUser({ uid: '1', address: ADDRESS })).resolves.toBe('refused');
      expect(warn).toHaveBeenCalled();
    });

    it('makes no call when the op is none', async () => {
      await expect(makeService({}, 'none').deleteUser({ uid: '1', address: ADDRESS })).resolves.toBe('skipped');
      expect(simulator.requests).toHaveLength(0);
    });
  });
});
