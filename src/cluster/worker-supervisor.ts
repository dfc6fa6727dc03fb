import { Logger } from '@nestjs/common';
import cluster, { Worker } from 'node:cluster';
import { errorMessage } from '../common/errors';
import { CrashLoopGuard } from './crash-loop-guard';
import { answerStartupRequests, WorkerStartup } from './worker-startup';

export interface SupervisorOptions {
  workers: number;
  /** Added to every worker's environment. */
  env: Record<string, string>;
  startup: WorkerStartup;
  /** After SIGTERM/SIGINT, how long the workers get to finish before they are killed. */
  shutdownTimeoutMs: number;
  guard?: CrashLoopGuard;
}

/**
 * Forks the workers and keeps them running: a worker that dies is replaced (with a back-off when
 * they die right after starting). SIGTERM or SIGINT is passed on to the workers as SIGTERM, and
 * each finishes its requests in flight; a second signal, or the timeout, kills them.
 *
 * Resolves, once every worker is gone, with the exit code for the primary: 0 after an orderly stop,
 * 1 when the workers failed to start, kept crashing, or had to be killed.
 */
export function superviseWorkers(options: SupervisorOptions): Promise<number> {
  return new WorkerSupervisor(options).run();
}

/** Exits during a stop that count as orderly: the worker's own handler (0), or our signal before it had one. */
function stoppedInOrder(code: number | null, signal: string | null): boolean {
  return code === 0 || signal === 'SIGTERM' || signal === 'SIGINT';
}

class WorkerSupervisor {
  private readonly logger = new Logger('Cluster');
  private readonly guard: CrashLoopGuard;
  private readonly live = new Set<Worker>();
  /** When each listening worker started listening, by worker id. */
  private readonly listeningSince = new Map<number, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private allStarted = false;
  private stopping?: { exitCode: number };
  private finish: (exitCode: number) => void = () => undefined;

  constructor(private readonly options: SupervisorOptions) {
    this.guard = options.guard ?? new CrashLoopGuard();
  }

  run(): Promise<number> {
    return new Promise<number>((resolve) => {
      this.finish = (exitCode) => {
        for (const timer of this.timers) clearTimeout(timer);
        resolve(exitCode);
      };
      cluster.on('listening', (worker, address) => this.onListening(worker, address.port));
      cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
      for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => this.onSignal(signal));
      for (let i = 0; i < this.options.workers; i++) this.fork();
    });
  }

  private fork(): void {
    const worker = cluster.fork(this.options.env);
    this.live.add(worker);
    answerStartupRequests(worker, this.options.startup);
    worker.on('error', (error: unknown) => this.logger.warn(`Worker ${worker.id}: ${errorMessage(error)}`));
  }

  private onListening(worker: Worker, port: number): void {
    this.listeningSince.set(worker.id, Date.now());
    this.later(this.guard.soundAfterMs, () => this.listeningSince.has(worker.id) && this.guard.workerSound());
    this.logger.log(`Worker ${worker.id} (pid ${worker.process.pid}) is listening`);
    if (!this.allStarted && this.listeningSince.size === this.options.workers) {
      this.allStarted = true;
      this.logger.log(`All ${this.options.workers} workers are listening on port ${port}`);
    }
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    this.live.delete(worker);
    const since = this.listeningSince.get(worker.id);
    this.listeningSince.delete(worker.id);
    const name = `Worker ${worker.id} (pid ${worker.process.pid})`;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;

    if (this.stopping) {
      if (!stoppedInOrder(code, signal)) {
        this.logger.warn(`${name} ${how} while stopping`);
        this.stopping.exitCode = 1;
      }
      if (this.live.size === 0) this.finish(this.stopping.exitCode);
      return;
    }
    if (!this.allStarted) {
      this.logger.error(`${name} ${how} while starting: stopping the service`);
      return this.stop(1);
    }
    const servedMs = since === undefined ? 0 : Date.now() - since;
    const replacement = this.guard.workerExited(servedMs);
    if (replacement === 'give-up') {
      this.logger.error(`${name} ${how}; workers keep exiting right after they start: stopping the service`);
      return this.stop(1);
    }
    const when = replacement.delayMs > 0 ? ` in ${replacement.delayMs / 1000} s` : '';
    this.logger.warn(`${name} ${how} after serving ${Math.round(servedMs / 1000)} s; starting a replacement${when}`);
    this.later(replacement.delayMs, () => this.fork());
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.stopping) return this.kill(`${signal} received again`);
    this.logger.log(`${signal} received: stopping ${this.live.size} workers, which finish their requests in flight`);
    this.stop(0);
  }

  /** Asks every worker to stop (SIGTERM: each finishes its requests); kills them after the timeout. */
  private stop(exitCode: number): void {
    this.stopping = { exitCode };
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.live.size === 0) return this.finish(exitCode);
    for (const worker of this.live) worker.process.kill('SIGTERM');
    this.later(this.options.shutdownTimeoutMs, () => this.kill(`Workers still running after ${this.options.shutdownTimeoutMs} ms`));
  }

  private kill(reason: string): void {
    this.logger.warn(`${reason}: killing ${this.live.size} workers`);
    for (const worker of this.live) worker.process.kill('SIGKILL');
    this.finish(1);
  }

  private later(ms: number, action: () => unknown): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }
}
