/**
 * HTTP for OpenAI-compatible upstreams: node `http`/`https` with one keep-alive `Agent` per origin,
 * created once per function instance, so a warm function reuses its connections.
 *
 * Every request runs under a `CallGuard` (../call-guard.ts):
 * - connect timeout: a timer from the moment a new socket starts connecting until it connects
 *   (sockets reused from the pool skip it); when it fires, the request is destroyed and the call
 *   fails with a retryable `connectTimeout`;
 * - overall deadline and the router's abort: the guard's signal destroys the request — whether
 *   the headers never came or the body stalled mid-stream — and the call fails with `timeout` or
 *   `aborted`;
 * - body size: an answer longer than `maxBodyBytes` (declared or received) is cut and fails with a
 *   fallback `responseTooLarge`;
 * - a pooled socket the server closed while it sat idle (reset before any answer, on a reused
 *   socket) is retried once on a fresh connection: the request never reached the upstream's
 *   application, so this is a reconnect, not a model-call retry (Node.js documents the pattern
 *   with `request.reusedSocket`).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { UpstreamError } from '../../errors';
import type { CallGuard } from '../call-guard';

export interface HttpTransportOptions {
  /** Sockets per origin: the concurrency one function instance can use. @default 50 */
  readonly maxSockets?: number;
  /** Initial delay of TCP keep-alive probes on idle sockets, in ms. @default 1000 */
  readonly keepAliveMsecs?: number;
  /**
   * The largest upstream body, JSON or event stream, in bytes. A longer one is cut and the call
   * fails with a fallback `responseTooLarge`: an upstream that never stops cannot make the router
   * buffer without bound. A streamed answer of 8,192 tokens is about 2 MiB of server-sent events.
   * @default 33554432 (32 MiB)
   */
  readonly maxBodyBytes?: number;
}

/** Default of `HttpTransportOptions.maxBodyBytes`. */
export const DEFAULT_MAX_UPSTREAM_BODY_BYTES = 32 * 1024 * 1024;

export interface TransportRequest {
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** An answer whose body has not been read yet. Read it, or `discard()` it. */
export interface TransportResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The body's bytes as they arrive. Throws when the connection breaks or the guard stops the call. */
  chunks(): AsyncIterable<Buffer>;
  /** The whole body as UTF-8. */
  text(): Promise<string>;
  /** Gives up on the body: destroys the connection unless the body was read to its end. */
  discard(): void;
}

/**
 * @example
 * const transport = new HttpTransport();
 * const res = await transport.send({ url, method: 'POST', headers, body }, guard, 1000);
 * const text = await res.text();
 */
export class HttpTransport {
  private readonly agents = new Map<string, http.Agent>();

  constructor(private readonly options: HttpTransportOptions = {}) {}

  /** Number of agents (origins) created so far. */
  get agentCount(): number {
    return this.agents.size;
  }

  /** Sends a request; resolves when the status line and headers arrive. */
  send(request: TransportRequest, guard: CallGuard, connectTimeoutMs: number): Promise<TransportResponse> {
    return this.attempt(request, guard, connectTimeoutMs, true);
  }

  /** Destroys every agent and its sockets (tests; a function instance never needs it). */
  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private agentFor(url: URL): http.Agent {
    let agent = this.agents.get(url.origin);
    if (!agent) {
      const options: http.AgentOptions = {
        keepAlive: true,
        keepAliveMsecs: this.options.keepAliveMsecs ?? 1000,
        maxSockets: this.options.maxSockets ?? 50,
        scheduling: 'lifo',
      };
      agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
      this.agents.set(url.origin, agent);
    }
    return agent;
  }

  private attempt(request: TransportRequest, guard: CallGuard, connectTimeoutMs: number, mayReconnect: boolean): Promise<TransportResponse> {
    return new Promise<TransportResponse>((resolve, reject) => {
      if (guard.signal.aborted) {
        reject(guard.signal.reason);
        return;
      }
      const lib = request.url.protocol === 'https:' ? https : http;
      const headers: Record<string, string> = { ...request.headers };
      if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
      const req = lib.request(request.url, { method: request.method, headers, agent: this.agentFor(request.url) });
      let connectTimer: NodeJS.Timeout | undefined;
      let answered = false;

      const onAbort = (): void => { req.destroy(guard.signal.reason instanceof Error ? guard.signal.reason : new Error('aborted')); };
      guard.signal.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => {
        clearTimeout(connectTimer);
        guard.signal.removeEventListener('abort', onAbort);
      });

      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        connectTimer = setTimeout(() => {
          req.destroy(new UpstreamError(`could not connect to ${request.url.origin} within ${connectTimeoutMs} ms`, {
            disposition: 'retryable',
            code: 'connectTimeout',
          }));
        }, connectTimeoutMs);
        socket.once('connect', () => clearTimeout(connectTimer));
      });

      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(connectTimer);
        if (answered) return; // the response stream reports it
        if (mayReconnect && req.reusedSocket && !guard.signal.aborted && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
          this.attempt(request, guard, connectTimeoutMs, false).then(resolve, reject);
          return;
        }
        reject(error);
      });

      req.on('response', (res: http.IncomingMessage) => {
        answered = true;
        // An error on the response (connection cut, guard abort) surfaces through its iterator.
        res.on('error', () => undefined);
        resolve(wrapResponse(req, res, this.options.maxBodyBytes ?? DEFAULT_MAX_UPSTREAM_BODY_BYTES));
      });

      if (request.body !== undefined) req.end(request.body);
      else req.end();
    });
  }
}

function tooLarge(maxBodyBytes: number): UpstreamError {
  return new UpstreamError(`the upstream answer is larger than ${maxBodyBytes} bytes`, { disposition: 'fallback', code: 'responseTooLarge' });
}

function wrapResponse(req: http.ClientRequest, res: http.IncomingMessage, maxBodyBytes: number): TransportResponse {
  async function* chunks(): AsyncGenerator<Buffer, void, undefined> {
    const declared = Number(res.headers['content-length']);
    let received = 0;
    try {
      if (declared > maxBodyBytes) throw tooLarge(maxBodyBytes);
      for await (const chunk of res as AsyncIterable<Buffer>) {
        received += chunk.byteLength;
        if (received > maxBodyBytes) throw tooLarge(maxBodyBytes);
        yield chunk;
      }
    } catch (error) {
      // The rest of an oversized body is not read: the connection is closed, not returned to the pool.
      if (error instanceof UpstreamError) req.destroy();
      throw error;
    }
    // A body that ends without its last chunk (or Content-Length) was cut.
    if (!res.complete) throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
  }
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    chunks,
    text: async () => {
      const parts: Buffer[] = [];
      for await (const chunk of chunks()) parts.push(chunk);
      return Buffer.concat(parts).toString('utf8');
    },
    discard: () => {
      if (!res.complete) req.destroy();
    },
  };
}
