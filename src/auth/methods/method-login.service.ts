import { Injectable } from '@nestjs/common';
import { Request, Response } from 'express';
import { requestClientKey } from '../../common/client-key';
import { InvalidRequestError, NotFoundError } from '../../common/errors';
import { validateInput } from '../../common/validation';
import { AuthService, CompletedLogin } from '../auth.service';
import { PassportAuthenticator } from '../passport-authenticator';
import { VerifiedIdentity } from '../verified-identity';
import { LoginMethodRegistry } from './login-method.registry';

export interface MethodLoginInput {
  /** The request's fields: the method's credentials with `appid` and `device`. */
  fields: unknown;
  /** `refuse` on the REST surface; the op API's apps add fields of their own, so it drops them. */
  unknownFields: 'refuse' | 'strip';
  /** A display name the app sent (op API), used when the method proves none. */
  name?: string;
}

/**
 * A login by a registered method, for both surfaces: validate the fields by the method's DTO (so
 * bad input never reaches its server), prove the identity with its strategy, then the one token path.
 */
@Injectable()
export class MethodLoginService {
  constructor(
    private readonly registry: LoginMethodRegistry,
    private readonly authenticator: PassportAuthenticator,
    private readonly auth: AuthService,
  ) {}

  async login(methodName: string, input: MethodLoginInput, req: Request, res: Response): Promise<CompletedLogin> {
    const method = this.registry.find(methodName);
    if (!method) throw new NotFoundError('The login method');
    if (typeof input.fields !== 'object' || input.fields === null || Array.isArray(input.fields)) {
      throw new InvalidRequestError('The request body must be a JSON object.');
    }
    const body = await validateInput(method.body, input.fields, input.unknownFields);
    // Strategies read their credentials from the body, as Passport strategies do; the surface's
    // error filter reads the original body afterwards (the op API echoes its `op`).
    const original: unknown = req.body;
    req.body = body;
    let identity: VerifiedIdentity;
    try {
      identity = await this.authenticator.authenticate(method.strategy, req, res, method.name);
    } finally {
      req.body = original;
    }
    return this.auth.completeLogin(identity, { appid: body.appid, device: body.device, name: input.name, client: requestClientKey(req) });
  }
}
