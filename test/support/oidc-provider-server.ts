/**
 * A real OpenID Connect provider (oidc-provider 8) for the e2e tests, plus a plain OAuth2 provider
 * in GitHub's shape under /github. Run in a process of its own by oidc-provider-process.ts, since
 * oidc-provider is an ES module: `OIDC_TEST_PROVIDER` holds the TestProviderOptions as JSON. It
 * prints `listening <issuer>` when ready.
 *
 * Any login name works in the login form (devInteractions). Account `<login>` has the email
 * `<login>@example.com`, verified unless the login starts with `unverified`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import type { JWK } from 'jose';

export interface TestProviderOptions {
  /** The private signing key, a JWK with `kid`: the tests can sign tokens the provider would. */
  signingKey: JWK;
  /** A confidential web client: the service under test. */
  web: { clientId: string; clientSecret: string; redirectUris: string[] };
  /** A public native client: the mobile app, whose ID tokens the service accepts as an extra audience. */
  mobile: { clientId: string; redirectUri: string };
  /** The GitHub-like OAuth2 provider's one client and one user. */
  github: { clientId: string; clientSecret: string; redirectUri: string; user: Record<string, unknown> };
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env.OIDC_TEST_PROVIDER ?? '') as TestProviderOptions;
  // A dynamic import() survives compilation to CommonJS only with module node16 (see oidc-provider-process.ts).
  const { default: Provider } = await import('oidc-provider');

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.web.clientId,
        client_secret: options.web.clientSecret,
        redirect_uris: options.web.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
      {
        client_id: options.mobile.clientId,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: [options.mobile.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { methods: ['S256'], required: () => true },
    features: { devInteractions: { enabled: true } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, email: `${id}@example.com`, email_verified: !id.startsWith('unverified'), name: `User ${id}` }),
    }),
    jwks: { keys: [options.signingKey] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
  });

  const oidc = provider.callback();
  const github = githubLike(options.github);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/github/')) github(req, res);
    else oidc(req, res);
  });
  console.log(`listening ${issuer}`);
}

/** GitHub's OAuth app flow, as far as a login needs it: authorize (no screen), access_token, user. */
function githubLike(config: TestProviderOptions['github']): (req: IncomingMessage, res: ServerResponse) => void {
  const codes = new Map<string, { challenge?: string; redirectUri: string }>();
  const accessTokens = new Set<string>();
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://github.invalid');
    if (req.method === 'GET' && url.pathname === '/github/login/oauth/authorize') {
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      if (url.searchParams.get('client_id') !== config.clientId || redirectUri !== config.redirectUri) {
        json(res, 400, { error: 'redirect_uri_mismatch' });
        return;
      }
      const code = randomBytes(10).toString('hex');
      codes.set(code, { challenge: url.searchParams.get('code_challenge') ?? undefined, redirectUri });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/github/login/oauth/access_token') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const pkceOk = !grant?.challenge || createHash('sha256').update(verifier).digest('base64url') === grant.challenge;
        const clientOk = form.get('client_id') === config.clientId && form.get('client_secret') === config.clientSecret;
        if (!grant || !pkceOk || !clientOk || form.get('redirect_uri') !== grant.redirectUri) {
          // GitHub answers 200 with an error field.
          json(res, 200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
          return;
        }
        const accessToken = `gho_${randomBytes(12).toString('hex')}`;
        accessTokens.add(accessToken);
        json(res, 200, { access_token: accessToken, token_type: 'bearer', scope: 'read:user' });
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/github/user') {
      const token = /^(?:Bearer|token) (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!token || !accessTokens.has(token)) json(res, 401, { message: 'Bad credentials' });
      else json(res, 200, config.user);
      return;
    }
    json(res, 404, { message: 'Not Found' });
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
