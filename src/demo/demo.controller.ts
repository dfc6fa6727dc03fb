import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { NotFoundError } from '../common/errors';
import { emailConfig, oidcConfig } from '../config';
import { demoConfig } from '../config/demo.config';
import { DEMO_PAGE_PATH } from '../http/security-headers';
import { DemoLogins, demoLogins } from './demo-logins';
import { DEMO_HTML } from './page/demo-html';
import { DEMO_SCRIPT } from './page/demo-script';
import { DEMO_STYLE } from './page/demo-style';

/**
 * The demo login page (`/demo`), its script and stylesheet, and `/demo/config.json`, the logins it
 * offers. With DEMO_PAGE off (the default in production) each of them answers 404 like an unknown path.
 */
@ApiExcludeController()
@Controller(DEMO_PAGE_PATH.slice(1))
export class DemoController {
  constructor(
    @Inject(demoConfig.KEY) private readonly demo: ConfigType<typeof demoConfig>,
    @Inject(emailConfig.KEY) private readonly email: ConfigType<typeof emailConfig>,
    @Inject(oidcConfig.KEY) private readonly oidc: ConfigType<typeof oidcConfig>,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return this.served(DEMO_HTML);
  }

  @Get('demo.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  script(): string {
    return this.served(DEMO_SCRIPT);
  }

  @Get('demo.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  style(): string {
    return this.served(DEMO_STYLE);
  }

  @Get('config.json')
  logins(): DemoLogins {
    return this.served(demoLogins(this.email, this.oidc));
  }

  private served<T>(content: T): T {
    if (!this.demo.pageEnabled) throw new NotFoundError('This path');
    return content;
  }
}
