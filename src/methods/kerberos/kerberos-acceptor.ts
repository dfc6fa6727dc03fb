import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { errorMessage, LoginMethodUnavailableError } from '../../common/errors';
import { KerberosLibrary, KerberosLibraryLoader } from './kerberos-library';
import { KerberosLoginRefusedError } from './kerberos-login-refused.error';
import { kerberosSettings } from './kerberos.settings';

/** The provider of the loader of the kerberos package (the module gives the real one). */
export const KERBEROS_LIBRARY_LOADER = Symbol('KERBEROS_LIBRARY_LOADER');

export interface AcceptedContext {
  /** The client principal the ticket was issued to, `user@REALM`. */
  principal: string;
  /** The server's reply token (mutual authentication), base64, when GSS-API made one. */
  replyToken?: string;
}

/**
 * Accepts a client's SPNEGO/Kerberos token with the service's keytab, through GSS-API. No KDC is
 * asked: the ticket is decrypted with the service key, so logins go on while the KDC is down.
 * Each login is one exchange (what browsers and curl do with Kerberos); a new context every time.
 */
@Injectable()
export class KerberosAcceptor implements OnApplicationBootstrap {
  private readonly logger = new Logger('KerberosLogin');
  private library?: KerberosLibrary;

  constructor(
    @Inject(kerberosSettings.KEY) private readonly settings: ConfigType<typeof kerberosSettings>,
    @Inject(KERBEROS_LIBRARY_LOADER) private readonly loadLibrary: KerberosLibraryLoader,
  ) {}

  /**
   * Says at start-up, rather than at the first login, when the keytab has no key for the service
   * name. The service still starts (the keytab may be replaced while it runs: each login reads it).
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.settings.enabled) return;
    try {
      await this.withinTimeout(this.libraryOrUnavailable().initializeServer(this.settings.acceptorName));
    } catch (error) {
      if (error instanceof LoginMethodUnavailableError) return; // logged already
      this.logger.error(
        `Kerberos logins will answer 503 until KERBEROS_KEYTAB (${this.settings.keytab}) holds a key for ` +
          `KERBEROS_SERVICE_PRINCIPAL (${this.settings.acceptorName}): ${errorMessage(error)}`,
      );
    }
  }

  /**
   * The principal of a valid token. KerberosLoginRefusedError for a token that is not a valid ticket
   * for this service (or a replay); LoginMethodUnavailableError when the keytab cannot be used.
   */
  async accept(token: string): Promise<AcceptedContext> {
    const library = this.libraryOrUnavailable();
    const server = await this.withinTimeout(library.initializeServer(this.settings.acceptorName)).catch((error: unknown) => {
      if (error instanceof LoginMethodUnavailableError) throw error;
      // Our side: the keytab has no key for the service name, or cannot be read.
      this.logger.error(`Kerberos login unavailable: no credentials for ${this.settings.acceptorName} in the keytab: ${errorMessage(error)}`);
      throw new LoginMethodUnavailableError();
    });
    let reply: string | null | undefined;
    try {
      reply = await this.withinTimeout(server.step(token));
    } catch (error) {
      if (error instanceof LoginMethodUnavailableError) throw error;
      // GSS-API's reason names no secret ("Request is a replay", "Invalid token was supplied").
      this.logger.warn(`Kerberos token not accepted: ${errorMessage(error)}`);
      throw new KerberosLoginRefusedError();
    }
    if (!server.contextComplete || !server.username) {
      this.logger.warn('Kerberos token not accepted: the exchange needs more than one round, which is not supported');
      throw new KerberosLoginRefusedError();
    }
    return { principal: server.username, ...(reply ? { replyToken: reply } : {}) };
  }

  private libraryOrUnavailable(): KerberosLibrary {
    if (this.library) return this.library;
    try {
      this.library = this.loadLibrary();
      return this.library;
    } catch (error) {
      // Start-up checks this; only a package removed while running gets here.
      this.logger.error(`Kerberos login unavailable: the kerberos package cannot be loaded: ${errorMessage(error)}`);
      throw new LoginMethodUnavailableError();
    }
  }

  /** The native call runs on a worker thread and cannot be cancelled: the login stops waiting for it. */
  private withinTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        this.logger.error(`Kerberos login unavailable: GSS-API did not answer within ${this.settings.timeoutMs} ms`);
        reject(new LoginMethodUnavailableError());
      }, this.settings.timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}
