import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Client, Entry } from 'ldapts';
import { readFileSync } from 'node:fs';
import { WorkSlots } from '../../auth/email/password-hasher';
import { errorMessage, InvalidCredentialsError, LoginMethodUnavailableError, ServiceUnavailableError } from '../../common/errors';
import { DirectoryUnreachableError, openDirectoryConnection } from './ldap-connection';
import { andFilter, groupFilter, userDn, userFilter } from './ldap-escape';
import { DirectoryEntry } from './ldap-identity';
import { ldapts } from './ldap-library';
import { ldapSettings } from './ldap.settings';

export const WRONG_CREDENTIALS = 'Wrong username or password.';

/**
 * LDAP result codes of a user's bind that mean "not this user with this password": wrong password,
 * no such entry, an entry that may not log in (disabled, locked, password expired), or a name that
 * is not a DN. Any other answer is the server's trouble, not the user's.
 */
const REFUSED_BIND_CODES = new Set([
  19, // constraintViolation: a password policy (locked account)
  32, // noSuchObject
  34, // invalidDNSyntax
  48, // inappropriateAuthentication
  49, // invalidCredentials (AD: also disabled, expired, locked)
  50, // insufficientAccessRights
  53, // unwillingToPerform (a disabled account on some servers)
]);

/** Logins waiting for a connection, per connection allowed; any more are answered 503 at once. */
const QUEUE_PER_CONNECTION = 4;

/**
 * The directory: proves a username and password and returns the user's entry.
 *
 * Each login opens its own connection, does its binds and its search on it, and closes it. A pool
 * of connections would save a TCP (and TLS) handshake per login, but a bind changes who the
 * connection acts as: a pooled connection would have to be bound back to the service account after
 * every user, and any slip would run the next search with the previous user's rights. So the
 * number of connections is bounded instead (LDAP_MAX_CONNECTIONS at once, a few waiting per
 * connection beyond that, then 503), which is what protects the server.
 */
@Injectable()
export class LdapDirectory {
  private readonly logger = new Logger('LdapLogin');
  private readonly slots: WorkSlots;
  private readonly ca?: Buffer;

  constructor(@Inject(ldapSettings.KEY) private readonly settings: ConfigType<typeof ldapSettings>) {
    this.slots = new WorkSlots(settings.maxConnections, settings.maxConnections * QUEUE_PER_CONNECTION);
    if (settings.servers.length === 0) return;
    // Read once at start-up; settings checked that it can be read.
    this.ca = settings.caFile === undefined ? undefined : readFileSync(settings.caFile);
    const { lookup } = settings;
    const how = lookup.mode === 'search' ? `search under ${lookup.searchBase} as ${lookup.bindDn ?? 'anonymous'}` : `bind to ${lookup.userDnTemplate}`;
    const transport = settings.startTls ? ' with StartTLS' : '';
    this.logger.log(`LDAP login through ${settings.servers.map((server) => server.url).join(', ')}${transport}: ${how}`);
  }

  /**
   * The entry of the user `username` whose password is `password`. InvalidCredentialsError when
   * the password is wrong, the user is unknown or outside LDAP_REQUIRED_GROUP (one answer for all);
   * LoginMethodUnavailableError when no server answers, or answers in a way that is not about the
   * user (a refused service account, a search base that does not exist).
   */
  async authenticate(username: string, password: string): Promise<DirectoryEntry> {
    // A simple bind with an empty password is an unauthenticated bind, which servers may "accept".
    if (password === '' || username === '') throw new InvalidCredentialsError(WRONG_CREDENTIALS);
    try {
      return await this.slots.run(() => this.withConnection((client) => this.prove(client, username, password)));
    } catch (error) {
      if (error instanceof ServiceUnavailableError) {
        this.logger.warn('LDAP login refused: every connection is busy and too many logins are waiting');
        throw new LoginMethodUnavailableError();
      }
      throw error;
    }
  }

  private async withConnection<T>(work: (client: Client) => Promise<T>): Promise<T> {
    let client: Client;
    try {
      client = await openDirectoryConnection(this.settings.servers, {
        startTls: this.settings.startTls,
        ca: this.ca,
        connectTimeoutMs: this.settings.connectTimeoutMs,
        timeoutMs: this.settings.timeoutMs,
      });
    } catch (error) {
      throw this.unavailable(error instanceof DirectoryUnreachableError ? error.message : `Could not connect to the LDAP server: ${errorMessage(error)}`);
    }
    try {
      return await work(client);
    } finally {
      // Closed before the slot is given to the next login; closing must not turn an answer into an error.
      await client.unbind().catch(() => undefined);
    }
  }

  private prove(client: Client, username: string, password: string): Promise<DirectoryEntry> {
    return this.settings.lookup.mode === 'search' ? this.searchThenBind(client, username, password) : this.bindThenRead(client, username, password);
  }

  /** Finds the entry as the service account (with the group as part of the filter), then binds as it. */
  private async searchThenBind(client: Client, username: string, password: string): Promise<DirectoryEntry> {
    const lookup = this.settings.lookup;
    if (lookup.mode !== 'search') throw new Error('not in search mode');
    if (lookup.bindDn !== undefined) {
      try {
        await client.bind(lookup.bindDn, lookup.bindPassword);
      } catch (error) {
        throw this.unavailable(`The LDAP server refused the service account (LDAP_BIND_DN): ${errorMessage(error)}`);
      }
    }
    const group = this.settings.requiredGroup;
    const filter = andFilter(userFilter(lookup.userFilter, username), group && groupFilter(group.dn, group.match));
    const entries = await this.search(client, lookup.searchBase, 'sub', filter);
    if (entries.length > 1) {
      this.logger.warn('LDAP login refused: LDAP_USER_FILTER matched more than one entry for one username');
    }
    if (entries.length !== 1) throw new InvalidCredentialsError(WRONG_CREDENTIALS);
    await this.bindAsUser(client, entries[0].dn, password);
    return entries[0];
  }

  /** Binds to the DN made from the username, then reads that entry as the user (only if it is in the group). */
  private async bindThenRead(client: Client, username: string, password: string): Promise<DirectoryEntry> {
    const lookup = this.settings.lookup;
    if (lookup.mode !== 'template') throw new Error('not in template mode');
    const dn = userDn(lookup.userDnTemplate, username);
    await this.bindAsUser(client, dn, password);
    const group = this.settings.requiredGroup;
    const entries = await this.search(client, dn, 'base', group ? groupFilter(group.dn, group.match) : '(objectClass=*)');
    if (entries.length !== 1) throw new InvalidCredentialsError(WRONG_CREDENTIALS);
    return entries[0];
  }

  private async bindAsUser(client: Client, dn: string, password: string): Promise<void> {
    try {
      await client.bind(dn, password);
    } catch (error) {
      const code = this.resultCode(error);
      if (code !== undefined && REFUSED_BIND_CODES.has(code)) throw new InvalidCredentialsError(WRONG_CREDENTIALS);
      throw this.unavailable(`The LDAP server did not answer a login: ${errorMessage(error)}`);
    }
  }

  private async search(client: Client, base: string, scope: 'sub' | 'base', filter: string): Promise<DirectoryEntry[]> {
    const { id, address, name } = this.settings.attributes;
    try {
      const { searchEntries } = await client.search(base, {
        scope,
        filter,
        attributes: [id, address, name],
        // objectGUID is binary; a value that happens to be valid UTF-8 must not come back as text.
        explicitBufferAttributes: [id, ...(id.toLowerCase() === 'objectguid' ? ['objectGUID'] : [])],
        // One entry is expected; a second one only tells that the filter is ambiguous.
        sizeLimit: 2,
        timeLimit: Math.ceil(this.settings.timeoutMs / 1000),
      });
      return searchEntries.map(toDirectoryEntry);
    } catch (error) {
      throw this.unavailable(`An LDAP search under ${base} failed: ${errorMessage(error)}`);
    }
  }

  /** The LDAP result code of a server's answer; undefined for anything else (a socket error, a timeout). */
  private resultCode(error: unknown): number | undefined {
    return error instanceof ldapts().ResultCodeError ? error.code : undefined;
  }

  private unavailable(reason: string): LoginMethodUnavailableError {
    this.logger.warn(reason);
    return new LoginMethodUnavailableError();
  }
}

function toDirectoryEntry(entry: Entry): DirectoryEntry {
  const { dn, ...attributes } = entry;
  return { dn, attributes };
}
