import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { environmentWith } from '../config/env';
import type { RunningService } from './in-process-service';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
/** Output kept for the error of a failed start (the last lines are the ones that say why). */
const KEPT_OUTPUT_CHARS = 8000;

/**
 * The service as its own process, started the way `node dist/main.js` starts it (from the
 * TypeScript sources when the kit itself runs from them), on a free loopback port. It is up when
 * /health/live answers.
 */
export async function startChildProcessService(settings: Readonly<Record<string, string>>): Promise<RunningService> {
  const port = await freePort();
  const child = spawn(process.execPath, entryArguments(), {
    env: environmentWith({ ...settings, HOST: '127.0.0.1', PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-KEPT_OUTPUT_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;

  const live = await waitUntilLive(url, () => child.exitCode === null && child.signalCode === null);
  if (!live) {
    const running = child.exitCode === null && child.signalCode === null;
    await stopChild(child, exited);
    throw new Error(
      running
        ? `The backend process did not answer ${url}/health/live within ${START_TIMEOUT_MS / 1000} s:\n${output}`
        : `The backend process exited before it was up:\n${output}`,
    );
  }
  return { url, stop: () => stopChild(child, exited) };
}

function entryArguments(): string[] {
  const compiled = join(__dirname, '..', 'main.js');
  if (existsSync(compiled)) return [compiled];
  // The kit runs from the sources (this repository's own tests).
  return ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', 'main.ts')];
}

/** Whether /health/live answered before the deadline, asking while `running()` holds. */
async function waitUntilLive(url: string, running: () => boolean): Promise<boolean> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (running() && Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((retry) => setTimeout(retry, 100));
  }
  return false;
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** A port that was free a moment ago (the service is told its port, so it cannot pick one itself). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
