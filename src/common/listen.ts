import { Server } from 'node:net';

/** Starts `server` listening; rejects (for example with EADDRINUSE) instead of emitting an unhandled error. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
