/**
 * Local mode: the gateway's `handle()` behind a plain Node.js HTTP server, for development against
 * local OpenAI-compatible servers and for end-to-end tests. Tenants authenticate with
 * `Authorization: Bearer <key>`, looked up by SHA-256 in the configuration's `localKeys`.
 *
 * Same pipeline, same answers and headers as the deployed gateway; differences: no authorizer, no
 * usage plans, no WAF, and usage records go to stdout (or the sink given).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gateway } from '../gateway';
import { BatchingResponseSink, hasHeader } from '../batching-sink';
import { BodyError, GatewayRequest, normaliseHeaders } from '../http';

export interface LocalServerOptions {
  readonly gateway: Gateway;
  /** @default 8787 */
  readonly port?: number;
  /** @default '127.0.0.1' (local only) */
  readonly host?: string;
  /** Time allowed to receive a request body, in ms. @default 30000 */
  readonly bodyTimeoutMs?: number;
}

export interface LocalServer {
  /** `http://<host>:<port>/v1`, the base URL for OpenAI clients. */
  readonly baseUrl: string;
  readonly port: number;
  readonly server: http.Server;
  /** Stops accepting connections and closes the open ones. */
  close(): Promise<void>;
}

/**
 * A Node.js response as a `ResponseSink`, with the shared write batching (../batching-sink.ts): a
 * JSON answer goes out as one write with `Content-Length`; a stream sends its headers with its
 * first event(s), and all the events decoded from one upstream read in one write.
 */
class NodeResponseSink extends BatchingResponseSink {
  constructor(private readonly res: http.ServerResponse) {
    super();
    res.once('close', () => {
      if (!res.writableFinished) this.clientGone();
    });
  }

  protected closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  protected sendHead(status: number, headers: Record<string, string>, wholeBody: string | undefined): void {
    if (this.res.headersSent) return;
    const lengthAllowed = wholeBody !== undefined && status >= 200 && status !== 204 && status !== 304
      && !hasHeader(headers, 'content-length') && !hasHeader(headers, 'transfer-encoding');
    this.res.writeHead(status, lengthAllowed ? { ...headers, 'content-length': String(Buffer.byteLength(wholeBody)) } : headers);
  }

  protected writeBody(chunk: string): boolean {
    return this.res.write(chunk);
  }

  protected drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.once('drain', done);
      this.res.once('close', done);
    });
  }

  protected endBody(body: string): Promise<void> {
    return new Promise((resolve) => {
      // 'finish' never comes when the connection breaks during the last write: 'close' does.
      this.res.once('close', resolve);
      this.res.end(body, resolve);
    });
  }

  protected endClosed(): Promise<void> {
    return Promise.resolve();
  }
}

/** A plain absolute path: letters, digits, `-`, `_`, single slashes (no dots, escapes or query). */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_-]+)+\/?$|^\/$/;

/**
 * The request target's path and query. A plain path (every API path) is taken as it is, which is
 * what the WHATWG URL parser would return for it; anything else goes through the parser.
 */
function parseTarget(target: string): { path: string; query: Record<string, string> } {
  if (PLAIN_PATH.test(target)) return { path: target, query: {} };
  const url = new URL(target, 'http://localhost');
  return { path: url.pathname, query: Object.fromEntries(url.searchParams.entries()) };
}

/**
 * Reads a body up to `limit` bytes. Beyond it nothing more is kept: the bytes up to the limit are
 * the `prefix` (the gateway names the field they end in) and the rest is read and discarded until
 * the body ends (or the body timeout), then the result is TOO_LARGE. The answer goes out after the
 * client's upload: an answer sent mid-upload makes some HTTP clients (undici's fetch, which the
 * openai SDK uses) drop the connection and report a connection error instead of the answer.
 */
function readBody(req: http.IncomingMessage, limit: number, timeoutMs: number): Promise<{ body: Uint8Array; error?: BodyError; prefix?: Uint8Array }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let prefix: Buffer | undefined;
    let settled = false;
    const finish = (result: { body: Uint8Array; error?: BodyError; prefix?: Uint8Array }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      resolve(result);
    };
    const tooLarge = (): void => finish({ body: new Uint8Array(0), error: BodyError.TOO_LARGE, prefix });
    const timer = setTimeout(() => {
      if (prefix) tooLarge();
      else finish({ body: new Uint8Array(0), error: BodyError.TIMEOUT });
      // Drain the rest without keeping it, so the answer can still be written.
      req.resume();
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      if (prefix) return;
      if (size + chunk.length > limit) {
        chunks.push(chunk.subarray(0, limit - size));
        prefix = Buffer.concat(chunks);
        chunks.length = 0;
        return;
      }
      size += chunk.length;
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => (prefix ? tooLarge() : finish({ body: Buffer.concat(chunks) })));
    req.once('error', () => finish({ body: new Uint8Array(0), error: BodyError.TIMEOUT }));
  });
}

/**
 * Starts the local gateway server.
 *
 * @example
 * const server = await startLocalServer({ gateway: createGateway(loadGatewayConfig('gateway.json')), port: 8787 });
 * // OpenAI clients: baseURL = server.baseUrl
 */
export function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const { gateway } = options;
  const host = options.host ?? '127.0.0.1';
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 30_000;
  const server = http.createServer((req, res) => {
    const receivedAt = Date.now();
    const { path, query } = parseTarget(req.url ?? '/');
    void readBody(req, gateway.maxBodyBytes(path), bodyTimeoutMs).then(async ({ body, error, prefix }) => {
      const request: GatewayRequest = {
        method: (req.method ?? 'GET').toUpperCase(),
        path,
        query,
        headers: normaliseHeaders(req.headers),
        body,
        ...(error ? { bodyError: error } : {}),
        ...(prefix ? { bodyPrefix: prefix } : {}),
        credentials: { kind: 'bearer' },
        receivedAt,
      };
      await gateway.handle(request, new NodeResponseSink(res));
    }).catch(() => {
      // handle() never throws; this is a last resort that keeps the process alive.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'The gateway failed to process this request.', type: 'api_error', code: 'internal_error', param: null } }));
    });
  });
  // Node's own request timeout answers with a non-OpenAI body; the gateway enforces its own limits.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  // Keep idle connections well beyond what clients expect (undici reuses a socket until 1 s before
  // the server's advertised keep-alive timeout): with Node's 5 s default, a client on a loaded
  // machine can reuse a socket the server is closing and see ECONNRESET for a request it never got.
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        baseUrl: `http://${shownHost}:${port}/v1`,
        port,
        server,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}
