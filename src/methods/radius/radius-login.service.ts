import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { VerifiedIdentity } from '../../auth/verified-identity';
import { Clock } from '../../common/clock';
import { InvalidCredentialsError, LoginChallengeError, LoginMethodUnavailableError } from '../../common/errors';
import { passwordConfig } from '../../config';
import { CounterStore } from '../../database/counter-store';
import { FailureBudget, FailureClaim, passwordFailureBudget } from '../../limits/failure-budget';
import { RadiusLoginDto } from './dto/radius-login.dto';
import { RadiusAnswer, RadiusClient, RadiusCredentials, RadiusUnavailableError } from './radius-client';
import { RadiusChallengeStates, sealedStateKey } from './radius-challenge-states';
import { challengePrompt, radiusIdentity } from './radius-identity';
import { ACCESS_ACCEPT, ACCESS_CHALLENGE, ACCESS_REJECT, attributeValues } from './radius-packet';
import { RadiusServerAddress, radiusSettings } from './radius.settings';

const WRONG_PASSWORD = 'Wrong username or password.';
const WRONG_ANSWER = 'The code is not correct, or the challenge has expired. Log in again.';

/** One request to the servers: what to send, and to whom. */
interface Attempt {
  credentials: RadiusCredentials;
  servers: readonly RadiusServerAddress[];
  /** Puts back what the attempt used up besides its failure unit (an answered challenge). */
  release(): Promise<void>;
}

/**
 * RADIUS logins: a password, then, when the server asks, the answer to its challenge. Each try of
 * either step first claims a unit of the wrong-password budgets of the user name and of the
 * client (the same limits as email logins: PASSWORD_MAX_FAILURES_*), so a burst cannot get more
 * guesses to the servers than they allow. An accepted password or answer, a challenge (the
 * password was right), and a try no server answered give the unit back.
 */
@Injectable()
export class RadiusLoginService {
  private readonly logger = new Logger('RadiusLogin');
  private readonly failures: FailureBudget;

  constructor(
    @Inject(radiusSettings.KEY) private readonly settings: ConfigType<typeof radiusSettings>,
    private readonly client: RadiusClient,
    private readonly states: RadiusChallengeStates,
    private readonly counters: CounterStore,
    private readonly clock: Clock,
    @Inject(passwordConfig.KEY) password: ConfigType<typeof passwordConfig>,
  ) {
    this.failures = passwordFailureBudget(counters, clock, password, 'radius-failures');
  }

  async authenticate(login: RadiusLoginDto, client: string): Promise<VerifiedIdentity> {
    const claim = await this.failures.claim(budgetSubject(login.username), client);
    const attempt = login.state === undefined ? this.firstStep(login.username, login.password ?? '') : await this.answerStep(login);
    let answer: RadiusAnswer;
    try {
      answer = await this.client.authenticate(attempt.credentials, attempt.servers);
    } catch (error) {
      if (!(error instanceof RadiusUnavailableError)) throw error;
      await Promise.all([claim.refund(), attempt.release()]);
      throw new LoginMethodUnavailableError();
    }
    switch (answer.reply.code) {
      case ACCESS_ACCEPT:
        return this.accepted(login.username, answer, claim);
      case ACCESS_CHALLENGE:
        return this.challenged(login.username, answer, claim);
      case ACCESS_REJECT:
        throw new InvalidCredentialsError(login.state === undefined ? WRONG_PASSWORD : WRONG_ANSWER);
    }
  }

  private firstStep(username: string, password: string): Attempt {
    return { credentials: { username, password }, servers: this.settings.servers, release: () => Promise.resolve() };
  }

  /**
   * The answer to a challenge goes to the server that asked, with its State. The state must have
   * been sealed for this user name and not have expired, and it is answered once.
   */
  private async answerStep(login: RadiusLoginDto): Promise<Attempt> {
    const sealed = login.state ?? '';
    const now = this.clock.nowMs();
    const challenge = this.states.open(login.username, sealed, now);
    const server = challenge && this.settings.servers.find((candidate) => candidate.label === challenge.server);
    if (!challenge || !server) throw new InvalidCredentialsError(WRONG_ANSWER);
    const useKey = `radius-challenge-used:${sealedStateKey(sealed)}`;
    const use = await this.counters.take(useKey, 1, Math.ceil((challenge.expiresAtMs - now) / 1000));
    if (!use.granted) throw new InvalidCredentialsError(WRONG_ANSWER);
    return {
      credentials: { username: login.username, password: login.response ?? '', state: challenge.radiusState },
      servers: [server],
      release: () => this.counters.refund(useKey),
    };
  }

  private async accepted(username: string, answer: RadiusAnswer, claim: FailureClaim): Promise<VerifiedIdentity> {
    await claim.refund();
    const identity = radiusIdentity(username, answer.reply, this.settings);
    if (typeof identity === 'string') {
      this.logger.error(`RADIUS server ${answer.server.label} accepted a login, but ${identity}`);
      throw new LoginMethodUnavailableError();
    }
    return identity;
  }

  private async challenged(username: string, answer: RadiusAnswer, claim: FailureClaim): Promise<never> {
    await claim.refund();
    const [radiusState] = attributeValues(answer.reply, 'State');
    if (!radiusState || radiusState.length === 0) {
      this.logger.error(`RADIUS server ${answer.server.label} sent an Access-Challenge without a State; it cannot be answered`);
      throw new LoginMethodUnavailableError();
    }
    const expiresAtMs = this.clock.nowMs() + this.settings.challengeTtlSeconds * 1000;
    const state = this.states.seal(username, { radiusState, server: answer.server.label, expiresAtMs });
    throw new LoginChallengeError(state, challengePrompt(answer.reply));
  }
}

/**
 * The budget's key for a user name: case-folded, since many RADIUS back ends ignore case (so `Ada`
 * and `ada` share one budget), and hashed, so keys stay short and hold no user names.
 */
function budgetSubject(username: string): string {
  return createHash('sha256').update(username.normalize('NFC').toLowerCase(), 'utf8').digest('base64url');
}
