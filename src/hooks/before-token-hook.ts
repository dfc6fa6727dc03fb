import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { AddressNotAllowedError, errorMessage, IdentityInUseError, LoginHookUnavailableError, LoginRefusedError } from '../common/errors';
import { BeforeTokenHookConfig, hooksConfig } from '../config/hooks.config';
import { isCodeProvenAddress, LoginPrecheck, UsersService } from '../users/users.service';
import { BeforeTokenDecision, parseBeforeTokenAnswer } from './before-token-answer';
import { keepAliveAgent, postSigned } from './signed-post';
import { newWebhookId } from './standard-webhooks';

/** The hook's answer is read up to this many bytes; a longer one counts as a failure. */
const MAX_ANSWER_BYTES = 16 * 1024;

/** What a login goes on with after the hook: the precheck for the address it will use, and the hook's choices. */
export interface ReviewedLogin {
  precheck: LoginPrecheck;
  /** For a new user only: the mesibo address the hook chose. */
  address?: string;
  name?: string;
}

/** The proven identity, as AuthService holds it (a VerifiedIdentity). */
export interface ProvenLogin {
  method: string;
  subject: string;
  address: string;
  displayName?: string;
  verified: boolean;
}

/** The app and device that asked (AuthService's ClientInfo). */
export interface LoginClient {
  appid: string;
  device?: string;
  name?: string;
}

class HookFailure extends Error {}

/**
 * The owner's before-token hook (BEFORE_TOKEN_HOOK_URL): asked, signed as Standard Webhooks asks,
 * with the proven identity after the account rules passed and before mesibo is asked for a token.
 * It may refuse the login with a message the user is shown, or choose a new user's mesibo address
 * and any user's display name. When it cannot be asked (down, no answer within
 * BEFORE_TOKEN_HOOK_TIMEOUT_MS, an answer that is not one), BEFORE_TOKEN_HOOK_FAILURE decides:
 * `closed` refuses the login (login_hook_unavailable), `open` lets it go on as if there were no hook.
 */
@Injectable()
export class BeforeTokenHook implements OnModuleDestroy {
  private readonly logger = new Logger('BeforeTokenHook');
  private readonly agent = keepAliveAgent();

  constructor(
    private readonly users: UsersService,
    private readonly clock: Clock,
    @Inject(hooksConfig.KEY) private readonly config: ConfigType<typeof hooksConfig>,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }

  /**
   * Asks the hook about a login whose `precheck` passed. Throws LoginRefusedError when it refuses.
   * An address it chooses is used only when the login makes a new user (an existing user's address
   * never changes, and an identity joining a user by its address gets that user's), under the
   * rules of every login: an unverified identity may not take an address proven by codes (a phone
   * number, an email), and no chosen address may belong to another user already (the hook names
   * addresses; it cannot merge accounts).
   */
  async review(identity: ProvenLogin, client: LoginClient, precheck: LoginPrecheck): Promise<ReviewedLogin> {
    const settings = this.config.beforeToken;
    if (!settings) return { precheck };
    const existing = precheck.known ?? precheck.addressOwner;
    const decision = await this.ask(settings, identity, client, existing?.id);
    if (!decision) return { precheck };
    if (!decision.allow) throw new LoginRefusedError(decision.message);

    if (existing || decision.address === undefined || decision.address === identity.address) return { precheck, name: decision.name };
    if (!identity.verified && isCodeProvenAddress(decision.address)) throw new AddressNotAllowedError();
    const proven = { method: identity.method, subject: identity.subject, verified: identity.verified };
    const chosen = await this.users.precheckLogin(proven, decision.address);
    if (chosen.known || chosen.addressOwner) throw new IdentityInUseError();
    return { precheck: chosen, address: decision.address, name: decision.name };
  }

  /** The hook's decision; undefined when it failed and failure is `open`. */
  private async ask(settings: BeforeTokenHookConfig, identity: ProvenLogin, client: LoginClient, userId: string | undefined): Promise<BeforeTokenDecision | undefined> {
    const now = this.clock.nowMs();
    const body = JSON.stringify({
      type: 'login.before-token',
      timestamp: new Date(now).toISOString(),
      data: {
        method: identity.method,
        subject: identity.subject,
        address: identity.address,
        displayName: identity.displayName ?? client.name ?? null,
        verified: identity.verified,
        appId: client.appid,
        device: client.device ?? null,
        newUser: userId === undefined,
        userId: userId ?? null,
      },
    });
    try {
      const answer = await postSigned(this.agent, {
        url: settings.url,
        key: settings.key,
        id: newWebhookId(),
        timestampSeconds: Math.floor(now / 1000),
        body,
        timeoutMs: settings.timeoutMs,
        maxAnswerBytes: MAX_ANSWER_BYTES,
      });
      if (answer.status < 200 || answer.status >= 300) throw new HookFailure(`it answered HTTP ${answer.status}`);
      if (answer.body === undefined) throw new HookFailure(`its answer is longer than ${MAX_ANSWER_BYTES} bytes`);
      const decision = parseBeforeTokenAnswer(answer.body);
      if (!decision) throw new HookFailure('its answer is not {"allow": true|false, ...} with valid fields');
      return decision;
    } catch (error) {
      const reason = error instanceof HookFailure ? error.message : errorMessage(error);
      if (settings.failure === 'open') {
        this.logger.warn(`Before-token hook failed (${reason}); the login goes on (BEFORE_TOKEN_HOOK_FAILURE=open)`);
        return undefined;
      }
      this.logger.error(`Before-token hook failed (${reason}); the login is refused (BEFORE_TOKEN_HOOK_FAILURE=closed)`);
      throw new LoginHookUnavailableError();
    }
  }
}
