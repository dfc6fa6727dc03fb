import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { NextFunction, Response } from 'express';
import { clientKey, RequestWithClientKey } from '../common/client-key';
import { throttleConfig } from '../config';

/** Works out the client's rate-limit key once per request, for the throttler and every per-client limit. */
@Injectable()
export class ClientKeyMiddleware implements NestMiddleware {
  constructor(@Inject(throttleConfig.KEY) private readonly config: ConfigType<typeof throttleConfig>) {}

  use(req: RequestWithClientKey, _res: Response, next: NextFunction): void {
    req.clientKey = clientKey(req.ip, this.config.ipv6Prefix);
    next();
  }
}
