import { All, Controller, Inject, Logger, Req, Res, UseFilters } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { Response } from 'express';
import { AccountDeletion } from '../accounts/account-deletion.service';
import { AuthService, CompletedLogin } from '../auth/auth.service';
import { PassportAuthenticator } from '../auth/passport-authenticator';
import { PhoneLoginService } from '../auth/phone-login.service';
import { RecentProofService } from '../auth/recent-proof.service';
import { SessionsService } from '../auth/sessions.service';
import { PHONE_OTP_STRATEGY } from '../auth/strategies/phone-otp.strategy';
import { MethodLoginService } from '../auth/methods/method-login.service';
import { requestClientKey } from '../common/client-key';
import { Clock } from '../common/clock';
import { errorMessage, InvalidPhoneError, InvalidRequestError, InvalidTokenError, MissingAppIdError, NotFoundError } from '../common/errors';
import { assertOriginMaySendCodes } from '../common/send-origin.guard';
import { appConfig, clientConfig } from '../config';
import { LegacyRequest } from './legacy-body.parser';
import { API_DOCS_PATH } from '../http/security-headers';
import { failReply, LegacyReply, okReply } from './legacy-envelope';
import { LegacyExceptionFilter, sendLegacy } from './legacy-exception.filter';
import { LegacyCall, readLegacyCall } from './legacy-fields';

/**
 * The method of an op API login: `method` when the app names one; else email when it sends email or
 * password (as the released apps do), else phone.
 */
function loginMethodOf(fields: Record<string, string>): string {
  if (fields.method) return fields.method.toLowerCase();
  return fields.email !== undefined || fields.password !== undefined ? 'email' : 'phone';
}

/** A plain GET with no parameters from something that prefers HTML to JSON: a person with a browser, not an app. */
function isBrowserVisit(req: LegacyRequest): boolean {
  return req.method === 'GET' && Object.keys(req.query ?? {}).length === 0 && req.accepts(['json', 'html']) === 'html';
}

/** Ops that change something; the others (unsupported, BADOP) are answered on any method. */
const SIDE_EFFECT_OPS = new Set(['login', 'logout', 'deleteaccount']);

/**
 * `POST /`: the op API of the original PHP backend, which the released Android, iOS and web
 * apps call. It parses, dispatches and shapes replies; the rules live in the services below.
 */
@ApiExcludeController()
@Controller()
@UseFilters(LegacyExceptionFilter)
export class LegacyController {
  private readonly logger = new Logger('LegacyApi');

  constructor(
    private readonly phoneLogin: PhoneLoginService,
    private readonly authenticator: PassportAuthenticator,
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly methodLogin: MethodLoginService,
    private readonly recentProof: RecentProofService,
    private readonly accountDeletion: AccountDeletion,
    private readonly clock: Clock,
    @Inject(clientConfig.KEY) private readonly client: ConfigType<typeof clientConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  // GET too: the old PHP read query parameters, and old web builds called it that way.
  @All('/')
  async dispatch(@Req() req: LegacyRequest, @Res() res: Response): Promise<void> {
    // Someone opened the service's address in a browser: show them the API, not an op API error.
    if (this.app.apiDocs && isBrowserVisit(req)) return res.redirect(302, API_DOCS_PATH + '/');
    const call = readLegacyCall(req);
    sendLegacy(res, await this.run(call, req, res));
  }

  private async run(call: LegacyCall, req: LegacyRequest, res: Response): Promise<LegacyReply> {
    // No app logs in or out with GET; a GET (an image tag, a link) must not send a code or end a session.
    if (req.method !== 'POST' && SIDE_EFFECT_OPS.has(call.op)) {
      throw new InvalidRequestError(`Send op ${call.op} with POST.`);
    }
    switch (call.op) {
      case 'login':
        return this.login(call, req, res);
      case 'logout':
        return this.logout(call);
      case 'deleteaccount':
        return this.deleteAccount(call);
      default:
        return failReply(call.op, this.clock.nowMs(), 'BADOP', 'This operation is not supported.');
    }
  }

  private async login(call: LegacyCall, req: LegacyRequest, res: Response): Promise<LegacyReply> {
    const { fields } = call;
    if (!fields.appid) throw new MissingAppIdError();
    const method = loginMethodOf(fields);
    if (method === 'phone') return this.loginByPhone(call, req, res);
    const { op, ...rest } = fields;
    const login = await this.methodLogin.login(method, { fields: rest, unknownFields: 'strip', name: fields.name || undefined }, req, res);
    return this.loginReply(op, login);
  }

  private async loginByPhone({ op, fields }: LegacyCall, req: LegacyRequest, res: Response): Promise<LegacyReply> {
    if (!fields.phone) throw new InvalidPhoneError();
    // Builds before 2021 sent the code as `code`.
    const otp = fields.otp || fields.code;
    if (!otp) {
      assertOriginMaySendCodes(req.headers.origin, this.app);
      await this.phoneLogin.requestCode(fields.phone, requestClientKey(req));
      return okReply(op, this.clock.nowMs());
    }

    // The strategy reads its credentials from the body, as Passport strategies do.
    req.body = { ...fields, otp };
    const identity = await this.authenticator.authenticate(PHONE_OTP_STRATEGY, req, res, 'phone');
    const login = await this.auth.completeLogin(identity, {
      client: requestClientKey(req),
      appid: fields.appid,
      device: fields.device || undefined,
      name: fields.name || undefined,
    });
    return this.loginReply(op, login);
  }

  private loginReply(op: string, login: CompletedLogin): LegacyReply {
    const { identity } = login;
    return okReply(op, this.clock.nowMs(), {
      token: login.token,
      // The apps keep this as the user's own address: the number for phone logins, else the mesibo address.
      phone: identity.method === 'phone' ? identity.subject : login.user.address,
      urls: this.client.urls,
      // Android crashes on its Share menu if `share` was never received.
      share: this.client.share,
      invite: this.client.invite,
    });
  }

  /**
   * Deletes the account of `token`, as `DELETE /v1/me` does. The op API has no way to prove the
   * account again, so the session must be a recent login (RECENT_PROOF_SECONDS): REAUTHREQUIRED
   * otherwise, and the app logs in again first. An unknown or ended token is AUTHFAIL, which signs
   * the apps out: right for an account that is gone.
   */
  private async deleteAccount({ op, fields }: LegacyCall): Promise<LegacyReply> {
    if (!fields.token) throw new InvalidTokenError();
    const { user, session } = await this.sessions.authenticate(fields.token);
    this.recentProof.assertRecent(session);
    try {
      await this.accountDeletion.deleteUser(user.id, 'self');
    } catch (error) {
      // Another request deleted it first.
      if (error instanceof NotFoundError) throw new InvalidTokenError();
      throw error;
    }
    return okReply(op, this.clock.nowMs());
  }

  /** Always OK, even for an unknown token: Android only signs out locally on OK. */
  private async logout({ op, fields }: LegacyCall): Promise<LegacyReply> {
    if (fields.token) {
      try {
        await this.sessions.end(fields.token);
      } catch (error) {
        this.logger.error(`Logout could not end the session: ${errorMessage(error)}`);
      }
    }
    return okReply(op, this.clock.nowMs());
  }
}
