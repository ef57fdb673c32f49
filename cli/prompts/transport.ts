/**
 * How `prompts eval` reaches a gateway: in-process over a configuration file (local mode, the same
 * pipeline as `serve`), or over HTTP to a deployed base URL with a tenant key.
 */
import { Gateway } from '../../lambda/router/gateway';
import { GatewayRequest, ResponseSink } from '../../lambda/router/http';
import { createGateway } from '../../lambda/router/runtime';
import { UsageRecord, UsageSink } from '../../lambda/router/usage/types';
import { ResolvedGatewayConfig } from '../../lambda/shared/defaults';

/** One answer, as the evaluation sees it. */
export interface EvalAnswer {
  readonly status: number;
  /** The answer text (200 only). */
  readonly text: string;
  /** The error message (non-200 only). */
  readonly error?: string;
  /** The `x-gateway-prompt` header: the version the gateway resolved. */
  readonly prompt?: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly latencyMs: number;
}

/** Sends one chat completion request body. */
export interface EvalTransport {
  chat(body: Record<string, unknown>): Promise<EvalAnswer>;
}

function answerOf(status: number, headers: Record<string, string>, bodyText: string, latencyMs: number): EvalAnswer {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(bodyText) as Record<string, unknown>;
  } catch {
    // A non-JSON body is reported as the error below.
  }
  const usage = (body.usage ?? {}) as Record<string, unknown>;
  const choices = Array.isArray(body.choices) ? body.choices as { message?: { content?: unknown } }[] : [];
  const content = choices[0]?.message?.content;
  const error = (body.error ?? undefined) as { message?: unknown; code?: unknown } | undefined;
  return {
    status,
    text: typeof content === 'string' ? content : '',
    ...(status !== 200 ? { error: error ? `${String(error.code)}: ${String(error.message)}` : bodyText.slice(0, 200) } : {}),
    ...(headers['x-gateway-prompt'] !== undefined ? { prompt: headers['x-gateway-prompt'] } : {}),
    inputTokens: typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : 0,
    outputTokens: typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0,
    costUsd: Number(headers['x-gateway-cost-usd'] ?? 0) || 0,
    latencyMs,
  };
}

class CollectingSink implements ResponseSink {
  status = 0;
  headers: Record<string, string> = {};
  private readonly chunks: string[] = [];

  start(status: number, headers: Record<string, string>): void {
    this.status = status;
    this.headers = headers;
  }

  async write(chunk: string): Promise<void> {
    this.chunks.push(chunk);
  }

  async end(): Promise<void> {}

  onClose(): void {}

  get body(): string {
    return this.chunks.join('');
  }
}

/** The gateway in this process, over a configuration; the caller is `tenantId` (or a local key). */
export class LocalTransport implements EvalTransport {
  /** Every request's usage record, as the ledger would get it. */
  readonly usage = new CollectedUsage();
  private readonly gateway: Gateway;

  constructor(config: ResolvedGatewayConfig, private readonly caller: { readonly tenantId?: string; readonly apiKey?: string }, private readonly now: () => number = Date.now) {
    this.gateway = createGateway(config, { usageSink: this.usage });
  }

  async chat(body: Record<string, unknown>): Promise<EvalAnswer> {
    const started = this.now();
    const request: GatewayRequest = {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', ...(this.caller.apiKey ? { authorization: `Bearer ${this.caller.apiKey}` } : {}) },
      body: Buffer.from(JSON.stringify(body), 'utf8'),
      credentials: this.caller.apiKey ? { kind: 'bearer' } : { kind: 'authorizer', context: { tenantId: this.caller.tenantId } },
      receivedAt: started,
    };
    const sink = new CollectingSink();
    await this.gateway.handle(request, sink);
    return answerOf(sink.status, sink.headers, sink.body, this.now() - started);
  }
}

/** A deployed gateway: `POST {baseUrl}/chat/completions` with a tenant key. */
export class HttpTransport implements EvalTransport {
  constructor(
    private readonly baseUrl: string, private readonly apiKey: string,
    private readonly timeoutMs = 120_000, private readonly now: () => number = Date.now,
  ) {}

  async chat(body: Record<string, unknown>): Promise<EvalAnswer> {
    const started = this.now();
    try {
      const res = await fetch(`${this.baseUrl.replace(/\/+$/, '')}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.apiKey}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      const headers: Record<string, string> = {};
      res.headers.forEach((value, name) => { headers[name] = value; });
      return answerOf(res.status, headers, text, this.now() - started);
    } catch (error) {
      return {
        status: 0, text: '', error: `request failed: ${error instanceof Error ? error.message : String(error)}`,
        inputTokens: 0, outputTokens: 0, costUsd: 0, latencyMs: this.now() - started,
      };
    }
  }
}

/** The usage records of the in-process gateway, kept for the evaluation's tokens and cost. */
class CollectedUsage implements UsageSink {
  readonly records: UsageRecord[] = [];

  async record(record: UsageRecord): Promise<void> {
    this.records.push(record);
  }
}
