import { Agent, Dispatcher, request } from 'undici';
import { signedWebhookHeaders } from './standard-webhooks';

/** What a receiver answered: its status and, read up to a limit, its body. */
export interface SignedPostAnswer {
  status: number;
  /** Undefined when the body was longer than the limit. */
  body?: string;
}

export interface SignedPost {
  url: string;
  key: Buffer;
  id: string;
  timestampSeconds: number;
  body: string;
  timeoutMs: number;
  /** Bytes of the answer read at most; 0: the body is thrown away (the status is all that counts). */
  maxAnswerBytes: number;
}

/** Connections to a hook are kept open between calls: a login should not pay for a TCP (and TLS) handshake. */
export function keepAliveAgent(): Agent {
  return new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });
}

/**
 * POSTs a JSON body signed as Standard Webhooks asks, within `timeoutMs` for the whole exchange.
 * Throws on a network failure or time-out; any HTTP status is an answer.
 */
export async function postSigned(dispatcher: Dispatcher, post: SignedPost): Promise<SignedPostAnswer> {
  const response = await request(post.url, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/json', ...signedWebhookHeaders(post.key, post.id, post.timestampSeconds, post.body) },
    body: post.body,
    headersTimeout: post.timeoutMs,
    bodyTimeout: post.timeoutMs,
    signal: AbortSignal.timeout(post.timeoutMs),
  });
  if (post.maxAnswerBytes === 0) {
    // Read and dropped (undici stops after a small limit), so the connection can serve the next call.
    await response.body.dump();
    return { status: response.statusCode };
  }
  return { status: response.statusCode, body: await readLimited(response.body, post.maxAnswerBytes) };
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): unknown }, maxBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
