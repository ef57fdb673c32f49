/**
 * Span exporters. `enqueue()` never blocks, never throws and never does I/O on the caller's turn:
 * the spans wait in a bounded queue (a full queue drops the new spans and counts them) and go out
 * in the background (a timer) or when the owner calls `flush()` — the Lambda entry does, after the
 * answer was sent, so export is never on the answer's critical path.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { stdoutLine } from '../telemetry/stdout';
import { otlpTraceRequest } from './otlp-json';
import { Attributes, FinishedSpan } from './spans';

export interface SpanExporter {
  /** Queues a request's spans; drops (and counts) what does not fit. */
  enqueue(spans: readonly FinishedSpan[]): void;
  /** Sends what is queued; resolves when done or given up, never rejects. */
  flush(): Promise<void>;
  /** Spans dropped so far (full queue, failed sends). */
  readonly dropped: number;
}

/** Keeps every span in memory: for tests and for local inspection. */
export class InMemorySpanExporter implements SpanExporter {
  readonly spans: FinishedSpan[] = [];
  readonly dropped = 0;

  enqueue(spans: readonly FinishedSpan[]): void {
    this.spans.push(...spans);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }
}

/** Writes each request's spans as one JSON line (`{"traces": <OTLP JSON>}`) to a writer (default stderr). */
export class ConsoleSpanExporter implements SpanExporter {
  readonly dropped = 0;

  constructor(
    private readonly resource: Readonly<Attributes>,
    private readonly write: (line: Record<string, unknown>) => void = (line) => process.stderr.write(`${JSON.stringify(line)}\n`),
  ) {}

  enqueue(spans: readonly FinishedSpan[]): void {
    try {
      if (spans.length > 0) this.write({ traces: otlpTraceRequest(spans, this.resource) });
    } catch {
      // A console exporter that cannot write must not fail the request.
    }
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }
}

/** Adds headers to an outgoing export request (SigV4 for X-Ray). */
export type RequestSigner = (url: URL, body: string, headers: Record<string, string>) => Promise<Record<string, string>>;

export interface OtlpHttpExporterOptions {
  /** The traces URL, e.g. `https://xray.us-east-1.amazonaws.com/v1/traces` or `http://127.0.0.1:4318/v1/traces`. */
  readonly url: string;
  /** Attributes of the resource (`service.name`, `cloud.region`, …). */
  readonly resource: Readonly<Attributes>;
  /** @default none (unsigned) */
  readonly sign?: RequestSigner;
  /** Extra headers (OTEL_EXPORTER_OTLP_HEADERS). @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Most spans queued; more are dropped. @default 2048 */
  readonly maxQueueSpans?: number;
  /** Most spans per export request (X-Ray takes at most 10,000). @default 512 */
  readonly maxBatchSpans?: number;
  /** One export request's deadline. @default 2000 */
  readonly timeoutMs?: number;
  /** Delay before a background flush; 0 = only on `flush()`. @default 1000 */
  readonly scheduledDelayMs?: number;
  /**
   * Posts one export request; resolves with the status and (the start of) the body.
   * @default node:http / node:https (not `fetch`: the router loads no undici otherwise, and its first use costs a cold start)
   */
  readonly post?: (url: URL, headers: Record<string, string>, body: string, timeoutMs: number) => Promise<{ status: number; body: string }>;
  /**
   * Where export failures are reported: one line at the first failure, then at most one per
   * `failureLogIntervalMs` (an account without Transaction Search refuses every export).
   * @default a JSON line on stdout
   */
  readonly log?: (line: Record<string, unknown>) => void;
  /** @default 60000 */
  readonly failureLogIntervalMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** OTLP/HTTP JSON exporter (to X-Ray's OTLP endpoint with SigV4, or any OTLP collector). */
export class OtlpHttpExporter implements SpanExporter {
  private queue: FinishedSpan[] = [];
  private droppedSpans = 0;
  private lastFailureLogAt = Number.NEGATIVE_INFINITY;
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private readonly url: URL;
  private readonly maxQueue: number;
  private readonly maxBatch: number;

  constructor(private readonly options: OtlpHttpExporterOptions) {
    this.url = new URL(options.url);
    this.maxQueue = options.maxQueueSpans ?? 2048;
    this.maxBatch = options.maxBatchSpans ?? 512;
  }

  get dropped(): number {
    return this.droppedSpans;
  }

  /** Spans waiting to be sent. */
  get queued(): number {
    return this.queue.length;
  }

  enqueue(spans: readonly FinishedSpan[]): void {
    const room = this.maxQueue - this.queue.length;
    if (spans.length > room) this.droppedSpans += spans.length - Math.max(0, room);
    if (room > 0) this.queue.push(...(spans.length > room ? spans.slice(0, room) : spans));
    const delay = this.options.scheduledDelayMs ?? 1000;
    if (delay > 0 && this.queue.length > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, delay);
      this.timer.unref();
    }
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // One flush at a time; a flush called meanwhile sends what arrived after it.
    const previous = this.sending ?? Promise.resolve();
    const next = previous.then(() => this.drain());
    this.sending = next.finally(() => {
      if (this.sending === next) this.sending = undefined;
    });
    return next;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.send(batch);
      } catch (error) {
        this.droppedSpans += batch.length;
        const now = (this.options.now ?? Date.now)();
        if (now - this.lastFailureLogAt < (this.options.failureLogIntervalMs ?? 60_000)) continue;
        this.lastFailureLogAt = now;
        (this.options.log ?? stdoutLine)({
          level: 'WARN', message: 'trace export failed', 'gateway.trace.dropped_spans': batch.length,
          'gateway.trace.dropped_total': this.droppedSpans, 'error.type': error instanceof Error ? error.message.slice(0, 200) : 'error',
        });
      }
    }
  }

  private async send(batch: readonly FinishedSpan[]): Promise<void> {
    const body = JSON.stringify(otlpTraceRequest(batch, this.options.resource));
    let headers: Record<string, string> = { ...this.options.headers, 'content-type': 'application/json', host: this.url.host };
    if (this.options.sign) headers = await this.options.sign(this.url, body, headers);
    const { host: _host, ...sent } = headers;
    const response = await (this.options.post ?? postOnce)(this.url, sent, body, this.options.timeoutMs ?? 2000);
    if (response.status < 200 || response.status > 299) throw new Error(`HTTP ${response.status} ${response.body.slice(0, 120)}`);
  }
}

/** One POST with a deadline over node:http(s), on a kept-alive connection. */
function postOnce(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, {
      method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: timeoutMs,
      agent: url.protocol === 'https:' ? KEEP_ALIVE.https : KEEP_ALIVE.http,
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { if (text.length < 1024) text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on('error', reject);
    });
    const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    request.on('close', () => clearTimeout(deadline));
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

const KEEP_ALIVE = { http: new http.Agent({ keepAlive: true, maxSockets: 2 }), https: new https.Agent({ keepAlive: true, maxSockets: 2 }) };
