import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { bearerToken, sameSecret } from '../common/credentials';
import { listen } from '../common/listen';

export interface MetricsServerOptions {
  port: number;
  host: string;
  /** When set, a scrape must bring it as a bearer token. */
  token?: string;
  /** The exposition: Prometheus' text format and its content type. */
  collect(): Promise<{ contentType: string; body: string }>;
}

/**
 * `GET /metrics` on a port of its own (METRICS_PORT), outside the API's middleware, so it can be
 * kept off the public network; a single process serves its own numbers, a cluster's primary the
 * sum of its workers'.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => void answer(req, res, options));
  await listen(server, options.port, options.host);
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server) };
}

async function answer(req: IncomingMessage, res: ServerResponse, options: MetricsServerOptions): Promise<void> {
  if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') return send(res, 404, 'text/plain', 'not found\n');
  if (options.token !== undefined && !sameSecret(bearerToken(req) ?? '', options.token)) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    return send(res, 401, 'text/plain', 'a bearer key is required\n');
  }
  try {
    const { contentType, body } = await options.collect();
    send(res, 200, contentType, body);
  } catch {
    // A worker that did not answer in time: no partial sums, Prometheus marks the scrape failed.
    send(res, 503, 'text/plain', 'metrics unavailable\n');
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  res.end(body);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
