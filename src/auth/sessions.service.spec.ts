import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { FakeClock } from '../../test/support/fake-clock';
import { InvalidTokenError } from '../common/errors';
import { Db, migrateToLatest, openDatabase } from '../database/connection';
import { UserRow } from '../database/schema';
import { MesiboSimulator } from '../mesibo-simulator/mesibo-simulator';
import { MesiboApiClient } from '../mesibo/mesibo-api.client';
import { MesiboTokenService } from '../mesibo/mesibo-token.service';
import { MesiboSettings } from '../mesibo/mesibo.settings';
import { UsersRepository } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import { SessionsRepository } from './sessions.repository';
import { hashUserToken, SessionsService } from './sessions.service';
import { SessionTokenCipher } from './sessions.token-cipher';

const APP_TOKEN = `spec-app-token-${randomBytes(12).toString('hex')}`;
const APPID = 'com.example.app';
const PHONE = { method: 'phone', subject: '18005551234' };
const EMAIL = { method: 'email', subject: 'ada@example.com' };

describe('SessionsService', () => {
  let db: Db;
  let clock: FakeClock;
  let simulator: MesiboSimulator;
  let client: MesiboApiClient;
  let mesibo: MesiboTokenService;
  let users: UsersService;
  let cipher: SessionTokenCipher;
  let service: SessionsService;
  let warn: jest.SpyInstance;

  beforeEach(async () => {
    db = openDatabase('sqlite::memory:');
    await migrateToLatest(db);
    clock = new FakeClock();
    simulator = await new MesiboSimulator({ appToken: APP_TOKEN }).start();
    const settings: MesiboSettings = {
      apiUrl: simulator.url,
      appToken: APP_TOKEN,
      tokenExpiryMinutes: 525600,
      timeoutMs: 1000,
      retries: 0,
      tokenRevokeOp: 'usertokendel',
    };
    client = new MesiboApiClient(settings, () => Promise.resolve());
    mesibo = new MesiboTokenService(client, clock, settings);
    users = new UsersService(new UsersRepository(db));
    cipher = new SessionTokenCipher({ secret: randomBytes(32) });
    service = new SessionsService(new SessionsRepository(db), users, mesibo, clock, cipher);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await client.close();
    await simulator.stop();
    await db.destroy();
  });

  /** A user of `address`, logged in once per identity given, each time with a token mesibo really issued. */
  async function loggedIn(address: string, logins: Array<{ method: string; subject: string }>): Promise<{ user: UserRow; tokens: string[] }> {
    const tokens: string[] = [];
    let user: UserRow | undefined;
    for (const identity of logins) {
      const issued = await mesibo.issueUserToken({ address, appid: APPID });
      const now = clock.nowMs();
      user = await db.transaction().execute(async (trx) => {
        const login = await users.recordLogin({ ...identity, verified: true }, { address, mesiboUid: issued.uid, now }, trx);
        await service.record({ userId: login.user.id, identity, token: issued.token, appid: APPID, now, expiresAt: issued.expiresAt.getTime() }, trx);
        return login.user;
      });
      tokens.push(issued.token);
    }
    if (!user) throw new Error('no login');
    return { user, tokens };
  }

  describe('record', () => {
    it('keeps the token only as its hash and sealed, with the login method and the login as the first proof', async () => {
      const { tokens } = await loggedIn(PHONE.subject, [PHONE]);

      const row = await db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow();
      expect(row.token_hash).toBe(hashUserToken(tokens[0]));
      expect(row.token_ciphertext).toEqual(expect.any(String));
      expect(row.token_ciphertext).not.toContain(tokens[0]);
      expect(cipher.open(row.token_ciphertext as string, row.token_hash)).toBe(tokens[0]);
      expect(row).toMatchObject({ login_method: 'phone', login_subject: PHONE.subject, proven_at: clock.nowMs(), created_at: clock.nowMs() });
    });
  });

  describe('markProven', () => {
    it('moves the proof time of a live session to now, and refuses an ended one', async () => {
      const { tokens } = await loggedIn(PHONE.subject, [PHONE]);
      const { session } = await service.authenticate(tokens[0]);
      clock.advance(600);

      await expect(service.markProven(session.id)).resolves.toBe(clock.nowMs());
      await expect(service.authenticate(tokens[0])).resolves.toMatchObject({ session: { proven_at: clock.nowMs() } });

      await service.end(tokens[0]);
      await expect(service.markProven(session.id)).rejects.toBeInstanceOf(InvalidTokenError);
    });
  });

  describe('endAllForUser', () => {
    it("ends every session of the user and revokes each token at mesibo; other users' sessions stay", async () => {
      const ada = await loggedIn(PHONE.subject, [PHONE, PHONE, PHONE]);
      const bob = await loggedIn('18005550000', [{ method: 'phone', subject: '18005550000' }]);

      await expect(service.endAllForUser(ada.user.id, 'logout-everywhere')).resolves.toBe(3);

      for (const token of ada.tokens) {
        await expect(service.authenticate(token)).rejects.toBeInstanceOf(InvalidTokenError);
        expect(simulator.isTokenValid(token)).toBe(false);
      }
      await expect(service.authenticate(bob.tokens[0])).resolves.toMatchObject({ user: { id: bob.user.id } });
      expect(simulator.isTokenValid(bob.tokens[0])).toBe(true);
      // Ended sessions keep nothing that opens mesibo.
      const sealed = await db.selectFrom('sessions').select('token_ciphertext').where('user_id', '=', ada.user.id).execute();
      expect(sealed.map((row) => row.token_ciphertext)).toEqual([null, null, null]);
      expect(warn).not.toHaveBeenCalled();
    });

    it('keeps the session given, at mesibo too', async () => {
      const ada = await loggedIn(PHONE.subject, [PHONE, PHONE]);
      const here = (await service.authenticate(ada.tokens[0])).session.id;

      await expect(service.endAllForUser(ada.user.id, 'password-changed', here)).resolves.toBe(1);

      await expect(service.authenticate(ada.tokens[0])).resolves.toMatchObject({ session: { id: here } });
      expect(simulator.isTokenValid(ada.tokens[0])).toBe(true);
      expect(simulator.isTokenValid(ada.tokens[1])).toBe(false);
    });

    it('still ends a session whose token was not kept (or no longer opens), and says so without the token', async () => {
      const ada = await loggedIn(PHONE.subject, [PHONE, PHONE]);
      // One from before tokens were kept, one sealed under another key.
      await db.updateTable('sessions').set({ token_ciphertext: null }).where('token_hash', '=', hashUserToken(ada.tokens[0])).execute();
      const foreign = new SessionTokenCipher({ secret: randomBytes(32) }).seal(ada.tokens[1], hashUserToken(ada.tokens[1]));
      await db.updateTable('sessions').set({ token_ciphertext: foreign }).where('token_hash', '=', hashUserToken(ada.tokens[1])).execute();

      await expect(service.endAllForUser(ada.user.id, 'logout-everywhere')).resolves.toBe(2);

      for (const token of ada.tokens) await expect(service.authenticate(token)).rejects.toBeInstanceOf(InvalidTokenError);
      expect(simulator.requests.filter((request) => request.op === 'usertokendel')).toHaveLength(0);
      expect(warn).toHaveBeenCalledTimes(2);
      const logged = warn.mock.calls.map((call) => String(call[0])).join('\n');
      for (const token of ada.tokens) {
        expect(logged).not.toContain(token);
        expect(logged).not.toContain(hashUserToken(token));
      }
    });

    it('answers 0 and calls nobody when there is nothing to end', async () => {
      const ada = await loggedIn(PHONE.subject, [PHONE]);
      await service.end(ada.tokens[0]);
      const calls = simulator.requests.length;

      await expect(service.endAllForUser(ada.user.id, 'logout-everywhere')).resolves.toBe(0);

      expect(simulator.requests).toHaveLength(calls);
    });
  });

  describe('endOpenedWith', () => {
    it('ends only the sessions that login method opened, but the one given, and revokes their tokens', async () => {
      const ada = await loggedIn(PHONE.subject, [PHONE, EMAIL, EMAIL, EMAIL]);
      const [byPhone, emailHere, emailElsewhere, emailThird] = ada.tokens;
      const here = (await service.authenticate(emailHere)).session.id;

      await expect(service.endOpenedWith(ada.user.id, EMAIL, here)).resolves.toBe(2);

      await expect(service.authenticate(byPhone)).resolves.toBeDefined();
      await expect(service.authenticate(emailHere)).resolves.toBeDefined();
      await expect(service.authenticate(emailElsewhere)).rejects.toBeInstanceOf(InvalidTokenError);
      await expect(service.authenticate(emailThird)).rejects.toBeInstanceOf(InvalidTokenError);
      expect([byPhone, emailHere, emailElsewhere, emailThird].map((token) => simulator.isTokenValid(token))).toEqual([true, true, false, false]);
    });
  });
});
