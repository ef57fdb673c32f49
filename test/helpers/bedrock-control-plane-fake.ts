/**
 * Loopback fakes for the invocation logging handler's wire-level tests:
 * - `BedrockControlPlaneFake` plays the Bedrock control plane's model invocation logging API
 *   (`PUT|GET|DELETE /logging/modelinvocations`, restJson1, errors as `x-amzn-errortype` plus a
 *   JSON `message`), keeping the account's configuration in memory like the real service does.
 * - `CloudFormationResponseReceiver` plays the pre-signed S3 URL a custom resource answers to.
 * Both listen on 127.0.0.1 only, on a random port.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BedrockClient } from '@aws-sdk/client-bedrock';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A scripted answer: an HTTP status, an optional error type (the `x-amzn-errortype` header) and a body. */
export interface FakeAnswer {
  readonly status: number;
  readonly errorType?: string;
  readonly body?: unknown;
  /** Answer only after this many milliseconds (a slow or hanging service). */
  readonly delayMs?: number;
}

/** The shape of Bedrock's error answers. */
export function bedrockError(status: number, errorType: string, message: string): FakeAnswer {
  return { status, errorType, body: { message } };
}

const LOGGING_PATH = '/logging/modelinvocations';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

async function close(server: Server | undefined): Promise<void> {
  if (!server) return;
  // The SDK keeps connections alive; close them, or close() waits for their idle timeout.
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, a: FakeAnswer): void {
  const body = a.body === undefined ? '{}' : JSON.stringify(a.body);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': `fake-${Math.random().toString(16).slice(2, 10)}` };
  // Bedrock's error type header carries the shape id after a colon; the SDK strips it.
  if (a.errorType) headers['x-amzn-errortype'] = `${a.errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`;
  res.writeHead(a.status, headers);
  res.end(body);
}

/** The Bedrock control plane, as far as model invocation logging goes. */
export class BedrockControlPlaneFake {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  /** The account-and-Region logging configuration, as the service would hold it. */
  configuration: Record<string, unknown> | undefined;
  /** Scripted answers per method, consumed in order; when empty, the fake behaves like the service. */
  private readonly scripts: Record<string, FakeAnswer[]> = { PUT: [], GET: [], DELETE: [] };
  private server?: Server;
  endpoint = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.endpoint = await listen(this.server);
    return this;
  }

  async stop(): Promise<void> {
    await close(this.server);
  }

  /** The next answers to `method` requests, before the fake falls back to normal behaviour. */
  script(method: 'PUT' | 'GET' | 'DELETE', ...answers: FakeAnswer[]): this {
    this.scripts[method].push(...answers);
    return this;
  }

  requestsFor(method: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  /** A real SDK client pointed at this fake, with fake static credentials and a Region. */
  client(options: { maxAttempts?: number } = {}): BedrockClient {
    return new BedrockClient({
      endpoint: this.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake-secret-access-key' },
      maxAttempts: options.maxAttempts ?? 1,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = req.method ?? '';
    const path = (req.url ?? '').split('?')[0];
    this.requests.push({ method, path, headers: req.headers, body });
    if (path !== LOGGING_PATH) {
      answer(res, bedrockError(404, 'UnknownOperationException', `No operation at ${method} ${path}`));
      return;
    }
    const scripted = this.scripts[method]?.shift();
    if (scripted) {
      if (scripted.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs).unref());
      if (!res.destroyed) answer(res, scripted);
      return;
    }
    switch (method) {
      case 'PUT': {
        const parsed = JSON.parse(body) as { loggingConfig?: Record<string, unknown> };
        this.configuration = parsed.loggingConfig;
        answer(res, { status: 200 });
        return;
      }
      case 'GET':
        answer(res, { status: 200, body: this.configuration ? { loggingConfig: this.configuration } : {} });
        return;
      case 'DELETE':
        this.configuration = undefined;
        answer(res, { status: 200 });
        return;
      default:
        answer(res, bedrockError(405, 'ValidationException', `Method ${method} not allowed`));
    }
  }
}

/** The pre-signed S3 URL a custom resource PUTs its response document to. */
export class CloudFormationResponseReceiver {
  readonly received: RecordedRequest[] = [];
  /** Statuses to answer with, consumed in order; 200 afterwards. */
  readonly statuses: number[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void readBody(req).then((body) => {
        this.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
        res.writeHead(this.statuses.shift() ?? 200);
        res.end();
      });
    });
    const base = await listen(this.server);
    // Shaped like a pre-signed URL, so tests can check it never reaches the logs.
    this.url = `${base}/cloudformation-custom-resource-response-euwest1/stack%7Cresource%7Crequest?X-Amz-Signature=secret-signature-value&X-Amz-Expires=7200`;
    return this;
  }

  async stop(): Promise<void> {
    await close(this.server);
  }

  /** The last response document, parsed. */
  lastResponse(): Record<string, unknown> {
    const last = this.received.at(-1);
    if (!last) throw new Error('No response was sent to the ResponseURL.');
    return JSON.parse(last.body) as Record<string, unknown>;
  }
}
