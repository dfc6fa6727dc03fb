import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { BrowserBindingCookies } from '../../auth/web-login/browser-binding-cookies';
import { otpConfig } from '../../config';

/**
 * The cookie that binds a SAML login to the browser that started it (see BrowserBindingCookies),
 * named after the AuthnRequest ID. The identity provider's answer arrives as a cross-site form
 * POST, so over https the cookie is SameSite=None (and Secure, `__Host-`). Its key comes from
 * OTP_SECRET, which every instance shares.
 */
@Injectable()
export class SamlLoginCookies extends BrowserBindingCookies {
  constructor(@Inject(otpConfig.KEY) otp: Pick<ConfigType<typeof otpConfig>, 'secret'>) {
    super(otp.secret, { name: 'saml', returnsBy: 'form-post' });
  }
}
