import { Injectable, Optional } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail';
import { AddressNotAllowedError, IdentityInUseError, IdentityRemovedError, LastIdentityError, NotFoundError } from '../common/errors';
import { isUniqueViolation } from '../common/infrastructure-errors';
import { IdentityRow, UserRow } from '../database/schema';
import { Executor, IdentityKey, NewIdentity, UsersRepository } from './users.repository';

export interface LoginOutcome {
  user: UserRow;
  created: boolean;
}

/**
 * What a login found before mesibo was asked (see precheckLogin): the identity's user, or, for a
 * new identity, the user that owns its address and that it will join (none: a new user).
 */
export type LoginPrecheck = { known: UserRow } | { known?: undefined; addressOwner?: UserRow };

/** Users and their identities, and the rules that tie one to the other. */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    @Optional() private readonly audit?: AuditTrail,
  ) {}

  findByIdentity(method: string, subject: string): Promise<UserRow | undefined> {
    return this.users.findByIdentity(method, subject);
  }

  findById(id: string): Promise<UserRow | undefined> {
    return this.users.findById(id);
  }

  listIdentities(userId: string): Promise<IdentityRow[]> {
    return this.users.listIdentities(userId);
  }

  /**
   * Links a proven identity to a logged-in user. Linking what the user already has is a no-op;
   * an identity of another user is refused (accounts are never merged implicitly). Linking a
   * method the user once removed lifts the removal.
   */
  async linkIdentity(userId: string, identity: NewIdentity, now: number): Promise<void> {
    const existing = await this.users.findIdentity(identity.method, identity.subject);
    if (existing?.user_id === userId) return;
    if (existing) throw new IdentityInUseError();
    try {
      await this.users.insertIdentity(userId, identity, now);
    } catch (error) {
      // Another request linked it between our read and write.
      if (isUniqueViolation(error)) throw new IdentityInUseError();
      throw error;
    }
    await this.users.clearRemoval(userId, identity);
    await this.audit?.record({ type: 'identity.linked', userId, method: identity.method });
  }

  /**
   * Removes one of the user's identities, never the last, so the account stays reachable. What
   * proved it goes with it (an email login's password, pending codes), and the removal is
   * remembered: a later login with it never reaches this account again (see recordLogin).
   * Returns what was removed.
   */
  async unlinkIdentity(userId: string, identityId: string, now: number): Promise<IdentityKey> {
    const outcome = await this.users.deleteIdentityUnlessLast(userId, identityId, now);
    if (outcome === 'missing') throw new NotFoundError('The identity');
    if (outcome === 'last') throw new LastIdentityError();
    await this.audit?.record({ type: 'identity.removed', userId, method: outcome.method });
    return outcome;
  }

  /**
   * Records a successful login of `identity` inside the caller's transaction: the existing user,
   * or the user that already owns `address` when the identity is verified, or a new user.
   * A user's address never changes once created.
   *
   * With the `precheck` of this login, the reads it made are not made again: a known user's
   * login is one update, a new user's two inserts. Should another request have created the
   * identity or taken the address since, an insert fails with a unique violation; the caller
   * then runs its transaction again without the precheck.
   */
  async recordLogin(
    identity: NewIdentity,
    login: { address: string; displayName?: string; mesiboUid: string; now: number },
    executor: Executor,
    precheck?: LoginPrecheck,
  ): Promise<LoginOutcome> {
    if (precheck?.known) {
      const known = precheck.known;
      if (await this.users.recordLogin(known, identity, login.mesiboUid, login.now, executor)) return { user: known, created: false };
    } else if (precheck && !precheck.addressOwner) {
      return this.createUser(identity, login, executor);
    }
    const known = await this.users.findByIdentity(identity.method, identity.subject, executor);
    if (known) {
      await this.users.recordLogin(known, identity, login.mesiboUid, login.now, executor);
      return { user: known, created: false };
    }
    const owner = await this.joinableOwner(identity, login.address, executor);
    if (owner) {
      await this.users.insertIdentity(owner.id, identity, login.now, executor);
      return { user: owner, created: false };
    }
    return this.createUser(identity, login, executor);
  }

  private async createUser(
    identity: NewIdentity,
    login: { address: string; displayName?: string; mesiboUid: string; now: number },
    executor: Executor,
  ): Promise<LoginOutcome> {
    const user = await this.users.insertUser(login, executor);
    await this.users.insertIdentity(user.id, identity, login.now, executor);
    return { user, created: true };
  }

  /**
   * The reads a login makes before mesibo is asked; throws what recordLogin would, so a refused
   * login is refused before a token is minted for the address.
   */
  async precheckLogin(identity: NewIdentity, address: string): Promise<LoginPrecheck> {
    const known = await this.users.findByIdentity(identity.method, identity.subject);
    if (known) return { known };
    return { addressOwner: await this.joinableOwner(identity, address, undefined) };
  }

  /**
   * Checks, before anything is issued, that a login of an identity no user has yet may go ahead:
   * throws what recordLogin would.
   */
  async assertMayJoin(identity: NewIdentity, address: string): Promise<void> {
    await this.joinableOwner(identity, address, undefined);
  }

  /**
   * The user an unknown identity joins through its address, or undefined for a new user. The
   * address is already a mesibo user of ours, so a verified proof of it is the same person, unless
   * that person removed this very method from the account: then it must not come back by itself.
   * An unproven identity never joins someone else's address.
   */
  private async joinableOwner(identity: NewIdentity, address: string, executor: Executor | undefined): Promise<UserRow | undefined> {
    if (!identity.verified && isCodeProvenAddress(address)) throw new AddressNotAllowedError();
    const owner = await this.users.findByAddress(address, executor);
    if (!owner) return undefined;
    if (!identity.verified) throw new IdentityInUseError();
    if (await this.users.wasRemovedBy(owner.id, identity, executor)) throw new IdentityRemovedError();
    return owner;
  }
}

/**
 * Addresses that phone and email logins prove with a code: all digits (a normalized phone number)
 * or anything with an `@`. An identity that proved no address may not take one (see AddressNotAllowedError).
 */
export function isCodeProvenAddress(address: string): boolean {
  return /^\d+$/.test(address) || address.includes('@');
}
