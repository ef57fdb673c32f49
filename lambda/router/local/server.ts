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
import { BodyError, GatewayRequest, normaliseHeaders, ResponseSink } from '../http';

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
 * A Node.js response as a `ResponseSink`, with as few socket writes as possible.
 *
 * The status and headers are held until the first flush, and body pieces written in one turn of
 * the event loop are joined and flushed together (`setImmediate`, i.e. right after the I/O that
 * produced them, so the first byte is not delayed). A response that ends before its first flush —
 * every JSON answer — goes out as one write with `Content-Length`; a stream sends its headers with
 * its first event(s), and all the events decoded from one upstream read in one write.
 */
class NodeResponseSink implements ResponseSink {
  private readonly listeners: (() => void)[] = [];
  private head: { readonly status: number; readonly headers: Record<string, string> } | undefined;
  private pending: string[] = [];
  private flushScheduled = false;
  private draining: Promise<void> | undefined;

  constructor(private readonly res: http.ServerResponse) {
    res.once('close', () => {
      if (!res.writableFinished) for (const listener of this.listeners.splice(0)) listener();
    });
  }

  start(status: number, headers: Record<string, string>): void {
    if (this.res.headersSent || this.head) return;
    this.head = { status, headers };
  }

  write(chunk: string): Promise<void> {
    if (this.res.destroyed || this.res.writableEnded) return Promise.resolve();
    if (chunk.length > 0) this.pending.push(chunk);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return this.draining ?? Promise.resolve();
  }

  end(): Promise<void> {
    return new Promise((resolve) => {
      if (this.res.writableEnded || this.res.destroyed) {
        resolve();
        return;
      }
      const body = this.takePending();
      if (this.head && !this.res.headersSent) {
        const { status, headers } = this.head;
        this.head = undefined;
        const lengthAllowed = status >= 200 && status !== 204 && status !== 304
          && !hasHeader(headers, 'content-length') && !hasHeader(headers, 'transfer-encoding');
        this.res.writeHead(status, lengthAllowed ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers);
      }
      this.res.end(body, () => resolve());
    });
  }

  onClose(listener: () => void): void {
    if (this.res.destroyed && !this.res.writableFinished) listener();
    else this.listeners.push(listener);
  }

  private takePending(): string {
    const body = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    return body;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.res.destroyed || this.res.writableEnded) {
      this.pending = [];
      return;
    }
    if (this.head && !this.res.headersSent) {
      this.res.writeHead(this.head.status, this.head.headers);
      this.head = undefined;
    }
    if (this.pending.length === 0) return;
    if (this.res.write(this.takePending()) || this.draining) return;
    this.draining = new Promise((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        this.draining = undefined;
        resolve();
      };
      this.res.once('drain', done);
      this.res.once('close', done);
    });
  }
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/** Reads a body up to `limit` bytes; beyond it stops reading and reports TOO_LARGE. */
function readBody(req: http.IncomingMessage, limit: number, timeoutMs: number): Promise<{ body: Uint8Array; error?: BodyError }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: { body: Uint8Array; error?: BodyError }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      resolve(result);
    };
    const timer = setTimeout(() => {
      finish({ body: new Uint8Array(0), error: BodyError.TIMEOUT });
      req.resume();
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        finish({ body: new Uint8Array(0), error: BodyError.TOO_LARGE });
        // Drain the rest without keeping it, so the answer can still be written.
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      finish({ body: new Uint8Array(0), error: BodyError.TOO_LARGE });
      req.resume();
      return;
    }
    req.on('data', onData);
    req.once('end', () => finish({ body: Buffer.concat(chunks) }));
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
    const url = new URL(req.url ?? '/', 'http://localhost');
    void readBody(req, gateway.config.limits.maxBodyBytes, bodyTimeoutMs).then(async ({ body, error }) => {
      const request: GatewayRequest = {
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams.entries()),
        headers: normaliseHeaders(req.headers),
        body,
        ...(error ? { bodyError: error } : {}),
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
