import { errorMessage } from '../../common/errors';

/**
 * The part of the `kerberos` npm package (GSS-API bindings for libkrb5) that this method uses.
 * Declared here rather than imported: the package is an optional dependency, absent wherever
 * libkrb5 was missing at `npm install`, and the project must still compile there.
 */
export interface KerberosServerContext {
  /** The client principal (`user@REALM`) once the context is accepted. */
  username: string;
  contextComplete: boolean;
  /** Accepts the client's token (base64); resolves with the server's reply token, if GSS-API made one. */
  step(clientToken: string): Promise<string | null | undefined>;
}

export interface KerberosLibrary {
  /** Acquires the acceptor credentials of a host-based service name (`HTTP@host`) from the keytab. */
  initializeServer(service: string): Promise<KerberosServerContext>;
}

/** Loads the package; throws when it is not installed or its native part cannot be loaded. */
export type KerberosLibraryLoader = () => KerberosLibrary;

export const KERBEROS_PACKAGE = 'kerberos';

/** The package, loaded by the first call (a service without the method never loads it). */
export const loadKerberosLibrary: KerberosLibraryLoader = () =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(KERBEROS_PACKAGE) as KerberosLibrary;

/** Why the package cannot be loaded, or undefined when it can. */
export function kerberosLibraryProblem(load: KerberosLibraryLoader): string | undefined {
  try {
    const library = load();
    if (typeof library?.initializeServer !== 'function') return 'it has no initializeServer function';
    return undefined;
  } catch (error) {
    // The first line only: a missing native library is explained there ("libkrb5.so.3: cannot open...").
    return errorMessage(error).split('\n')[0];
  }
}
