import { registerAs } from '@nestjs/config';
import { IsString, IsUrl } from 'class-validator';
import { readEnv } from './env';

/** What the apps receive with a login: file URLs and the texts of the share/invite menu. */
class ClientEnv {
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  APP_UPLOAD_URL: string = 'https://s3.mesibo.com/api.php';

  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  APP_DOWNLOAD_URL: string = 'https://appimages.mesibo.com/';

  @IsString()
  APP_SHARE_TEXT: string = 'Let us chat on this messenger. Get it from https://mesibo.com/messenger';

  @IsString()
  APP_SHARE_SUBJECT: string = 'Messenger';

  @IsString()
  APP_SHARE_TITLE: string = 'Invite a friend via';
}

export interface ClientConfig {
  urls: { upload: string; download: string };
  share: { text: string; subject: string; title: string };
  /** iOS reads the invite text from its own field; it is the share text. */
  invite: string;
}

export function loadClientConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const vars = readEnv(ClientEnv, env);
  return {
    urls: { upload: vars.APP_UPLOAD_URL, download: vars.APP_DOWNLOAD_URL },
    share: { text: vars.APP_SHARE_TEXT, subject: vars.APP_SHARE_SUBJECT, title: vars.APP_SHARE_TITLE },
    invite: vars.APP_SHARE_TEXT,
  };
}

export const clientConfig = registerAs('client', () => loadClientConfig());
