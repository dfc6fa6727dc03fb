import type { Worker } from 'node:cluster';
import type { MesiboEndpointOverride } from '../mesibo/mesibo.settings';

/** What the primary made once for all workers and hands each of them as it starts. */
export interface WorkerStartup {
  /** The built-in mesibo simulator, when the primary runs one (no MESIBO_APP_TOKEN, development). */
  mesibo?: MesiboEndpointOverride;
}

const REQUEST = 'worker-startup-request';
const REPLY = 'worker-startup';

interface StartupReply {
  type: typeof REPLY;
  startup: WorkerStartup;
}

/**
 * In a worker: asks the primary for its startup and waits for the answer. The worker asks (rather
 * than the primary sending at fork) so the answer cannot arrive before anyone listens for it.
 */
export function startupFromPrimary(timeoutMs = 30_000): Promise<WorkerStartup> {
  const send = process.send?.bind(process);
  if (!send) return Promise.reject(new Error('not a cluster worker: no channel to the primary'));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      // Such as a worker of another cluster (a process manager's cluster mode) with CLUSTER_WORKERS set.
      reject(new Error(`CLUSTER_WORKERS is above 1, but this worker's primary did not answer within ${timeoutMs} ms: is it a worker of another cluster?`));
    }, timeoutMs);
    const onMessage = (message: unknown): void => {
      if (!isReply(message)) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(message.startup);
    };
    process.on('message', onMessage);
    send({ type: REQUEST });
  });
}

/** In the primary: answers `worker`'s startup request, now and whenever it asks. */
export function answerStartupRequests(worker: Worker, startup: WorkerStartup): void {
  worker.on('message', (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type !== REQUEST) return;
    const reply: StartupReply = { type: REPLY, startup };
    // A worker that died meanwhile is reported by its exit; the failed send needs no report.
    worker.send(reply, undefined, undefined, () => undefined);
  });
}

function isReply(message: unknown): message is StartupReply {
  return (message as { type?: unknown } | null)?.type === REPLY;
}
