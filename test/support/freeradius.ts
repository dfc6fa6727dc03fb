import { ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FREERADIUS = '/usr/sbin/freeradius';

/** The users of the test server. */
export const RADIUS_USERS = {
  /** Accepted with the password; the Accept carries Class and Filter-Id. */
  ada: { username: 'ada', password: 'ada-radius-passphrase', class: 'employee-1001', filterId: 'ada@corp.example' },
  /** Challenged after the password; accepted with the token code. */
  carol: { username: 'carol', password: 'carol-radius-passphrase', code: '424242' },
  /** Challenged like carol, with the same token code: a state of carol's must not log dave in. */
  dave: { username: 'dave', password: 'dave-radius-passphrase', code: '424242' },
  /** Always rejected, even with the right password. */
  mallory: { username: 'mallory', password: 'mallory-radius-passphrase' },
  /** A user name with a realm. */
  grace: { username: 'grace@corp.example', password: 'grace-radius-passphrase' },
  /** For bursts of wrong passwords. */
  bruno: { username: 'bruno', password: 'bruno-radius-passphrase' },
} as const;

export const CHALLENGE_PROMPT = 'Enter the code shown by your token';
/** The same State for every challenge: the server trusts it blindly, so only the service's sealing tells users apart. */
const SERVER_STATE = Buffer.from('token-challenge').toString('hex');

export interface FreeRadiusOptions {
  secret: string;
  /** Whether replies carry Message-Authenticator (default true). FreeRADIUS 3.2.1 adds it only when told. */
  messageAuthenticator?: boolean;
}

export interface FreeRadius {
  host: string;
  port: number;
  /** As RADIUS_SERVERS writes it. */
  label: string;
  /** How many Access-Requests for `username` the server has received. */
  requestsFor(username: string): number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts FreeRADIUS 3.2 (Debian's package) in the foreground with a configuration of its own in a
 * temporary folder: one client (127.0.0.1, the secret, Message-Authenticator required on
 * requests), the users above in a `files` users file, PAP, and unlang for the token challenge.
 * It listens on a free loopback UDP port; `-X` prints every request, which `requestsFor` counts.
 */
export async function startFreeRadius(options: FreeRadiusOptions): Promise<FreeRadius> {
  for (let attempt = 1; ; attempt++) {
    const port = await freeUdpPort();
    try {
      return await startOn(port, options);
    } catch (error) {
      // Another process may have taken the port between the probe and the bind.
      if (attempt >= 3 || !String(error).includes('Failed binding')) throw error;
    }
  }
}

async function startOn(port: number, options: FreeRadiusOptions): Promise<FreeRadius> {
  const dir = mkdtempSync(join(tmpdir(), 'freeradius-'));
  writeFileSync(join(dir, 'radiusd.conf'), serverConfig(dir, port, options));
  writeFileSync(join(dir, 'users'), usersFile());
  const child = spawn(FREERADIUS, ['-X', '-d', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ready(child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    label: `127.0.0.1:${port}`,
    requestsFor: (username) => countRequests(output, username),
    output: () => output,
    stop,
  };
}

function ready(child: ChildProcess, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`FreeRADIUS did not start:\n${output()}`));
    }, 15_000);
    const check = (): void => {
      if (output().includes('Ready to process requests')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`FreeRADIUS exited with ${code}:\n${output()}`));
    });
  });
}

function countRequests(output: string, username: string): number {
  let count = 0;
  let current: string | undefined;
  for (const line of output.split('\n')) {
    const received = /^\((\d+)\) Received Access-Request /.exec(line);
    if (received) {
      current = received[1];
      continue;
    }
    if (current !== undefined && line.startsWith(`(${current}) `) && line.includes(`User-Name = "${username}"`)) {
      count++;
      current = undefined;
    }
  }
  return count;
}

/** A UDP port nothing listens on right now. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function usersFile(): string {
  const { ada, carol, dave, mallory, grace, bruno } = RADIUS_USERS;
  return [
    `${ada.username} Cleartext-Password := "${ada.password}"`,
    `\tClass := "${ada.class}",`,
    `\tFilter-Id := "${ada.filterId}"`,
    '',
    // Auth-Type TOKEN: the password first, then the challenge (see the site's authenticate section).
    `${carol.username} Cleartext-Password := "${carol.password}", Auth-Type := TOKEN`,
    '',
    `${dave.username} Cleartext-Password := "${dave.password}", Auth-Type := TOKEN`,
    '',
    `${mallory.username} Cleartext-Password := "${mallory.password}", Auth-Type := Reject`,
    '',
    `"${grace.username}" Cleartext-Password := "${grace.password}"`,
    '',
    `${bruno.username} Cleartext-Password := "${bruno.password}"`,
    '',
  ].join('\n');
}

function serverConfig(dir: string, port: number, options: FreeRadiusOptions): string {
  // Debian's 3.2.1 predates the Blast-RADIUS release (3.2.5), which signs every reply by itself.
  const signReplies = options.messageAuthenticator === false ? '' : 'update reply {\n        Message-Authenticator := 0x00\n      }';
  return `
prefix = /usr
dictdir = /usr/share/freeradius
libdir = /usr/lib/freeradius
raddbdir = ${dir}
confdir = ${dir}
logdir = ${dir}
run_dir = ${dir}
pidfile = ${dir}/radiusd.pid
name = radiusd
max_request_time = 5
cleanup_delay = 1
max_requests = 4096
hostname_lookups = no

log {
  destination = stdout
}

security {
  allow_core_dumps = no
  max_attributes = 200
  # Rejects are answered at once, so the tests do not wait.
  reject_delay = 0
  status_server = no
}

client localhost {
  ipaddr = 127.0.0.1
  secret = "${options.secret}"
  require_message_authenticator = yes
}

modules {
  pap {
  }
  files {
    filename = ${dir}/users
  }
  always reject {
    rcode = reject
  }
  always handled {
    rcode = handled
  }
}

server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${port}
  }

  authorize {
    ${signReplies}
    if (&State) {
      # The answer to a challenge: the State this server sends, and the token code.
      if (&State == 0x${SERVER_STATE} && &User-Password == "${RADIUS_USERS.carol.code}") {
        update control {
          Auth-Type := Accept
        }
      }
      else {
        reject
      }
    }
    else {
      files
      pap
    }
  }

  authenticate {
    Auth-Type PAP {
      pap
    }
    Auth-Type TOKEN {
      pap
      update reply {
        State := 0x${SERVER_STATE}
        Reply-Message := "${CHALLENGE_PROMPT}"
      }
      update control {
        Response-Packet-Type := Access-Challenge
      }
      handled
    }
  }

  post-auth {
    Post-Auth-Type REJECT {
      ${signReplies}
    }
  }
}
`;
}
