import { registerAs } from '@nestjs/config';
import { plainToInstance, Type } from 'class-transformer';
import { IsBooleanString, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, ValidateIf, validateSync } from 'class-validator';
import { ConfigError, readEnv, splitList } from './env';

const HTTP_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
/** A field of the userinfo JSON, dotted for nested ones: `id`, `data.id`. */
const FIELD_PATH = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;
const PROVIDER_NAME = /^[a-z][a-z0-9_]{0,31}$/;
const DEFAULT_SCOPES = 'openid email profile';
/** An app sends the ID token it just got from the SDK; one issued longer ago is not a fresh login. */
const DEFAULT_ID_TOKEN_MAX_AGE_SECONDS = 600;

/** The settings shared by every provider. The per-provider ones have dynamic names: see ProviderEnv. */
class OidcEnv {
  /** Comma-separated provider names, e.g. `google,corp,github`; empty turns the feature off. */
  @IsOptional()
  @IsString()
  OIDC_PROVIDERS?: string;

  /** The public base URL of this service; the callback of provider `x` is `<base>/v1/auth/oidc/x/callback`. */
  @IsOptional()
  @IsUrl(HTTP_URL, { message: 'OIDC_CALLBACK_BASE_URL must be the public http(s) URL of this service' })
  OIDC_CALLBACK_BASE_URL?: string;

  /** Comma-separated URLs the web flow may return to; `return_to` must be one of them exactly. */
  @IsOptional()
  @IsString()
  OIDC_RETURN_URLS?: string;
}

/**
 * The settings of one provider, by their name after the `OIDC_<NAME>_` prefix. Validated like
 * `readEnv` does, then the messages are given the full variable name.
 */
class ProviderEnv {
  @IsIn(['oidc', 'oauth2'], { message: '$property must be oidc or oauth2' })
  TYPE: string = 'oidc';

  @ValidateIf((env: ProviderEnv) => env.TYPE === 'oidc')
  @IsUrl(HTTP_URL, { message: '$property must be set to the http(s) URL of the issuer' })
  ISSUER?: string;

  @IsString({ message: '$property must be set' })
  CLIENT_ID!: string;

  @IsString({ message: '$property must be set' })
  CLIENT_SECRET!: string;

  @IsOptional()
  @IsString()
  SCOPES?: string;

  @IsOptional()
  @IsString()
  AUDIENCES?: string;

  @IsOptional()
  @IsBooleanString({ message: '$property must be true or false' })
  EMAIL_AS_ADDRESS?: string;

  @IsOptional()
  @IsBooleanString({ message: '$property must be true or false' })
  REQUIRE_NONCE?: string;

  @Type(() => Number)
  @IsInt({ message: '$property must be a whole number of seconds' })
  @Min(60, { message: '$property must be at least 60 (seconds)' })
  @Max(86400, { message: '$property must be at most 86400 (a day)' })
  ID_TOKEN_MAX_AGE_SECONDS: number = DEFAULT_ID_TOKEN_MAX_AGE_SECONDS;

  @ValidateIf((env: ProviderEnv) => env.TYPE === 'oauth2')
  @IsUrl(HTTP_URL, { message: '$property must be set to an http(s) URL when the type is oauth2' })
  AUTHORIZATION_URL?: string;

  @ValidateIf((env: ProviderEnv) => env.TYPE === 'oauth2')
  @IsUrl(HTTP_URL, { message: '$property must be set to an http(s) URL when the type is oauth2' })
  TOKEN_URL?: string;

  @ValidateIf((env: ProviderEnv) => env.TYPE === 'oauth2')
  @IsUrl(HTTP_URL, { message: '$property must be set to an http(s) URL when the type is oauth2' })
  USERINFO_URL?: string;

  @Matches(FIELD_PATH, { message: '$property must be a field name such as id or data.id' })
  SUBJECT_FIELD: string = 'id';

  @Matches(FIELD_PATH, { message: '$property must be a field name such as email' })
  EMAIL_FIELD: string = 'email';

  @Matches(FIELD_PATH, { message: '$property must be a field name such as name' })
  NAME_FIELD: string = 'name';
}


interface ProviderCommon {
  /** Lowercase; in URLs (`/v1/auth/oidc/<name>`), the login method (`oidc:<name>`) and fallback addresses. */
  name: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  /** Give NEW users the provider's verified email as mesibo address (else `<name>:<subject>`). */
  emailAsAddress: boolean;
}

/** An OpenID Connect provider, configured by discovery from its issuer. */
export interface OidcDiscoveryProviderConfig extends ProviderCommon {
  type: 'oidc';
  issuer: string;
  /** `aud` values accepted in native ID tokens besides the client id (e.g. the Android client id). */
  audiences: string[];
  /** Native ID tokens must come with the nonce the app put in them (REQUIRE_NONCE, default true). */
  requireNonce: boolean;
  /** Native ID tokens issued (`iat`) longer ago than this are refused, even before they expire. */
  idTokenMaxAgeSeconds: number;
}

/** A plain OAuth2 provider (GitHub and the like): code flow, then a userinfo call. */
export interface OAuth2ProviderConfig extends ProviderCommon {
  type: 'oauth2';
  authorizationUrl: string;
  tokenUrl: string;
  userinfoUrl: string;
  /** Dotted paths into the userinfo JSON. */
  fields: { subject: string; email: string; name: string };
}

export type OidcProviderConfig = OidcDiscoveryProviderConfig | OAuth2ProviderConfig;

export interface OidcConfig {
  /** In the order of OIDC_PROVIDERS; empty when the feature is off. */
  providers: OidcProviderConfig[];
  /** Without a trailing slash; set whenever a provider is. */
  callbackBaseUrl?: string;
  returnUrls: string[];
}

export function loadOidcConfig(env: NodeJS.ProcessEnv = process.env): OidcConfig {
  const vars = readEnv(OidcEnv, env);
  const names = splitList(vars.OIDC_PROVIDERS).map((name) => name.toLowerCase());
  for (const name of names) {
    if (!PROVIDER_NAME.test(name)) {
      throw new ConfigError(
        `Invalid configuration: OIDC_PROVIDERS: "${name}" is not a valid provider name (a letter, then letters, digits or _; 32 at most)`,
      );
    }
  }
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new ConfigError(`Invalid configuration: OIDC_PROVIDERS names "${duplicate}" twice`);
  if (names.length > 0 && vars.OIDC_CALLBACK_BASE_URL === undefined) {
    throw new ConfigError(
      'Invalid configuration: OIDC_CALLBACK_BASE_URL must be set when OIDC_PROVIDERS is (the public URL of this service)',
    );
  }
  return {
    providers: names.map((name) => loadProvider(name, env)),
    callbackBaseUrl: vars.OIDC_CALLBACK_BASE_URL?.replace(/\/+$/, ''),
    returnUrls: splitList(vars.OIDC_RETURN_URLS).map(checkReturnUrl),
  };
}

function loadProvider(name: string, env: NodeJS.ProcessEnv): OidcProviderConfig {
  const prefix = `OIDC_${name.toUpperCase()}_`;
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    // As readEnv: an empty variable counts as unset.
    if (key.startsWith(prefix) && value !== undefined && value !== '') raw[key.slice(prefix.length)] = value;
  }
  if (raw.TYPE !== undefined) raw.TYPE = raw.TYPE.toLowerCase();
  const vars = plainToInstance(ProviderEnv, raw);
  const errors = validateSync(vars);
  if (errors.length > 0) {
    // class-validator starts each message with the property name; make it the variable's name.
    const reasons = errors.flatMap((error) => Object.values(error.constraints ?? {}).map((reason) => `${prefix}${reason}`));
    throw new ConfigError(`Invalid configuration: ${reasons.join('; ')}`);
  }

  const common = {
    name,
    clientId: vars.CLIENT_ID,
    clientSecret: vars.CLIENT_SECRET,
    emailAsAddress: isTrue(vars.EMAIL_AS_ADDRESS),
  };
  if (vars.TYPE === 'oauth2') {
    return {
      ...common,
      type: 'oauth2',
      // Plain OAuth2 has no standard scopes; without SCOPES the provider's default applies.
      scopes: splitScopes(vars.SCOPES ?? ''),
      authorizationUrl: vars.AUTHORIZATION_URL!,
      tokenUrl: vars.TOKEN_URL!,
      userinfoUrl: vars.USERINFO_URL!,
      fields: { subject: vars.SUBJECT_FIELD, email: vars.EMAIL_FIELD, name: vars.NAME_FIELD },
    };
  }
  const scopes = splitScopes(vars.SCOPES ?? DEFAULT_SCOPES);
  if (!scopes.includes('openid')) {
    throw new ConfigError(`Invalid configuration: ${prefix}SCOPES must include openid (default: ${DEFAULT_SCOPES})`);
  }
  return {
    ...common,
    type: 'oidc',
    scopes,
    issuer: vars.ISSUER!.replace(/\/+$/, ''),
    audiences: splitList(vars.AUDIENCES),
    requireNonce: vars.REQUIRE_NONCE === undefined || isTrue(vars.REQUIRE_NONCE),
    idTokenMaxAgeSeconds: vars.ID_TOKEN_MAX_AGE_SECONDS,
  };
}

function isTrue(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

/** Scopes are space-separated in OAuth2; commas are accepted too. */
function splitScopes(value: string): string[] {
  return value.split(/[\s,]+/).filter((scope) => scope.length > 0);
}

function checkReturnUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`Invalid configuration: OIDC_RETURN_URLS: "${url}" is not an absolute URL`);
  }
  // The login result is appended as the fragment, so the URL must not have one of its own.
  if (parsed.hash !== '' || url.includes('#')) {
    throw new ConfigError(`Invalid configuration: OIDC_RETURN_URLS: "${url}" must not have a #fragment`);
  }
  if (['javascript:', 'data:', 'file:'].includes(parsed.protocol)) {
    throw new ConfigError(`Invalid configuration: OIDC_RETURN_URLS: "${url}" must be a web or app URL`);
  }
  return url;
}

export const oidcConfig = registerAs('oidc', () => loadOidcConfig());
