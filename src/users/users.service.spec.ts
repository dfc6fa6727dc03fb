import { randomUUID } from 'node:crypto';
import { AddressNotAllowedError, IdentityInUseError, IdentityRemovedError, LastIdentityError, NotFoundError } from '../common/errors';
import { Db, migrateToLatest, openDatabase } from '../database/connection';
import { UserRow } from '../database/schema';
import { isUniqueViolation } from '../common/infrastructure-errors';
import { LoginOutcome, LoginPrecheck, UsersService } from './users.service';
import { NewIdentity, UsersRepository } from './users.repository';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

const PHONE: NewIdentity = { method: 'phone', subject: '18005551234', verified: true };
const EMAIL: NewIdentity = { method: 'email', subject: 'ada@example.com', verified: true };
const GOOGLE: NewIdentity = { method: 'oidc:google', subject: '109876543210', verified: true };
/** A login whose address is a name, not a phone or email: the kind an unverified identity may share. */
const CORP: NewIdentity = { method: 'oidc:corp', subject: 'c-1', verified: true };
const CORP_ADDRESS = 'corp:c-1';

/** The error a promise rejects with; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

describe('UsersService', () => {
  let db: Db;
  let service: UsersService;

  beforeEach(async () => {
    db = openDatabase('sqlite::memory:');
    await migrateToLatest(db);
    service = new UsersService(new UsersRepository(db));
  });

  afterEach(async () => {
    await db.destroy();
  });

  /** A login as the app records it: inside a transaction. */
  function login(identity: NewIdentity, address: string, options: { now?: number; mesiboUid?: string; displayName?: string } = {}): Promise<LoginOutcome> {
    return db
      .transaction()
      .execute((trx) =>
        service.recordLogin(identity, { address, displayName: options.displayName, mesiboUid: options.mesiboUid ?? 'uid-1', now: options.now ?? T0 }, trx),
      );
  }

  async function allUsers(): Promise<UserRow[]> {
    return db.selectFrom('users').selectAll().execute();
  }

  async function identityKeys(userId: string): Promise<string[]> {
    return (await service.listIdentities(userId)).map((identity) => `${identity.method}:${identity.subject}`).sort();
  }

  async function identityCount(): Promise<number> {
    return (await db.selectFrom('identities').select('id').execute()).length;
  }

  async function seedEmailAccount(email: string): Promise<void> {
    await db.insertInto('email_accounts').values({ email, password_hash: 'x', display_name: null, verified_at: T0, created_at: T0, updated_at: T0 }).execute();
  }

  async function seedCode(channel: string, destination: string): Promise<void> {
    await db.insertInto('otp_challenges').values({ id: randomUUID(), channel, destination, code_hash: 'h', attempts: 0, created_at: T0, expires_at: T0 + 300_000 }).execute();
  }

  async function emailAccounts(): Promise<string[]> {
    return (await db.selectFrom('email_accounts').select('email').execute()).map((row) => row.email).sort();
  }

  async function pendingCodes(): Promise<string[]> {
    return (await db.selectFrom('otp_challenges').select(['channel', 'destination']).execute()).map((row) => `${row.channel}:${row.destination}`).sort();
  }

  describe('recordLogin with the precheck of the login', () => {
    function loginAfter(precheck: LoginPrecheck, identity: NewIdentity, address: string, mesiboUid = 'uid-1'): Promise<LoginOutcome> {
      return db.transaction().execute((trx) => service.recordLogin(identity, { address, mesiboUid, now: T0 + 1 }, trx, precheck));
    }

    it('records a known user\'s login without reading again, and writes the user only when the uid changed', async () => {
      await login(PHONE, '18005551234', { mesiboUid: 'uid-1' });
      const precheck = await service.precheckLogin(PHONE, '18005551234');
      expect(precheck.known).toBeDefined();
      expect(await loginAfter(precheck, PHONE, '18005551234', 'uid-1')).toMatchObject({ created: false, user: { id: precheck.known?.id } });
      expect((await allUsers())[0]).toMatchObject({ mesibo_uid: 'uid-1', updated_at: T0 });
      await loginAfter(precheck, PHONE, '18005551234', 'uid-2');
      expect((await allUsers())[0]).toMatchObject({ mesibo_uid: 'uid-2', updated_at: T0 + 1 });
    });

    it('decides again when the known identity was removed after the precheck', async () => {
      const owner = (await login(PHONE, '18005551234')).user;
      await db.transaction().execute((trx) => service.recordLogin(EMAIL, { address: '18005551234', mesiboUid: 'uid-1', now: T0 }, trx));
      const precheck = await service.precheckLogin(PHONE, '18005551234');
      const phoneIdentity = (await service.listIdentities(owner.id)).find((identity) => identity.method === 'phone');
      await service.unlinkIdentity(owner.id, phoneIdentity?.id ?? '', T0);
      await expect(loginAfter(precheck, PHONE, '18005551234')).rejects.toBeInstanceOf(IdentityRemovedError);
    });

    it('fails with a unique violation when another login created the user after the precheck, and succeeds without it', async () => {
      const precheck = await service.precheckLogin(PHONE, '18005551234');
      expect(precheck).toEqual({ addressOwner: undefined });
      await login(PHONE, '18005551234');
      const error = await rejectionOf(loginAfter(precheck, PHONE, '18005551234'));
      expect(isUniqueViolation(error)).toBe(true);
      expect(await allUsers()).toHaveLength(1);
      expect((await login(PHONE, '18005551234')).created).toBe(false);
    });

    it('refuses in the precheck what recordLogin would refuse', async () => {
      await login(CORP, CORP_ADDRESS);
      await expect(service.precheckLogin({ ...GOOGLE, verified: false }, CORP_ADDRESS)).rejects.toBeInstanceOf(IdentityInUseError);
      expect(await service.precheckLogin(GOOGLE, CORP_ADDRESS)).toMatchObject({ addressOwner: { address: CORP_ADDRESS } });
    });
  });

  describe('recordLogin', () => {
    it('creates a user with the address of the identity on the first login, and finds the same user on the next', async () => {
      const first = await login(PHONE, '18005551234', { mesiboUid: 'uid-1', displayName: 'Ada' });

      expect(first.created).toBe(true);
      expect(first.user).toMatchObject({ address: '18005551234', display_name: 'Ada', mesibo_uid: 'uid-1', created_at: T0 });
      await expect(service.findById(first.user.id)).resolves.toEqual(first.user);
      await expect(service.findByIdentity('phone', '18005551234')).resolves.toEqual(first.user);
      const [identity] = await service.listIdentities(first.user.id);
      expect(identity).toMatchObject({ method: 'phone', subject: '18005551234', verified: 1, created_at: T0, last_login_at: T0 });

      const later = T0 + 60_000;
      const second = await login(PHONE, '18005551234', { mesiboUid: 'uid-2', now: later });

      expect(second.created).toBe(false);
      expect(second.user.id).toBe(first.user.id);
      expect(await allUsers()).toHaveLength(1);
      expect(await identityCount()).toBe(1);
      // The login is recorded: the latest mesibo uid and the time of the login.
      await expect(service.findById(first.user.id)).resolves.toMatchObject({ mesibo_uid: 'uid-2', updated_at: later });
      await expect(service.listIdentities(first.user.id)).resolves.toEqual([expect.objectContaining({ last_login_at: later, created_at: T0 })]);
    });

    it('attaches a verified identity whose address already belongs to a user to that user, not to a new one', async () => {
      const owner = (await login(EMAIL, 'ada@example.com')).user;

      const outcome = await login(GOOGLE, 'ada@example.com');

      expect(outcome.created).toBe(false);
      expect(outcome.user.id).toBe(owner.id);
      expect(await allUsers()).toHaveLength(1);
      expect(await identityKeys(owner.id)).toEqual(['email:ada@example.com', 'oidc:google:109876543210']);
      await expect(service.findByIdentity(GOOGLE.method, GOOGLE.subject)).resolves.toMatchObject({ id: owner.id });
    });

    it('does not attach an unverified identity to the user that owns its address: the login fails and nothing is added', async () => {
      const owner = (await login(CORP, CORP_ADDRESS)).user;
      const unverified: NewIdentity = { ...GOOGLE, verified: false };

      const error = await rejectionOf(login(unverified, CORP_ADDRESS));

      expect(error).toBeInstanceOf(IdentityInUseError);
      expect(await allUsers()).toEqual([owner]);
      expect(await identityKeys(owner.id)).toEqual(['oidc:corp:c-1']);
      await expect(service.findByIdentity(GOOGLE.method, GOOGLE.subject)).resolves.toBeUndefined();
      expect(await identityCount()).toBe(1);
    });

    it('creates a separate user for an unverified identity whose address is free', async () => {
      const owner = (await login(EMAIL, 'ada@example.com')).user;

      const outcome = await login({ ...GOOGLE, verified: false }, 'google:someone');

      expect(outcome.created).toBe(true);
      expect(outcome.user.id).not.toBe(owner.id);
      expect(outcome.user.address).toBe('google:someone');
      await expect(service.listIdentities(outcome.user.id)).resolves.toEqual([expect.objectContaining({ method: 'oidc:google', verified: 0 })]);
    });

    it('never changes the address of a user who later logs in by another identity', async () => {
      const user = (await login(PHONE, '18005551234')).user;
      await service.linkIdentity(user.id, EMAIL, T0);

      const outcome = await login(EMAIL, 'ada@example.com', { now: T0 + 1000 });

      expect(outcome.created).toBe(false);
      expect(outcome.user.id).toBe(user.id);
      expect(outcome.user.address).toBe('18005551234');
      await expect(service.findById(user.id)).resolves.toMatchObject({ address: '18005551234' });
      expect(await allUsers()).toHaveLength(1);
    });

    it('writes nothing when the transaction around it rolls back', async () => {
      await expect(
        db.transaction().execute(async (trx) => {
          await service.recordLogin(PHONE, { address: '18005551234', mesiboUid: 'uid-1', now: T0 }, trx);
          throw new Error('a later step of the login failed');
        }),
      ).rejects.toThrow('a later step of the login failed');

      expect(await allUsers()).toHaveLength(0);
      expect(await identityCount()).toBe(0);
    });
  });

  describe('linkIdentity', () => {
    it('links a new identity to the user', async () => {
      const user = (await login(PHONE, '18005551234')).user;

      await service.linkIdentity(user.id, EMAIL, T0 + 5000);

      expect(await identityKeys(user.id)).toEqual(['email:ada@example.com', 'phone:18005551234']);
      await expect(service.findByIdentity('email', 'ada@example.com')).resolves.toMatchObject({ id: user.id });
      const linked = (await service.listIdentities(user.id)).find((identity) => identity.method === 'email');
      expect(linked).toMatchObject({ verified: 1, created_at: T0 + 5000 });
    });

    it('is a no-op when the user already has the identity', async () => {
      const user = (await login(PHONE, '18005551234')).user;
      await service.linkIdentity(user.id, EMAIL, T0);
      const before = await service.listIdentities(user.id);

      await expect(service.linkIdentity(user.id, EMAIL, T0 + 5000)).resolves.toBeUndefined();
      await expect(service.linkIdentity(user.id, PHONE, T0 + 5000)).resolves.toBeUndefined();

      expect(await service.listIdentities(user.id)).toEqual(before);
      expect(await identityCount()).toBe(2);
    });

    it("refuses an identity of another user with IdentityInUseError, and leaves it with that user", async () => {
      const ada = (await login(EMAIL, 'ada@example.com')).user;
      const bob = (await login(PHONE, '18005551234')).user;

      await expect(service.linkIdentity(bob.id, EMAIL, T0)).rejects.toBeInstanceOf(IdentityInUseError);

      expect(await identityKeys(ada.id)).toEqual(['email:ada@example.com']);
      expect(await identityKeys(bob.id)).toEqual(['phone:18005551234']);
    });
  });

  describe('unlinkIdentity', () => {
    async function userWithPhoneAndEmail(): Promise<UserRow> {
      const user = (await login(PHONE, '18005551234')).user;
      await service.linkIdentity(user.id, EMAIL, T0);
      return user;
    }

    async function idOf(userId: string, method: string): Promise<string> {
      const identity = (await service.listIdentities(userId)).find((candidate) => candidate.method === method);
      if (!identity) throw new Error(`no ${method} identity`);
      return identity.id;
    }

    it('removes one of two identities', async () => {
      const user = await userWithPhoneAndEmail();

      await service.unlinkIdentity(user.id, await idOf(user.id, 'email'), T0 + 1000);

      expect(await identityKeys(user.id)).toEqual(['phone:18005551234']);
      await expect(service.findByIdentity('email', 'ada@example.com')).resolves.toBeUndefined();
    });

    it('refuses to remove the last identity with LastIdentityError, and the identity stays', async () => {
      const user = await userWithPhoneAndEmail();
      await service.unlinkIdentity(user.id, await idOf(user.id, 'email'), T0 + 1000);
      const lastId = await idOf(user.id, 'phone');

      await expect(service.unlinkIdentity(user.id, lastId, T0 + 2000)).rejects.toBeInstanceOf(LastIdentityError);

      await expect(service.listIdentities(user.id)).resolves.toEqual([expect.objectContaining({ id: lastId, method: 'phone' })]);
    });

    it("answers NotFoundError for another user's identity, and deletes nothing", async () => {
      const ada = await userWithPhoneAndEmail();
      const bob = (await login(GOOGLE, 'bob@example.org')).user;
      await service.linkIdentity(bob.id, { method: 'phone', subject: '919876543210', verified: true }, T0);
      const adasEmail = await idOf(ada.id, 'email');

      await expect(service.unlinkIdentity(bob.id, adasEmail, T0 + 1000)).rejects.toBeInstanceOf(NotFoundError);

      expect(await identityKeys(ada.id)).toEqual(['email:ada@example.com', 'phone:18005551234']);
      expect(await identityKeys(bob.id)).toEqual(['oidc:google:109876543210', 'phone:919876543210']);
    });

    it('answers NotFoundError for an id that is no identity at all', async () => {
      const user = await userWithPhoneAndEmail();

      await expect(service.unlinkIdentity(user.id, randomUUID(), T0 + 1000)).rejects.toBeInstanceOf(NotFoundError);

      expect(await identityCount()).toBe(2);
    });

    it('returns what it removed, and takes the credentials of an email login with it: the account row and pending codes', async () => {
      const user = await userWithPhoneAndEmail();
      await seedEmailAccount('ada@example.com');
      await seedEmailAccount('bob@example.org');
      await seedCode('email-verify', 'ada@example.com');
      await seedCode('email-reset', 'ada@example.com');
      await seedCode('email-reset', 'bob@example.org');
      await seedCode('sms', '18005551234');

      await expect(service.unlinkIdentity(user.id, await idOf(user.id, 'email'), T0 + 1000)).resolves.toEqual({ method: 'email', subject: 'ada@example.com' });

      expect(await emailAccounts()).toEqual(['bob@example.org']);
      expect(await pendingCodes()).toEqual(['email-reset:bob@example.org', 'sms:18005551234']);
    });

    it('takes the pending codes of a phone with it', async () => {
      const user = await userWithPhoneAndEmail();
      await seedEmailAccount('ada@example.com');
      await seedCode('sms', '18005551234');
      await seedCode('sms', '919876543210');

      await service.unlinkIdentity(user.id, await idOf(user.id, 'phone'), T0 + 1000);

      expect(await pendingCodes()).toEqual(['sms:919876543210']);
      expect(await emailAccounts()).toEqual(['ada@example.com']);
    });

    it('leaves credentials alone when it refuses', async () => {
      const user = (await login(EMAIL, 'ada@example.com')).user;
      await seedEmailAccount('ada@example.com');
      await seedCode('email-reset', 'ada@example.com');

      await expect(service.unlinkIdentity(user.id, await idOf(user.id, 'email'), T0 + 1000)).rejects.toBeInstanceOf(LastIdentityError);

      expect(await emailAccounts()).toEqual(['ada@example.com']);
      expect(await pendingCodes()).toEqual(['email-reset:ada@example.com']);
    });
  });

  describe('a removed identity', () => {
    async function idOf(userId: string, method: string): Promise<string> {
      const identity = (await service.listIdentities(userId)).find((candidate) => candidate.method === method);
      if (!identity) throw new Error(`no ${method} identity`);
      return identity.id;
    }

    it("never joins its owner again through the owner's address: the login is refused, before and while recording", async () => {
      // A phone user (the phone is the mesibo address) who linked an email, then removed the phone.
      const user = (await login(PHONE, '18005551234')).user;
      await service.linkIdentity(user.id, EMAIL, T0);
      await service.unlinkIdentity(user.id, await idOf(user.id, 'phone'), T0 + 1000);

      await expect(service.assertMayJoin(PHONE, '18005551234')).rejects.toBeInstanceOf(IdentityRemovedError);
      expect(await rejectionOf(login(PHONE, '18005551234', { now: T0 + 2000 }))).toBeInstanceOf(IdentityRemovedError);

      expect(await allUsers()).toHaveLength(1);
      expect(await identityKeys(user.id)).toEqual(['email:ada@example.com']);
      await expect(service.findByIdentity('phone', '18005551234')).resolves.toBeUndefined();
    });

    it("is refused the same way for an email user's removed email", async () => {
      const user = (await login(EMAIL, 'ada@example.com')).user;
      await service.linkIdentity(user.id, PHONE, T0);
      await service.unlinkIdentity(user.id, await idOf(user.id, 'email'), T0 + 1000);

      expect(await rejectionOf(login(EMAIL, 'ada@example.com', { now: T0 + 2000 }))).toBeInstanceOf(IdentityRemovedError);
      expect(await identityKeys(user.id)).toEqual(['phone:18005551234']);
    });

    it('logs in as a new user when its address is not the account\'s', async () => {
      const user = (await login(PHONE, '18005551234')).user;
      await service.linkIdentity(user.id, EMAIL, T0);
      await service.unlinkIdentity(user.id, await idOf(user.id, 'email'), T0 + 1000);

      await expect(service.assertMayJoin(EMAIL, 'ada@example.com')).resolves.toBeUndefined();
      const outcome = await login(EMAIL, 'ada@example.com', { now: T0 + 2000 });

      expect(outcome.created).toBe(true);
      expect(outcome.user.id).not.toBe(user.id);
      expect(await identityKeys(user.id)).toEqual(['phone:18005551234']);
    });

    it('joins again once the owner links it again', async () => {
      const user = (await login(PHONE, '18005551234')).user;
      await service.linkIdentity(user.id, EMAIL, T0);
      await service.unlinkIdentity(user.id, await idOf(user.id, 'phone'), T0 + 1000);

      await service.linkIdentity(user.id, PHONE, T0 + 2000);
      // Removed again later by the owner: still the owner's choice that counts.
      await service.unlinkIdentity(user.id, await idOf(user.id, 'phone'), T0 + 3000);
      await service.linkIdentity(user.id, PHONE, T0 + 4000);

      const outcome = await login(PHONE, '18005551234', { now: T0 + 5000 });
      expect(outcome).toMatchObject({ created: false, user: { id: user.id } });
      await expect(service.assertMayJoin(PHONE, '18005551234')).resolves.toBeUndefined();
    });

    it('refuses an unverified identity for an owned address before anything is issued, as before', async () => {
      await login(CORP, CORP_ADDRESS);

      await expect(service.assertMayJoin({ ...GOOGLE, verified: false }, CORP_ADDRESS)).rejects.toBeInstanceOf(IdentityInUseError);
      await expect(service.assertMayJoin(GOOGLE, CORP_ADDRESS)).resolves.toBeUndefined();
      await expect(service.assertMayJoin({ ...GOOGLE, verified: false }, 'google:nobody')).resolves.toBeUndefined();
    });

    it.each(['18005551234', 'ada@example.com', 'nobody@example.org', '0'])(
      'refuses %s, an address codes prove, to an unverified identity even while no user has it',
      async (address) => {
        await expect(service.assertMayJoin({ ...GOOGLE, verified: false }, address)).rejects.toBeInstanceOf(AddressNotAllowedError);
        await expect(rejectionOf(login({ ...GOOGLE, verified: false }, address))).resolves.toBeInstanceOf(AddressNotAllowedError);
        expect(await allUsers()).toEqual([]);
        await expect(service.assertMayJoin(GOOGLE, address)).resolves.toBeUndefined();
      },
    );
  });
});
