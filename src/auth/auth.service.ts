import { Inject, Injectable, Logger } from '@nestjs/common';
import { AccountDisabledError, errorMessage } from '../common/errors';
import { isDisabled } from './account-disabled';
import { LoginEvents } from './login-events';
import { Clock } from '../common/clock';
import { DB, Db } from '../database/connection';
import { UserRow } from '../database/schema';
import { MesiboTokenService } from '../mesibo/mesibo-token.service';
import { LoginOutcome, LoginPrecheck, UsersService } from '../users/users.service';
import { isUniqueViolation } from '../common/infrastructure-errors';
import { SessionsService } from './sessions.service';
import { BeforeTokenHook } from '../hooks/before-token-hook';
import { WebhookEvents } from '../hooks/webhook-events';
import { QueryRunner } from '../database/prepared-query';
import { VerifiedIdentity } from './verified-identity';

export interface ClientInfo {
  appid: string;
  device?: string;
  /** The client's rate-limit key (requestClientKey), for the audit trail. */
  client?: string;
  /** A display name the app sent, used when the method proves none. */
  name?: string;
}

export interface CompletedLogin {
  user: UserRow;
  identity: VerifiedIdentity;
  /** The mesibo user access token; returned once, stored as a hash and encrypted for revocation. */
  token: string;
  expiresAt: Date;
  newUser: boolean;
}

/** The one path from a proven identity to a user, a session and a mesibo user token. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly mesiboTokens: MesiboTokenService,
    private readonly clock: Clock,
    private readonly events: LoginEvents,
    private readonly beforeToken: BeforeTokenHook,
    private readonly webhookEvents: WebhookEvents,
  ) {}

  /**
   * When anything fails after the identity was proven (mesibo, the database), a one-time proof
   * is put back, so the same code works for the retry: a code is used up only by a login.
   */
  async completeLogin(identity: VerifiedIdentity, client: ClientInfo): Promise<CompletedLogin> {
    try {
      const login = await this.issueAndRecord(identity, client);
      await this.events.succeeded(identity.method, login.user.id, client);
      return login;
    } catch (error) {
      await this.events.failed(identity.method, error, client);
      await identity.restoreProof?.().catch((restoreError: unknown) => {
        this.logger.warn(`Could not give back a one-time proof after a failed login: ${errorMessage(restoreError)}`);
      });
      throw error;
    }
  }

  private async issueAndRecord(identity: VerifiedIdentity, client: ClientInfo): Promise<CompletedLogin> {
    const proven = { method: identity.method, subject: identity.subject, verified: identity.verified };
    const precheck = await this.users.precheckLogin(proven, identity.address);
    if (isDisabled(precheck.known ?? precheck.addressOwner)) throw new AccountDisabledError();
    // The owner's hook, if any, may refuse, or choose a new user's address and the name.
    const reviewed = await this.beforeToken.review(identity, client, precheck);
    const address = precheck.known?.address ?? reviewed.address ?? identity.address;
    const name = reviewed.name ?? identity.displayName ?? client.name;

    // mesibo first: if it fails, nothing is written; if our write fails after it answered,
    // a retry simply asks mesibo again (useradd is idempotent per address).
    const issued = await this.mesiboTokens.issueUserToken({ address, appid: client.appid, name });

    const now = this.clock.nowMs();
    const record = (hint?: LoginPrecheck): Promise<LoginOutcome> =>
      this.db.transaction().execute(async (trx) => {
        const login = await this.users.recordLogin(proven, { address, displayName: name, mesiboUid: issued.uid, now }, trx, hint);
        await this.sessions.record(
          {
            userId: login.user.id,
            identity: { method: identity.method, subject: identity.subject },
            token: issued.token,
            appid: client.appid,
            device: client.device,
            now,
            expiresAt: issued.expiresAt.getTime(),
          },
          trx,
        );
        await this.recordWebhookEvents(login, identity.method, client.appid, trx);
        return login;
      });
    let outcome: LoginOutcome;
    try {
      outcome = await record(reviewed.precheck);
    } catch (error) {
      // A concurrent login created this identity or took the address since the precheck: decide again.
      if (!isUniqueViolation(error)) throw error;
      outcome = await record();
    }

    // Disabling ends the sessions it finds: one written while it happened is ended here instead.
    if (isDisabled(await this.users.findById(outcome.user.id))) {
      await this.sessions.end(issued.token);
      throw new AccountDisabledError();
    }
    return { user: outcome.user, identity, token: issued.token, expiresAt: issued.expiresAt, newUser: outcome.created };
  }

  /** The event webhook's events of this login, in its transaction: they exist exactly when it happened. */
  private async recordWebhookEvents(login: LoginOutcome, method: string, appId: string, trx: QueryRunner): Promise<void> {
    const userId = login.user.id;
    if (login.created) await this.webhookEvents.record('user.created', { userId, address: login.user.address, method, appId }, trx);
    await this.webhookEvents.record('login.succeeded', { userId, method, appId, newUser: login.created }, trx);
  }
}
