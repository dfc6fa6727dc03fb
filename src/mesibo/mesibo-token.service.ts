import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { MesiboMisconfiguredError, MesiboRefusedError, errorMessage } from '../common/errors';
import { mesiboAccountsConfig } from '../config';
import { MesiboApiClient } from './mesibo-api.client';
import { MESIBO_SETTINGS, MesiboSettings } from './mesibo.settings';

export interface UserTokenRequest {
  /** The mesibo address of the user (phone digits, email, ...). */
  address: string;
  appid: string;
  name?: string;
}

export interface IssuedUserToken {
  uid: string;
  token: string;
  expiresAt: Date;
}

export interface UserTokenToRevoke {
  uid: string | null;
  address: string;
  token: string;
  appid: string;
}

/** A mesibo user to delete: by uid when we know it, with its address as well. */
export interface MesiboUserToDelete {
  uid: string | null;
  address: string;
}

/**
 * How deleting a user at mesibo went: `deleted` (or it was not there), `skipped` (the op is
 * `none`), `refused` (mesibo said no for good: trying again would not help) or `failed` (mesibo
 * could not be reached, or refused our App Token: worth trying again later).
 */
export type MesiboUserDeletion = 'deleted' | 'skipped' | 'refused' | 'failed';

/** mesibo's answer when the user does not exist: what a deletion wanted. */
const NO_SUCH_USER = 'NOUSER';

/** What mesibo made of the App Token: `unreachable` when it gave no answer that tells. */
export type AppTokenStatus = 'accepted' | 'refused' | 'unreachable';

/** The one place that asks mesibo for user access tokens and revokes them. */
@Injectable()
export class MesiboTokenService {
  private readonly logger = new Logger(MesiboTokenService.name);

  constructor(
    private readonly client: MesiboApiClient,
    private readonly clock: Clock,
    @Inject(MESIBO_SETTINGS) private readonly settings: MesiboSettings,
    @Optional() @Inject(mesiboAccountsConfig.KEY) private readonly accounts?: ConfigType<typeof mesiboAccountsConfig>,
  ) {}

  /** `useradd` creates the user on first call and mints a fresh token on every call. */
  async issueUserToken(request: UserTokenRequest): Promise<IssuedUserToken> {
    const expiry = this.settings.tokenExpiryMinutes;
    const reply = await this.client.call('useradd', {
      user: {
        address: request.address,
        ...(request.name ? { name: request.name } : {}),
        token: { appid: request.appid, expiry },
      },
    });
    const user = reply.user as { uid?: unknown; token?: unknown } | undefined;
    const uid = user?.uid;
    const token = user?.token;
    if ((typeof uid !== 'number' && typeof uid !== 'string') || typeof token !== 'string' || token === '') {
      this.logger.error('mesibo useradd answered OK without user.uid and user.token');
      throw new MesiboRefusedError('NOTOKEN');
    }
    return { uid: String(uid), token, expiresAt: new Date(this.clock.nowMs() + expiry * 60_000) };
  }

  /**
   * Asks mesibo whether it accepts the App Token, with a call that changes nothing: a `useradd`
   * without a user, which mesibo refuses as incomplete once the token passed (or with AUTHFAIL if
   * it did not). One attempt, no log lines: the caller (the health check) reports the outcome.
   */
  async checkAppToken(): Promise<AppTokenStatus> {
    try {
      await this.client.call('useradd', {}, { retries: 0, quiet: true });
      return 'accepted';
    } catch (error) {
      if (error instanceof MesiboMisconfiguredError) return 'refused';
      if (error instanceof MesiboRefusedError) return 'accepted';
      return 'unreachable';
    }
  }

  /** Best effort: a failure is logged and swallowed, since the session is already ended on our side. */
  async revokeUserToken(revoke: UserTokenToRevoke): Promise<void> {
    if (this.settings.tokenRevokeOp === 'none') return;
    try {
      await this.client.call(this.settings.tokenRevokeOp, {
        user: {
          ...(revoke.uid !== null ? { uid: revoke.uid } : {}),
          address: revoke.address,
          token: { appid: revoke.appid, token: revoke.token },
        },
      });
    } catch (error) {
      this.logger.warn(`Could not revoke a user token at mesibo: ${errorMessage(error)}`);
    }
  }

  /**
   * Deletes a user at mesibo (MESIBO_USER_DELETE_OP, `userdel` by default), with its tokens. Never
   * throws: the account is already gone here, and the caller keeps what `failed` for a later try.
   */
  async deleteUser(user: MesiboUserToDelete): Promise<MesiboUserDeletion> {
    const op = this.accounts?.userDeleteOp ?? 'userdel';
    if (op === 'none') return 'skipped';
    try {
      await this.client.call(op, { user: { ...(user.uid !== null ? { uid: user.uid } : {}), address: user.address } });
      return 'deleted';
    } catch (error) {
      if (error instanceof MesiboRefusedError) {
        if (error.mesiboError === NO_SUCH_USER) return 'deleted';
        this.logger.warn(`mesibo refused to delete a user (${error.mesiboError ?? 'no error given'}); check MESIBO_USER_DELETE_OP`);
        return 'refused';
      }
      this.logger.warn(`Could not delete a user at mesibo; it is tried again later: ${errorMessage(error)}`);
      return 'failed';
    }
  }
}
