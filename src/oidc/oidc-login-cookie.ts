import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { BrowserBindingCookies } from '../auth/web-login/browser-binding-cookies';
import { otpConfig } from '../config';

/**
 * The cookie that binds an OpenID Connect / OAuth2 web login to its browser (see
 * BrowserBindingCookies). The provider sends the browser back with a redirect, so it is
 * SameSite=Lax. Its key comes from OTP_SECRET, which every instance shares.
 */
@Injectable()
export class OidcLoginCookies extends BrowserBindingCookies {
  constructor(@Inject(otpConfig.KEY) otp: Pick<ConfigType<typeof otpConfig>, 'secret'>) {
    super(otp.secret, { name: 'oidc', returnsBy: 'redirect' });
  }
}
