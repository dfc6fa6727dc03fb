import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Request } from 'express';
import { Strategy } from 'passport-custom';
import { requestClientKey } from '../../common/client-key';
import { InvalidRequestError } from '../../common/errors';
import { PhoneLoginService } from '../phone-login.service';
import { VerifiedIdentity } from '../verified-identity';

export const PHONE_OTP_STRATEGY = 'phone-otp';

/** Proves a phone number by the one-time code sent to it: body fields `phone` and `otp`. */
@Injectable()
export class PhoneOtpStrategy extends PassportStrategy(Strategy, PHONE_OTP_STRATEGY) {
  constructor(private readonly phoneLogin: PhoneLoginService) {
    super();
  }

  validate(req: Request): Promise<VerifiedIdentity> {
    const { phone, otp } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof phone !== 'string' || typeof otp !== 'string') {
      throw new InvalidRequestError('phone and otp must be strings');
    }
    return this.phoneLogin.verifyCode(phone, otp, requestClientKey(req));
  }
}
