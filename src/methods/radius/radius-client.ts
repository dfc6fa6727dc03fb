import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket, RemoteInfo, Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { errorMessage } from '../../common/errors';
import { checkReply, encodeAccessRequest, RadiusReply } from './radius-packet';
import { RadiusServerAddress, radiusSettings } from './radius.settings';

export interface RadiusCredentials {
  username: string;
  /** The password, or the answer to a challenge. */
  password: string;
  /** The State of the challenge answered. */
  state?: Buffer;
}

export interface RadiusAnswer {
  reply: RadiusReply;
  /** The server that answered: a challenge's answer must go back to it. */
  server: RadiusServerAddress;
}

/** No server gave a valid answer: all down, unreachable, or only sending replies that failed the checks. */
export class RadiusUnavailableError extends Error {
  constructor() {
    super('No RADIUS server answered');
  }
}

/**
 * A RADIUS client over UDP (RFC 2865). Each exchange has a socket of its own, connected to the
 * server, so only that address and port can answer it; the packet is sent again after each
 * timeout, RADIUS_RETRIES times, then the next server is asked with a new packet. Replies that
 * fail the checks of checkReply are dropped and the wait goes on, so a forged datagram cannot end
 * an exchange.
 */
@Injectable()
export class RadiusClient {
  private readonly logger = new Logger('RadiusClient');

  constructor(@Inject(radiusSettings.KEY) private readonly settings: ConfigType<typeof radiusSettings>) {}

  /** The first valid answer of `servers`, asked in order; RadiusUnavailableError when none gives one. */
  async authenticate(credentials: RadiusCredentials, servers: readonly RadiusServerAddress[]): Promise<RadiusAnswer> {
    for (const server of servers) {
      const reply = await this.ask(server, credentials);
      if (reply) return { reply, server };
    }
    throw new RadiusUnavailableError();
  }

  /** The server's valid reply, or undefined (logged) when it gave none in time. */
  private async ask(server: RadiusServerAddress, credentials: RadiusCredentials): Promise<RadiusReply | undefined> {
    let address: { address: string; family: number };
    try {
      address = await lookup(server.host);
    } catch (error) {
      this.logger.warn(`RADIUS server ${server.label} cannot be resolved: ${errorMessage(error)}`);
      return undefined;
    }
    const request = encodeAccessRequest(
      {
        identifier: randomInt(256),
        authenticator: randomBytes(16),
        username: credentials.username,
        password: credentials.password,
        nasIdentifier: this.settings.nasIdentifier,
        state: credentials.state,
      },
      this.settings.secret,
    );
    const outcome = await this.exchange(request, address, server.port, server.label);
    if (typeof outcome === 'string') {
      this.logger.warn(`RADIUS server ${server.label} did not answer: ${outcome}`);
      return undefined;
    }
    return outcome;
  }

  /** Sends `request` up to 1 + retries times, and resolves with a valid reply or why there was none. */
  private exchange(request: Buffer, peer: { address: string; family: number }, port: number, label: string): Promise<RadiusReply | string> {
    const { timeoutMs, retries, secret } = this.settings;
    return new Promise((resolve) => {
      const socket: Socket = createSocket(peer.family === 6 ? 'udp6' : 'udp4');
      let sent = 0;
      let timer: NodeJS.Timeout | undefined;
      let done = false;

      const finish = (outcome: RadiusReply | string): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        try {
          socket.close();
        } catch {
          // Closed already.
        }
        resolve(outcome);
      };
      const send = (): void => {
        if (sent > retries) return finish(`no valid reply to ${sent} packet${sent === 1 ? '' : 's'} within ${timeoutMs} ms each`);
        sent++;
        socket.send(request, (error) => {
          if (error) finish(errorMessage(error));
        });
        timer = setTimeout(send, timeoutMs);
      };

      // ECONNREFUSED (an ICMP port unreachable) and the like: this server is down, ask the next.
      socket.on('error', (error) => finish(errorMessage(error)));
      socket.on('message', (datagram: Buffer, from: RemoteInfo) => {
        if (done) return;
        if (from.address !== peer.address || from.port !== port) return;
        const checked = checkReply(datagram, request, secret);
        if (typeof checked !== 'string') return finish(checked);
        // A late or stray reply is expected now and then; anything else may be an attack or a wrong secret.
        if (checked !== 'another identifier') this.logger.warn(`Dropped a reply from RADIUS server ${label}: ${checked}`);
      });
      socket.once('connect', send);
      socket.connect(port, peer.address);
    });
  }
}
