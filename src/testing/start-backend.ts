import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MesiboSimulator, randomAppToken } from '../mesibo-simulator/mesibo-simulator';
import { backendSettings, LimitsProfile } from './backend-settings';
import { startChildProcessService } from './child-process-service';
import { RunningService, startInProcessService } from './in-process-service';
import { OtpInbox } from './otp-inbox';
import { TestClock } from './test-clock';

export interface StartBackendOptions {
  /**
   * `in-process` (default): the service runs in the test's own process, and `advanceTime` works.
   * `child`: it runs as `node dist/main.js` in a process of its own (time cannot be moved).
   */
  process?: 'in-process' | 'child';
  /** `test` (default) raises the limits a suite runs into (see RAISED_LIMITS); `production` keeps every default. */
  limits?: LimitsProfile;
  /** Settings (the variables of `.env.example`) that win over the kit's; `''` unsets one. */
  env?: Readonly<Record<string, string>>;
  /** How long `inbox.codeFor` waits for a code by default, in ms (5000). */
  codeTimeoutMs?: number;
}

export interface Backend {
  /** The service's base URL, `http://127.0.0.1:<port>`: the op API is `POST ${url}/`, the REST API `${url}/v1/…`. */
  readonly url: string;
  /** The codes the service sent, by SMS and by email. */
  readonly inbox: OtpInbox;
  /** The mesibo backend API the service talks to: its users and tokens, and `setFault(…)`. */
  readonly mesibo: MesiboSimulator;
  /** The folder of the backend's SQLite database, removed by `stop()`; undefined when `env` names another database. */
  readonly dataDirectory: string | undefined;
  /** The service's time: the system's, plus every `advanceTime`. */
  now(): Date;
  /** Moves the service's clock forward (code expiry, cooldowns, windows, sessions); in-process only. */
  advanceTime(seconds: number): void;
  /** Stops the service, the simulator and the inbox, and removes the database folder. */
  stop(): Promise<void>;
}

/**
 * Starts the backend for a test suite, with everything it talks to: a fresh SQLite database in a
 * temporary folder (migrated as the service starts), a mesibo simulator, and an inbox that
 * receives the codes it sends. Stop it with `stop()`, in `afterAll`.
 */
export async function startBackend(options: StartBackendOptions = {}): Promise<Backend> {
  const mode = options.process ?? 'in-process';
  const overrides = options.env ?? {};
  const cleanups: Array<() => Promise<void> | void> = [];
  const stopAll = async (): Promise<void> => {
    // Last started, first stopped: the service goes before what it talks to.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const dataDirectory = overrides.DATABASE_URL ? undefined : mkdtempSync(join(tmpdir(), 'mesibo-backend-kit-'));
    if (dataDirectory) cleanups.push(() => rmSync(dataDirectory, { recursive: true, force: true }));

    const appToken = randomAppToken();
    const mesibo = await new MesiboSimulator({ appToken }).start();
    cleanups.push(() => mesibo.stop());

    const inbox = await new OtpInbox(options.codeTimeoutMs, overrides.PHONE_DEFAULT_REGION).start();
    cleanups.push(() => inbox.stop());

    const settings = backendSettings(
      {
        databaseUrl: dataDirectory ? `sqlite:${join(dataDirectory, 'backend.db')}` : '',
        mesiboApiUrl: mesibo.url,
        mesiboAppToken: appToken,
        inbox: inbox.settings,
      },
      options.limits ?? 'test',
      overrides,
    );
    const clock = mode === 'in-process' ? new TestClock() : undefined;
    const service: RunningService = clock ? await startInProcessService(settings, clock) : await startChildProcessService(settings);
    cleanups.push(() => service.stop());

    return {
      url: service.url,
      inbox,
      mesibo,
      dataDirectory,
      now: () => clock?.now() ?? new Date(),
      advanceTime: (seconds) => {
        if (!clock) throw new Error('advanceTime needs the in-process backend: the clock of a child process cannot be moved');
        clock.advance(seconds);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
