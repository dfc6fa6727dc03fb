import { Insertable, Selectable } from 'kysely';

/**
 * The tables as the application sees them. Times are epoch milliseconds in BIGINT columns
 * and ids are UUID strings: both behave the same on SQLite, PostgreSQL and MySQL/MariaDB.
 */
export interface UsersTable {
  id: string;
  /** The mesibo address; fixed when the user is created (a new address is a new mesibo user). */
  address: string;
  display_name: string | null;
  mesibo_uid: string | null;
  created_at: number;
  updated_at: number;
  /** Set while an operator has disabled the user (admin API, CLI): no login, no token works. */
  disabled_at: number | null;
}

export interface IdentitiesTable {
  id: string;
  user_id: string;
  /** How it was proven: `phone`, later `email`, `oidc:<provider>`, `ldap`. */
  method: string;
  subject: string;
  verified: number;
  created_at: number;
  last_login_at: number;
}

export interface OtpChallengesTable {
  id: string;
  channel: string;
  destination: string;
  /** HMAC-SHA256 of the code, hex; the code itself is never stored. */
  code_hash: string;
  attempts: number;
  created_at: number;
  expires_at: number;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  /** SHA-256 of the mesibo user token, hex: the lookup key (the token itself is only kept encrypted). */
  token_hash: string;
  app_id: string;
  device: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  /** The mesibo token, AES-256-GCM encrypted, kept to revoke it at mesibo; null once the session ended. */
  token_ciphertext: string | null;
  /** When the account was last proven in this session; null means at its creation. */
  proven_at: number | null;
  /** The identity (method and subject) the session was opened with; null for older sessions. */
  login_method: string | null;
  login_subject: string | null;
  /** When the token last opened this API, to the minute (see SessionsService.authenticate); null reads as created_at. */
  last_used_at: number | null;
}

/** A deleted account's mesibo user, until mesibo confirmed its deletion (src/accounts). */
export interface PendingMesiboDeletionsTable {
  id: string;
  mesibo_uid: string | null;
  address: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
}

/** An event of the event webhook, until it is delivered or given up (src/hooks). */
export interface WebhookOutboxTable {
  /** The Standard Webhooks message id, the same on every attempt. */
  id: string;
  type: string;
  /** The JSON body as signed and sent. */
  payload: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  created_at: number;
  next_attempt_at: number;
  finished_at: number | null;
  last_error: string | null;
}

/** A login method its owner removed: never attached to that owner again by its address. */
export interface RemovedIdentitiesTable {
  user_id: string;
  method: string;
  subject: string;
  removed_at: number;
}

export interface CountersTable {
  key: string;
  value: number;
  expires_at: number;
}

export interface EmailAccountsTable {
  /** Lowercased. */
  email: string;
  password_hash: string;
  display_name: string | null;
  /** When the emailed code was entered; null until then, and the account cannot log in. */
  verified_at: number | null;
  created_at: number;
  updated_at: number;
}

/** Accounts of the `username` login method: a user id chosen by the user or an operator, and a password. */
export interface UsernameAccountsTable {
  /** Normalized: ASCII, lowercase (src/methods/username/username.ts). */
  username: string;
  password_hash: string;
  display_name: string | null;
  created_at: number;
  updated_at: number;
}

/** A key of the admin API (src/admin): only its SHA-256 is kept; the key is shown once, when created. */
export interface AdminKeysTable {
  id: string;
  /** Unique; how operators and the audit trail name the key. */
  name: string;
  /** SHA-256 of the key, hex. */
  key_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** One entry of the audit trail (src/audit/audit-trail.ts). */
export interface AuditEventsTable {
  id: string;
  occurred_at: number;
  /** `login.succeeded`, `login.failed`, `code.requested`, `limit.hit`. */
  type: string;
  /** The login method, or the code's channel. */
  method: string | null;
  /** `success`, `sent`, or the error code / limit kind of a refusal. */
  outcome: string | null;
  user_id: string | null;
  /** The client's rate-limit key (its address, an IPv6 /64). */
  client: string | null;
  app_id: string | null;
  device: string | null;
}

/** A web login through an OpenID Connect / OAuth2 provider, between the redirect and the callback. */
export interface OidcLoginStatesTable {
  /** The OAuth2 `state`: random, single use. */
  state: string;
  provider: string;
  /** The PKCE verifier whose S256 challenge went to the provider. */
  code_verifier: string;
  nonce: string;
  app_id: string;
  /** One of OIDC_RETURN_URLS, or null to answer the callback with JSON. */
  return_to: string | null;
  created_at: number;
  expires_at: number;
}

export interface DatabaseSchema {
  users: UsersTable;
  identities: IdentitiesTable;
  otp_challenges: OtpChallengesTable;
  sessions: SessionsTable;
  counters: CountersTable;
  email_accounts: EmailAccountsTable;
  oidc_login_states: OidcLoginStatesTable;
  removed_identities: RemovedIdentitiesTable;
  username_accounts: UsernameAccountsTable;
  audit_events: AuditEventsTable;
  admin_keys: AdminKeysTable;
  pending_mesibo_deletions: PendingMesiboDeletionsTable;
  webhook_outbox: WebhookOutboxTable;
}

export type UserRow = Selectable<UsersTable>;
export type IdentityRow = Selectable<IdentitiesTable>;
export type OtpChallengeRow = Selectable<OtpChallengesTable>;
export type SessionRow = Selectable<SessionsTable>;
export type NewSession = Insertable<SessionsTable>;
export type EmailAccountRow = Selectable<EmailAccountsTable>;
export type UsernameAccountRow = Selectable<UsernameAccountsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type AdminKeyRow = Selectable<AdminKeysTable>;
