/**
 * The router Lambda: the only file that knows the API Gateway event shape.
 *
 * API Gateway (REST API, Lambda proxy integration with `responseTransferMode: STREAM`) invokes the
 * function through `InvokeWithResponseStream` with the ordinary proxy event (payload v1); the
 * handler writes the status and headers first (`awslambda.HttpResponseStream.from`), then the body.
 * The tenant comes from the authorizer's context (`event.requestContext.authorizer`).
 *
 * The configuration is read and validated once per execution environment, at init. An invalid
 * configuration is logged once with every problem; every request then gets a 500
 * `configuration_error` (and still its usage record).
 */
import type { Writable } from 'node:stream';
import { GatewayConfigError } from '../shared/config-error';
import { InternalError } from './errors';
import { Gateway } from './gateway';
import { BodyError, GatewayRequest, normaliseHeaders, ResponseSink } from './http';
import { HEADERS, writeError } from './pipeline/respond';
import { configPath, createGateway, loadGatewayConfig } from './runtime';
import { LogUsageSink } from './telemetry/log-sink';
import { Outcome } from './usage/types';

/** The REST API proxy event (payload format 1.0), as far as the router reads it. */
export interface RestApiProxyEvent {
  readonly httpMethod?: unknown;
  readonly path?: unknown;
  /** The API resource that matched (`/v1/chat/completions`, or `/{proxy+}`). */
  readonly resource?: unknown;
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[] | undefined>> | null;
  readonly body?: unknown;
  readonly isBase64Encoded?: unknown;
  readonly requestContext?: {
    readonly requestId?: unknown;
    readonly authorizer?: Readonly<Record<string, unknown>> | null;
  } | null;
}

/** The metadata `HttpResponseStream.from` writes before the body. */
export interface HttpResponseMetadata {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
}

/** The `awslambda` global of the Lambda Node.js runtime (response streaming). */
export interface AwsLambdaGlobal {
  streamifyResponse(
    handler: (event: RestApiProxyEvent, responseStream: Writable, context: unknown) => Promise<void>,
  ): (event: RestApiProxyEvent, responseStream: Writable, context: unknown) => Promise<void>;
  readonly HttpResponseStream: { from(stream: Writable, metadata: HttpResponseMetadata): Writable };
}

function lambdaRuntime(): AwsLambdaGlobal {
  const runtime = (globalThis as { awslambda?: AwsLambdaGlobal }).awslambda;
  if (!runtime || typeof runtime.streamifyResponse !== 'function') {
    throw new Error('The router handler needs the AWS Lambda Node.js runtime with response streaming (the awslambda global). '
      + 'To run the gateway locally, use `cdk-ai-gateway serve`.');
  }
  return runtime;
}

/** A Lambda response stream as a `ResponseSink`. */
export class LambdaResponseSink implements ResponseSink {
  private stream?: Writable;
  private ended = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(private readonly raw: Writable, private readonly runtime: AwsLambdaGlobal) {
    const closed = (): void => {
      if (this.ended) return;
      this.ended = true;
      for (const listener of this.closeListeners.splice(0)) listener();
    };
    // Best effort: the runtime reports a broken response stream this way.
    raw.once('close', closed);
    raw.once('error', closed);
  }

  start(status: number, headers: Record<string, string>): void {
    this.stream = this.runtime.HttpResponseStream.from(this.raw, { statusCode: status, headers });
  }

  async write(chunk: string): Promise<void> {
    const stream = this.stream ?? this.raw;
    if (!stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        stream.once('drain', resolve);
        stream.once('close', resolve);
      });
    }
  }

  async end(): Promise<void> {
    this.ended = true;
    const stream = this.stream ?? this.raw;
    if (stream.writableEnded) return;
    await new Promise<void>((resolve) => stream.end(resolve));
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }
}

/** Translates a REST API proxy event into the gateway's request. */
export function toGatewayRequest(event: RestApiProxyEvent, receivedAt: number, maxBodyBytes: number): GatewayRequest {
  const headers = normaliseHeaders(event.multiValueHeaders ?? event.headers ?? {});
  for (const [k, v] of Object.entries(normaliseHeaders(event.headers ?? {}))) headers[k] ??= v;
  const rawBody = typeof event.body === 'string' ? event.body : '';
  // A base64 body decodes to at most 3/4 of its length: refuse oversize bodies before decoding them.
  let body: Uint8Array = new Uint8Array(0);
  let bodyError: BodyError | undefined;
  const decodedBound = event.isBase64Encoded === true ? Math.floor(rawBody.length * 0.75) : Buffer.byteLength(rawBody, 'utf8');
  if (decodedBound > maxBodyBytes + 4) bodyError = BodyError.TOO_LARGE;
  else body = event.isBase64Encoded === true ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody, 'utf8');
  const requestId = event.requestContext?.requestId;
  // The matched resource is the path without a custom domain's base path; a proxy resource
  // (`/{proxy+}`) leaves only the raw path to go by.
  const path = typeof event.resource === 'string' && !event.resource.includes('{') ? event.resource
    : typeof event.path === 'string' ? event.path : '/';
  return {
    method: typeof event.httpMethod === 'string' ? event.httpMethod.toUpperCase() : 'GET',
    path,
    headers,
    body,
    ...(bodyError ? { bodyError } : {}),
    credentials: { kind: 'authorizer', context: event.requestContext?.authorizer ?? undefined },
    ...(typeof requestId === 'string' ? { requestId } : {}),
    receivedAt,
  };
}

let gateway: Gateway | undefined;
try {
  gateway = createGateway(loadGatewayConfig(configPath()));
} catch (error) {
  const problems = error instanceof GatewayConfigError ? error.issues : [error instanceof Error ? error.message : String(error)];
  process.stdout.write(`${JSON.stringify({ level: 'ERROR', message: 'invalid gateway configuration', 'gateway.config.problems': problems })}\n`);
}

/** Answers every request of an environment whose configuration failed to load. */
async function misconfigured(event: RestApiProxyEvent, sink: ResponseSink): Promise<void> {
  const receivedAt = Date.now();
  const requestId = typeof event.requestContext?.requestId === 'string' ? event.requestContext.requestId : 'unknown';
  const error = new InternalError('The gateway is misconfigured; its operators have been notified in its logs.', 'configuration_error');
  await writeError(sink, error, { [HEADERS.requestId]: requestId });
  await new LogUsageSink().record({
    requestId, timestamp: new Date(receivedAt).toISOString(), operation: 'other', stream: false, status: 500,
    outcome: Outcome.INTERNAL_ERROR, errorCode: error.code, attempts: 0, attemptDetails: [], fallback: false,
    inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, usageEstimated: false,
    costUsd: 0, latencyMs: Date.now() - receivedAt,
  });
}

const runtime = lambdaRuntime();

/** The handler (`index.handler`). */
export const handler = runtime.streamifyResponse(async (event, responseStream) => {
  const sink = new LambdaResponseSink(responseStream, runtime);
  if (!gateway) {
    await misconfigured(event ?? {}, sink);
    return;
  }
  const request = toGatewayRequest(event ?? {}, Date.now(), gateway.config.limits.maxBodyBytes);
  await gateway.handle(request, sink);
});
