import { Injectable } from '@nestjs/common';
import { IdentityInUseError, LastIdentityError, NotFoundError } from '../common/errors';
import { isUniqueViolation } from '../common/infrastructure-errors';
import { IdentityRow, UserRow } from '../database/schema';
import { Executor, NewIdentity, UsersRepository } from './users.repository';

export interface LoginOutcome {
  user: UserRow;
  created: boolean;
}

/** Users and their identities, and the rules that tie one to the other. */
@Injectable()
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

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
   * an identity of another user is refused (accounts are never merged implicitly).
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
  }

  /** Removes one of the user's identities; never the last, so the account stays reachable. */
  async unlinkIdentity(userId: string, identityId: string, now: number): Promise<void> {
    const outcome = await this.users.deleteIdentityUnlessLast(userId, identityId, now);
    if (outcome === 'missing') throw new NotFoundError('The identity');
    if (outcome === 'last') throw new LastIdentityError();
  }

  /**
   * Records a successful login of `identity` inside the caller's transaction: the existing user,
   * or the user that already owns `address` when the identity is verified, or a new user.
   * A user's address never changes once created.
   */
  async recordLogin(
    identity: NewIdentity,
    login: { address: string; displayName?: string; mesiboUid: string; now: number },
    executor: Executor,
  ): Promise<LoginOutcome> {
    const known = await this.users.findByIdentity(identity.method, identity.subject, executor);
    if (known) {
      await this.users.recordLogin(known.id, identity, login.mesiboUid, login.now, executor);
      return { user: known, created: false };
    }
    // The address is already a mesibo user of ours; a verified proof of the same address is the same person.
    const owner = await this.users.findByAddress(login.address, executor);
    if (owner && identity.verified) {
      await this.users.insertIdentity(owner.id, identity, login.now, executor);
      return { user: owner, created: false };
    }
    // Never attach an unproven identity to someone else's address.
    if (owner) throw new IdentityInUseError();
    const user = await this.users.insertUser(login, executor);
    await this.users.insertIdentity(user.id, identity, login.now, executor);
    return { user, created: true };
  }
}
