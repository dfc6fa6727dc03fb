import type { Client } from 'ldapts';
import { connect as netConnect, isIP, Socket } from 'node:net';
import { connect as tlsConnect, ConnectionOptions, TLSSocket } from 'node:tls';
import { errorMessage } from '../../common/errors';
import { ldapts } from './ldap-library';
import { LdapServer } from './ldap.settings';

export interface ConnectionPolicy {
  startTls: boolean;
  /** PEM of the authorities to trust; Node's own list when undefined. */
  ca?: Buffer;
  connectTimeoutMs: number;
  timeoutMs: number;
}

/** No server of LDAP_URL could be reached (refused, timed out, or its certificate was not accepted). */
export class DirectoryUnreachableError extends Error {
  override readonly name = 'DirectoryUnreachableError';
}

/**
 * A connection to the first server of `servers` that answers, encrypted when the settings say so
 * (ldaps://, or StartTLS before anything else is sent). Only a failure to connect moves on to the
 * next server: once a connection is up, no request is ever repeated elsewhere.
 *
 * The socket is opened here and handed to ldapts for this one connection only. ldapts would
 * otherwise reconnect by itself when a connection drops, and a reconnection is neither StartTLS-
 * upgraded nor bound: a password could then go out unencrypted.
 */
export async function openDirectoryConnection(servers: readonly LdapServer[], policy: ConnectionPolicy): Promise<Client> {
  const failures: string[] = [];
  for (const server of servers) {
    try {
      return await connectTo(server, policy);
    } catch (error) {
      failures.push(`${server.url}: ${errorMessage(error)}`);
    }
  }
  throw new DirectoryUnreachableError(`No LDAP server could be reached (${failures.join('; ')})`);
}

async function connectTo(server: LdapServer, policy: ConnectionPolicy): Promise<Client> {
  const tlsOptions = tlsOptionsFor(server, policy);
  const socket = await (server.secure ? openTls(server, tlsOptions, policy.connectTimeoutMs) : openTcp(server, policy.connectTimeoutMs));
  // Until ldapts adds its own listener, an error must not go unhandled; ldapts then reports it.
  socket.on('error', () => undefined);

  let handedOut = false;
  const onlyThisSocket = <T extends Socket>(opened: T) => (): T => {
    if (handedOut) throw new Error('The connection to the LDAP server closed');
    handedOut = true;
    return opened;
  };
  const { Client } = ldapts();
  const client = new Client({
    url: server.url,
    timeout: policy.timeoutMs,
    connectTimeout: policy.connectTimeoutMs,
    ...(server.secure
      ? { createSecureConnection: onlyThisSocket(socket as TLSSocket) }
      : // The StartTLS upgrade wraps this socket with tls.connect, ldapts's default.
        { createConnection: onlyThisSocket(socket) }),
  });
  if (policy.startTls) {
    try {
      await withDeadline(client.startTLS(tlsOptions), policy.timeoutMs, 'StartTLS timed out');
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }
  return client;
}

/** Certificates are always checked: against LDAP_CA_FILE, or the system's authorities. */
function tlsOptionsFor(server: LdapServer, policy: ConnectionPolicy): ConnectionOptions {
  return {
    host: server.host,
    // SNI takes a host name, never an address; the certificate is checked against `host` either way.
    servername: isIP(server.host) === 0 ? server.host : undefined,
    ca: policy.ca,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
}

function openTcp(server: LdapServer, timeoutMs: number): Promise<Socket> {
  return opened(netConnect({ host: server.host, port: server.port }), 'connect', timeoutMs);
}

/** For ldaps://, the TLS handshake is part of connecting, and within the same time limit. */
function openTls(server: LdapServer, options: ConnectionOptions, timeoutMs: number): Promise<TLSSocket> {
  return opened(tlsConnect({ ...options, port: server.port }), 'secureConnect', timeoutMs);
}

function opened<T extends Socket>(socket: T, event: 'connect' | 'secureConnect', timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error('Connection timed out')), timeoutMs);
    socket.once('error', fail);
    socket.once(event, () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

/** `work`, or a rejection with `message` after `ms`. */
export function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
