/**
 * The processes bench/login-flow.ts starts and measures: the service from its production build,
 * the bare reference server, the mesibo simulator; and what /proc says about a process.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ModuleKind, ScriptTarget, transpileModule } from 'typescript';

export const ROOT = join(__dirname, '..');
const SERVICE_ENTRY = join(ROOT, 'dist', 'main.js');
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ): 100 on every Linux this runs on. */
const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** A child process started by the benchmark, with the tail of its output for error messages. */
export class Child {
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly label: string,
    readonly process: ChildProcess,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
    };
    process.stdout?.on('data', keep);
    process.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    if (this.process.pid === undefined) throw new Error(`${this.label} has no pid`);
    return this.process.pid;
  }

  tail(): string {
    return this.output.trim().split('\n').slice(-30).join('\n');
  }

  /** Resolves with the first match of `pattern` in the output; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label} did not print ${pattern} in time:\n${this.tail()}`)), timeoutMs);
      const check = (): void => {
        const match = pattern.exec(this.output);
        if (match) {
          clearTimeout(timer);
          this.process.stdout?.off('data', check);
          resolve(match);
        }
      };
      this.process.stdout?.on('data', check);
      check();
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.label} exited with ${code}:\n${this.tail()}`));
      });
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return this.exited;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** Only the variables a process needs: nothing from the caller's shell (DATABASE_URL, NODE_OPTIONS, …) leaks in. */
function cleanEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env };
}

/** A port that was free a moment ago, for a child that must be told its port up front. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls GET /health/live until it answers 200. */
export async function waitUntilLive(url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (child.process.exitCode !== null) throw new Error(`${child.label} exited with ${child.process.exitCode}:\n${child.tail()}`);
    const status = await new Promise<number>((resolve) => {
      const req = get(`${url}/health/live`, { agent: false, timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
    });
    if (status === 200) return;
    if (performance.now() > deadline) throw new Error(`${child.label} did not answer /health/live in time:\n${child.tail()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Newest modification time of the service's sources (specs left out): dist/ older than this is stale. */
function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` when dist/main.js is missing or older than a source file. */
export function ensureBuild(force: boolean): void {
  let builtMs = 0;
  try {
    builtMs = statSync(SERVICE_ENTRY).mtimeMs;
  } catch {
    builtMs = 0;
  }
  const sourceMs = Math.max(newestSourceMs(join(ROOT, 'src')), statSync(join(ROOT, 'tsconfig.build.json')).mtimeMs);
  if (!force && builtMs >= sourceMs) {
    console.log('dist/ is up to date');
    return;
  }
  console.log(builtMs === 0 ? 'dist/main.js is missing: npm run build' : 'dist/ is older than src/: npm run build');
  const started = performance.now();
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.status ?? result.signal})`);
  console.log(`built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

export interface ServiceProcess {
  child: Child;
  url: string;
  /** Milliseconds from spawn to the first 200 of /health/live. */
  startMs: number;
}

/**
 * `node [nodeArgs] dist/main.js` with `env` (plus HOST and a free PORT), in `cwd` (a directory
 * without a `.env`, which the service would read), ready once /health/live answers. (Node 20
 * refuses --cpu-prof in NODE_OPTIONS: such flags go in `nodeArgs`.)
 */
export async function startService(env: Record<string, string>, cwd: string, nodeArgs: string[] = []): Promise<ServiceProcess> {
  const port = await freePort();
  const started = performance.now();
  const proc = spawn(process.execPath, [...nodeArgs, SERVICE_ENTRY], {
    cwd,
    env: cleanEnv({ ...env, HOST: '127.0.0.1', PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child = new Child('service', proc);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilLive(url, child);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, url, startMs: performance.now() - started };
}

/**
 * bench/bare-login-server.ts as plain JavaScript in `dir` (TypeScript's transpiler, as ts-node
 * uses it), run by `node` alone.
 */
export async function startBare(env: Record<string, string>, dir: string): Promise<{ child: Child; url: string }> {
  const source = readFileSync(join(__dirname, 'bare-login-server.ts'), 'utf8');
  const output = transpileModule(source, { compilerOptions: { module: ModuleKind.CommonJS, target: ScriptTarget.ES2022 } });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'bare-login-server.js');
  writeFileSync(file, output.outputText);
  const child = new Child('bare', spawn(process.execPath, [file], { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }));
  const port = (await child.waitFor(/listening (\d+)/))[1];
  const url = `http://127.0.0.1:${port}`;
  await waitUntilLive(url, child);
  return { child, url };
}

/** The project's mesibo simulator (`npm run simulator`) in a process of its own. */
export async function startSimulator(appToken: string): Promise<{ child: Child; url: string }> {
  const proc = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src/mesibo-simulator/main.ts'), '--port', '0', '--app-token', appToken],
    { cwd: ROOT, env: cleanEnv({ TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') }), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const child = new Child('mesibo simulator', proc);
  const url = (await child.waitFor(/listening on (http:\/\/\S+)/))[1];
  return { child, url };
}

/** CPU time (user + system, all threads) a process has used so far, in ms. */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

/**
 * Peak resident memory of a process over a period. The kernel's high-water mark (VmHWM) is reset
 * at the start (writing 5 to /proc/<pid>/clear_refs, allowed for our own children) and read at
 * the end; VmRSS is also sampled every 100 ms, and is what counts if the reset was refused.
 */
export class PeakRss {
  private sampledKb = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly resetWorked: boolean;

  constructor(private readonly pid: number) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      this.resetWorked = true;
    } catch {
      this.resetWorked = false;
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }

  /** Stops sampling; the peak in MB. */
  finish(): number {
    clearInterval(this.timer);
    this.sample();
    const hwm = this.resetWorked ? statusKb(this.pid, 'VmHWM') : NaN;
    return (Number.isFinite(hwm) ? Math.max(hwm, this.sampledKb) : this.sampledKb) / 1024;
  }

  private sample(): void {
    const kb = statusKb(this.pid, 'VmRSS');
    if (Number.isFinite(kb)) this.sampledKb = Math.max(this.sampledKb, kb);
  }
}
