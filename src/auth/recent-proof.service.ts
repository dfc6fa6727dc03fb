import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { InvalidRequestError, NotFoundError, RecentProofRequiredError } from '../common/errors';
import { sessionConfig } from '../config';
import { IdentityRow, SessionRow } from '../database/schema';
import { UsersService } from '../users/users.service';
import { EMAIL_METHOD, EmailLoginService } from './email/email-login.service';
import { PhoneLoginService, RequestedPhoneCode } from './phone-login.service';
import { AuthenticatedSession, SessionsService } from './sessions.service';

const PHONE_METHOD = 'phone';

/** A new proof of the account: its email login's password, or a code sent to one of its phones. */
export interface AccountProof {
  password?: string;
  otp?: string;
  /** Which of the account's phones got the code; the first one when absent. */
  phone?: string;
}

/** Who asks, for the send and wrong-try budgets of passwords and codes. */
export interface Requester {
  /** The client's rate-limit key (see common/client-key.ts), never the raw IP. */
  clientKey: string;
}

/**
 * Recent proof: changing how an account logs in (linking or removing a method) takes a session in
 * which the account was proven within RECENT_PROOF_SECONDS: by the login that opened it, or again
 * with `prove`. A stolen bearer token alone therefore cannot add the thief's own way back in.
 * The proofs are the account's own methods, checked by the services that log in with them.
 */
@Injectable()
export class RecentProofService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly phoneLogin: PhoneLoginService,
    private readonly emailLogin: EmailLoginService,
    private readonly clock: Clock,
    @Inject(sessionConfig.KEY) private readonly config: ConfigType<typeof sessionConfig>,
  ) {}

  /** When the last proof of this session stops counting as recent. */
  recentUntil(session: Pick<SessionRow, 'proven_at' | 'created_at'>): number {
    return Number(session.proven_at ?? session.created_at) + this.config.recentProofSeconds * 1000;
  }

  /** The one check: RecentProofRequiredError unless the session proved the account recently. */
  assertRecent(session: Pick<SessionRow, 'proven_at' | 'created_at'>): void {
    if (this.clock.nowMs() > this.recentUntil(session)) throw new RecentProofRequiredError();
  }

  /** Sends a code to one of the account's phones, for `prove` with `otp`. */
  async sendCode(current: AuthenticatedSession, rawPhone: string | undefined, requester: Requester): Promise<RequestedPhoneCode> {
    const phone = await this.accountPhone(current.user.id, rawPhone);
    return this.phoneLogin.requestCode(phone.subject, requester.clientKey);
  }

  /** Checks a password or a code of the account and records the proof; returns until when it counts. */
  async prove(current: AuthenticatedSession, proof: AccountProof, requester: Requester): Promise<Date> {
    const hasPassword = proof.password !== undefined;
    const hasCode = proof.otp !== undefined;
    if (hasPassword === hasCode) throw new InvalidRequestError('Send either password or otp.');
    if (hasPassword) {
      const email = await this.accountIdentity(current.user.id, EMAIL_METHOD, 'An email login of this account');
      await this.emailLogin.authenticate(email.subject, proof.password as string, requester.clientKey);
    } else {
      const phone = await this.accountPhone(current.user.id, proof.phone);
      await this.phoneLogin.verifyCode(phone.subject, proof.otp as string, requester.clientKey);
    }
    const provenAt = await this.sessions.markProven(current.session.id);
    return new Date(this.recentUntil({ proven_at: provenAt, created_at: provenAt }));
  }

  private async accountPhone(userId: string, rawPhone: string | undefined): Promise<IdentityRow> {
    const phones = (await this.users.listIdentities(userId)).filter((identity) => identity.method === PHONE_METHOD);
    const wanted = rawPhone === undefined ? undefined : this.phoneLogin.normalize(rawPhone);
    const phone = wanted === undefined ? phones[0] : phones.find((identity) => identity.subject === wanted);
    if (!phone) throw new NotFoundError('That phone login of this account');
    return phone;
  }

  private async accountIdentity(userId: string, method: string, what: string): Promise<IdentityRow> {
    const identity = (await this.users.listIdentities(userId)).find((candidate) => candidate.method === method);
    if (!identity) throw new NotFoundError(what);
    return identity;
  }
}
