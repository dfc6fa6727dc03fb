import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { normalizePhone } from '../common/phone-number';
import { appConfig } from '../config';
import { IssuedCode, OtpService } from '../otp/otp.service';
import { TestNumbers } from '../otp/test-numbers';
import { VerifiedIdentity } from './verified-identity';

export interface RequestedPhoneCode extends IssuedCode {
  phone: string;
}

/** Phone login: a code is sent to the number, and receiving it proves the number. */
@Injectable()
export class PhoneLoginService {
  constructor(
    private readonly otp: OtpService,
    private readonly testNumbers: TestNumbers,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /** E.164 digits; a listed test number as it is written, though no real number has its digits. */
  normalize(rawPhone: string): string {
    return this.testNumbers.match(rawPhone) ?? normalizePhone(rawPhone, this.app.phoneDefaultRegion);
  }

  /** `requester` is the client's IP: it limits how many numbers one client can have codes sent to. */
  async requestCode(rawPhone: string, requester?: string): Promise<RequestedPhoneCode> {
    const phone = this.normalize(rawPhone);
    return { phone, ...(await this.otp.issue('sms', phone, requester)) };
  }

  /** `client` is the caller's address key: it has a wrong-code budget of its own against the number. */
  async verifyCode(rawPhone: string, code: string, client?: string): Promise<VerifiedIdentity> {
    const phone = this.normalize(rawPhone);
    const redeemed = await this.otp.verify('sms', phone, code, client);
    return { method: 'phone', subject: phone, address: phone, verified: true, restoreProof: () => redeemed.restore() };
  }
}
