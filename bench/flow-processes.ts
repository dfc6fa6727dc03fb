/**
 * The processes bench/login-flow.ts starts and measures: the service from its production build,
 * the baseline (another checkout's build), the bare reference server, the mesibo simulator; and
 * what /proc says about a process and its descendants.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ModuleKind, ScriptTarget, transpileModule } from 'typescript';

export const ROOT = join(__dirname, '..');
const SERVICE_ENTRY = serviceEntryOf(ROOT);
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

  /**
   * SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. Descendants (a cluster's
   * workers) still running `graceMs` after it exited are killed too.
   */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return this.exited;
    const descendants = processTree(this.pid)
      .slice(1)
      .map((pid) => ({ pid, startTicks: readStat(pid)?.startTicks }));
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    const deadline = performance.now() + graceMs;
    // A pid names the same process as long as its start time is the same.
    const alive = () => descendants.filter((d) => d.startTicks !== undefined && readStat(d.pid)?.startTicks === d.startTicks);
    while (alive().length > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const leftover of alive()) {
      try {
        process.kill(leftover.pid, 'SIGKILL');
      } catch {
        // It exited meanwhile.
      }
    }
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

/**
 * Another checkout's production build, used as it is (never rebuilt): its commit, and a warning
 * when its dist/ is older than its sources. Throws if `<checkout>/dist/main.js` is missing.
 */
export function describeBuiltCheckout(checkout: string): string {
  let builtMs: number;
  try {
    builtMs = statSync(serviceEntryOf(checkout)).mtimeMs;
  } catch {
    throw new Error(`${serviceEntryOf(checkout)} is missing: build that checkout first (npm run build there)`);
  }
  if (!existsSync(join(checkout, 'node_modules'))) throw new Error(`${checkout} has no node_modules: its build resolves its packages there`);
  return `${describeCheckout(checkout)}${newestSourceMs(join(checkout, 'src')) > builtMs ? ' (WARNING: its dist/ is older than its src/)' : ''}`;
}

/** `<dir> at <commit> <subject>`, and whether files under src/ differ from that commit. */
export function describeCheckout(checkout: string): string {
  const git = (...args: string[]) => spawnSync('git', ['-C', checkout, ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = git('log', '-1', '--format=%h %s');
  if (!commit) return `${checkout} (not a git checkout)`;
  const changed = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
  return `${checkout} at ${commit.length > 70 ? `${commit.slice(0, 69)}…` : commit}${changed > 0 ? ` + ${changed} changed files under src/` : ''}`;
}

export interface ServiceProcess {
  child: Child;
  url: string;
  /** Milliseconds from spawn to the first 200 of /health/live. */
  startMs: number;
}

/** What to run: this checkout's build by default, or another checkout's (`<dir>/dist/main.js`). */
export interface ServiceStart {
  label?: string;
  entry?: string;
  /** Flags for node itself (Node 20 refuses --cpu-prof in NODE_OPTIONS). */
  nodeArgs?: string[];
}

/** The production entry point of a built checkout of the project. */
export function serviceEntryOf(checkout: string): string {
  return join(checkout, 'dist', 'main.js');
}

/**
 * `node [nodeArgs] <entry>` with `env` (plus HOST and a free PORT), in `cwd` (a directory without
 * a `.env`, which the service would read), ready once /health/live answers. The entry's packages
 * resolve from its own checkout's node_modules, whatever the cwd.
 */
export async function startService(env: Record<string, string>, cwd: string, start: ServiceStart = {}): Promise<ServiceProcess> {
  const { label = 'service', entry = SERVICE_ENTRY, nodeArgs = [] } = start;
  const port = await freePort();
  const started = performance.now();
  const proc = spawn(process.execPath, [...nodeArgs, entry], {
    cwd,
    env: cleanEnv({ ...env, HOST: '127.0.0.1', PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child = new Child(label, proc);
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

interface ProcStat {
  /** utime + stime of the process, all its threads (dead ones included), in clock ticks. */
  ticks: number;
  /** Start time in ticks since boot: with the pid, it names one process even if the pid is reused. */
  startTicks: number;
}

/** /proc/<pid>/stat, or undefined when the process is gone. */
function readStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name, which is in parentheses and may contain spaces: state is
  // field 3, utime 14, stime 15, starttime 22.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ticks: Number(fields[11]) + Number(fields[12]), startTicks: Number(fields[19]) };
}

/** CPU time (user + system, all threads) a process has used so far, in ms. */
export function cpuMsOf(pid: number): number {
  const stat = readStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return ticksToMs(stat.ticks);
}

function ticksToMs(ticks: number): number {
  return (ticks / TICKS_PER_SECOND) * 1000;
}

/** The children of a process: what its threads forked (/proc/<pid>/task/<tid>/children). */
function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const tid of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (child) children.push(Number(child));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return children;
}

/** A process and all its descendants that are alive now, the process first. */
export function processTree(pid: number): number[] {
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (tree.includes(next)) continue;
    tree.push(next);
    queue.push(...childrenOf(next));
  }
  return tree;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** Resets the kernel's high-water mark of resident memory (VmHWM); allowed for our own descendants. */
function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

interface TrackedProcess {
  pid: number;
  /** Ticks when the period opened, or 0 for a process started during the period. */
  fromTicks: number;
  lastTicks: number;
  peakRssKb: number;
  hwmReset: boolean;
  alive: boolean;
}

export interface TreeUsage {
  /** utime + stime of every process of the tree over the period, in ms. */
  cpuMs: number;
  /** The highest sum of the resident memory of the tree's processes, in MB (see TreeMeter). */
  peakRssMb: number;
  /** The highest resident memory of any one process of the tree, in MB. */
  peakProcessRssMb: number;
  /** The processes seen during the period. */
  pids: number[];
}

/**
 * CPU time and resident memory of a process and all its descendants over a period (a cluster
 * primary and its workers), the tree read from /proc every 100 ms.
 *
 * CPU: utime + stime of each process (all its threads) at the end, minus its value when the period
 * opened; a process first seen during the period counts from zero, as it started during the
 * period. A process that exits during the period keeps the ticks of its last sample: what it used
 * after that (at most 100 ms) is lost. The kernel adds a waited-for child's ticks to its parent's
 * cutime/cstime, but for its whole life, so those are not used.
 *
 * Memory: per process, the kernel's high-water mark (VmHWM, reset when the period opens or the
 * process is first seen) combined with VmRSS sampled every 100 ms; for the tree, the highest sum of
 * the sampled VmRSS. With one process that is the process's own peak, as precise as VmHWM. A sum of
 * RSS counts pages the processes share (the node binary, libraries) once per process.
 */
export class TreeMeter {
  private readonly processes = new Map<string, TrackedProcess>();
  private peakTreeKb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly rootPid: number) {
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), 100);
  }

  /** Stops sampling; the usage over the period. */
  finish(): TreeUsage {
    clearInterval(this.timer);
    this.sample(false);
    let cpuTicks = 0;
    let peakProcessKb = 0;
    for (const p of this.processes.values()) {
      cpuTicks += p.lastTicks - p.fromTicks;
      const hwm = p.alive && p.hwmReset ? statusKb(p.pid, 'VmHWM') : NaN;
      p.peakRssKb = Number.isFinite(hwm) ? Math.max(hwm, p.peakRssKb) : p.peakRssKb;
      peakProcessKb = Math.max(peakProcessKb, p.peakRssKb);
    }
    const single = this.processes.size === 1 ? peakProcessKb : 0;
    return {
      cpuMs: ticksToMs(cpuTicks),
      peakRssMb: Math.max(this.peakTreeKb, single) / 1024,
      peakProcessRssMb: peakProcessKb / 1024,
      pids: [...this.processes.values()].map((p) => p.pid),
    };
  }

  private sample(opening: boolean): void {
    for (const p of this.processes.values()) p.alive = false;
    let treeKb = 0;
    for (const pid of processTree(this.rootPid)) {
      const stat = readStat(pid);
      if (!stat) continue;
      const key = `${pid}@${stat.startTicks}`;
      let tracked = this.processes.get(key);
      if (!tracked) {
        tracked = { pid, fromTicks: opening ? stat.ticks : 0, lastTicks: stat.ticks, peakRssKb: 0, hwmReset: resetPeakRss(pid), alive: true };
        this.processes.set(key, tracked);
      }
      tracked.lastTicks = stat.ticks;
      tracked.alive = true;
      const kb = statusKb(pid, 'VmRSS');
      if (Number.isFinite(kb)) {
        tracked.peakRssKb = Math.max(tracked.peakRssKb, kb);
        treeKb += kb;
      }
    }
    this.peakTreeKb = Math.max(this.peakTreeKb, treeKb);
  }
}
