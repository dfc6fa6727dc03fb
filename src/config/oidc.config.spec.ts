import { ConfigError } from './env';
import { loadOidcConfig } from './oidc.config';

const BASE = { OIDC_CALLBACK_BASE_URL: 'https://login.example.com/' };
const CORP = { OIDC_CORP_ISSUER: 'https://idp.example.com/', OIDC_CORP_CLIENT_ID: 'backend', OIDC_CORP_CLIENT_SECRET: 's3cret' };
const GITHUB = {
  OIDC_GITHUB_TYPE: 'oauth2',
  OIDC_GITHUB_CLIENT_ID: 'gh-id',
  OIDC_GITHUB_CLIENT_SECRET: 'gh-secret',
  OIDC_GITHUB_AUTHORIZATION_URL: 'https://github.com/login/oauth/authorize',
  OIDC_GITHUB_TOKEN_URL: 'https://github.com/login/oauth/access_token',
  OIDC_GITHUB_USERINFO_URL: 'https://api.github.com/user',
};

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    loadOidcConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('oidc configuration', () => {
  it('is off without OIDC_PROVIDERS, and then needs nothing else', () => {
    expect(loadOidcConfig({})).toEqual({ providers: [], callbackBaseUrl: undefined, returnUrls: [] });
    expect(loadOidcConfig({ OIDC_PROVIDERS: '', OIDC_CORP_ISSUER: 'not a url' }).providers).toEqual([]);
  });

  it('reads an OpenID Connect provider with its defaults', () => {
    const config = loadOidcConfig({ OIDC_PROVIDERS: 'corp', ...BASE, ...CORP });

    expect(config.callbackBaseUrl).toBe('https://login.example.com');
    expect(config.providers).toEqual([
      {
        name: 'corp',
        type: 'oidc',
        issuer: 'https://idp.example.com',
        clientId: 'backend',
        clientSecret: 's3cret',
        scopes: ['openid', 'email', 'profile'],
        audiences: [],
        emailAsAddress: false,
        requireNonce: true,
        idTokenMaxAgeSeconds: 600,
      },
    ]);
  });

  it('reads the nonce opt-out and the ID token age limit of a provider', () => {
    const [corp] = loadOidcConfig({
      OIDC_PROVIDERS: 'corp',
      ...BASE,
      ...CORP,
      OIDC_CORP_REQUIRE_NONCE: 'false',
      OIDC_CORP_ID_TOKEN_MAX_AGE_SECONDS: '3600',
    }).providers;
    expect(corp).toMatchObject({ requireNonce: false, idTokenMaxAgeSeconds: 3600 });

    const [required] = loadOidcConfig({ OIDC_PROVIDERS: 'corp', ...BASE, ...CORP, OIDC_CORP_REQUIRE_NONCE: 'true' }).providers;
    expect(required).toMatchObject({ requireNonce: true });
  });

  it('reads scopes, extra audiences and EMAIL_AS_ADDRESS; names are case-insensitive', () => {
    const [corp] = loadOidcConfig({
      OIDC_PROVIDERS: ' Corp ',
      ...BASE,
      ...CORP,
      OIDC_CORP_SCOPES: 'openid email',
      OIDC_CORP_AUDIENCES: 'android-client, ios-client',
      OIDC_CORP_EMAIL_AS_ADDRESS: 'true',
    }).providers;

    expect(corp).toMatchObject({ name: 'corp', scopes: ['openid', 'email'], audiences: ['android-client', 'ios-client'], emailAsAddress: true });
  });

  it('reads a plain OAuth2 provider with its field defaults', () => {
    const config = loadOidcConfig({ OIDC_PROVIDERS: 'corp,github', ...BASE, ...CORP, ...GITHUB, OIDC_GITHUB_SCOPES: 'read:user user:email' });

    expect(config.providers.map((provider) => provider.name)).toEqual(['corp', 'github']);
    expect(config.providers[1]).toEqual({
      name: 'github',
      type: 'oauth2',
      clientId: 'gh-id',
      clientSecret: 'gh-secret',
      scopes: ['read:user', 'user:email'],
      emailAsAddress: false,
      authorizationUrl: 'https://github.com/login/oauth/authorize',
      tokenUrl: 'https://github.com/login/oauth/access_token',
      userinfoUrl: 'https://api.github.com/user',
      fields: { subject: 'id', email: 'email', name: 'name' },
    });
  });

  it('reads the allowed return URLs, app schemes included', () => {
    expect(
      loadOidcConfig({ OIDC_RETURN_URLS: 'https://chat.example.com/done, com.example.chat:/login' }).returnUrls,
    ).toEqual(['https://chat.example.com/done', 'com.example.chat:/login']);
  });

  it('ignores the settings of providers that are not listed', () => {
    expect(loadOidcConfig({ OIDC_PROVIDERS: 'corp', ...BASE, ...CORP, OIDC_OTHER_TYPE: 'saml' }).providers).toHaveLength(1);
  });

  describe('refuses, naming the variable', () => {
    it.each<[string, NodeJS.ProcessEnv, string]>([
      ['a provider without OIDC_CALLBACK_BASE_URL', { OIDC_PROVIDERS: 'corp', ...CORP }, 'OIDC_CALLBACK_BASE_URL'],
      ['a bad OIDC_CALLBACK_BASE_URL', { OIDC_PROVIDERS: 'corp', ...CORP, OIDC_CALLBACK_BASE_URL: 'login.example.com' }, 'OIDC_CALLBACK_BASE_URL'],
      ['a missing issuer', { OIDC_PROVIDERS: 'corp', ...BASE, ...CORP, OIDC_CORP_ISSUER: '' }, 'OIDC_CORP_ISSUER'],
      ['a missing client id', { OIDC_PROVIDERS: 'corp', ...BASE, ...CORP, OIDC_CORP_CLIENT_ID: undefined }, 'OIDC_CORP_CLIENT_ID'],
      ['a missing client secret', { OIDC_PROVIDERS: 'corp', ...BASE, ...CORP, OIDC_CORP_CLIENT_SECRET: '' }, 'OIDC_CORP_CLIENT_SECRET'],
      ['an unknown type', { OIDC_PROVIDERS: 'corp', ...BASE, ...CORP, OIDC_CORP_TYPE: 'saml' }, 'OIDC_CORP_TYPE'],
      ['scopes without openid', { OIDC_PROVIDERS: 'corp', ...BASE, ...CORP, OIDC_CORP_SCOPES: 'email' }, 'OIDC_CORP_SCOPES'],
      ['EMAIL_AS_ADDRESS=yes', { OIDC_PROVIDERS: 'corp', ...BASE, ...CORP, OIDC_CORP_EMAIL_AS_ADDRESS: 'yes' }, 'OIDC_CORP_EMAIL_AS_ADDRESS'],
      ['REQUIRE_NONCE=no', { OIDC_PROVIDERS: 'corp', ...BASE, ...CORP, OIDC_CORP_REQUIRE_NONCE: 'no' }, 'OIDC_CORP_REQUIRE_NONCE'],
      ['an ID token age limit under a minute', { OIDC_PROVIDERS: 'corp', ...BASE, ...CORP, OIDC_CORP_ID_TOKEN_MAX_AGE_SECONDS: '30' }, 'OIDC_CORP_ID_TOKEN_MAX_AGE_SECONDS'],
      ['an ID token age limit that is not a number', { OIDC_PROVIDERS: 'corp', ...BASE, ...CORP, OIDC_CORP_ID_TOKEN_MAX_AGE_SECONDS: '10m' }, 'OIDC_CORP_ID_TOKEN_MAX_AGE_SECONDS'],
      ['oauth2 without a token URL', { OIDC_PROVIDERS: 'github', ...BASE, ...GITHUB, OIDC_GITHUB_TOKEN_URL: '' }, 'OIDC_GITHUB_TOKEN_URL'],
      ['oauth2 with a bad field', { OIDC_PROVIDERS: 'github', ...BASE, ...GITHUB, OIDC_GITHUB_SUBJECT_FIELD: 'a b' }, 'OIDC_GITHUB_SUBJECT_FIELD'],
      ['a provider name that cannot be a variable', { OIDC_PROVIDERS: 'my-idp', ...BASE }, 'OIDC_PROVIDERS'],
      ['a provider listed twice', { OIDC_PROVIDERS: 'corp,CORP', ...BASE, ...CORP }, 'OIDC_PROVIDERS'],
      ['a return URL with a fragment', { OIDC_RETURN_URLS: 'https://chat.example.com/#done' }, 'OIDC_RETURN_URLS'],
      ['a return URL that is not absolute', { OIDC_RETURN_URLS: '/done' }, 'OIDC_RETURN_URLS'],
      ['a javascript: return URL', { OIDC_RETURN_URLS: 'javascript:alert(1)' }, 'OIDC_RETURN_URLS'],
    ])('%s', (_label, env, variable) => {
      expect(refusal(env)).toContain(variable);
    });

    it('lists every problem of a provider at once', () => {
      const message = refusal({ OIDC_PROVIDERS: 'corp', ...BASE });
      expect(message).toContain('OIDC_CORP_ISSUER');
      expect(message).toContain('OIDC_CORP_CLIENT_ID');
      expect(message).toContain('OIDC_CORP_CLIENT_SECRET');
    });

    it('never shows the client secret', () => {
      expect(refusal({ OIDC_PROVIDERS: 'corp', ...BASE, ...CORP, OIDC_CORP_ISSUER: 'nope' })).not.toContain('s3cret');
    });
  });
});
