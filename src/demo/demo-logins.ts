import { EmailConfig } from '../config/email.config';
import { OidcConfig } from '../config/oidc.config';
import { DEMO_PAGE_PATH } from '../http/security-headers';

/** What `/demo/config.json` tells the page: which logins to offer. Nothing in it is secret. */
export interface DemoLogins {
  /** Phone and one-time code is always on. */
  phone: true;
  email: boolean;
  oidc: {
    /** The names of OIDC_PROVIDERS, in their order. */
    providers: string[];
    /** The OIDC_RETURN_URLS that are a demo page: a web login may come back to the page at one of them. */
    returnUrls: string[];
  };
}

export function demoLogins(email: EmailConfig, oidc: OidcConfig): DemoLogins {
  return {
    phone: true,
    email: email.loginEnabled,
    oidc: {
      providers: oidc.providers.map((provider) => provider.name),
      returnUrls: oidc.returnUrls.filter((url) => new URL(url).pathname === DEMO_PAGE_PATH),
    },
  };
}
