/**
 * The router Lambda: the only module that knows the API Gateway event shape. The bundle's entry
 * (index.mts) loads the configuration with top-level `await`, then exports the handler built here.
 *
 * API Gateway (REST API, Lambda proxy integration with `responseTransferMode: STREAM`) invokes the
 * function through `InvokeWithResponseStream` with the ordinary proxy event (payload v1); the
 * handler writes the status and headers first (`awslambda.HttpResponseStream.from`), then the body.
 * The tenant comes from the authorizer's context (`event.requestContext.authorizer`).
 *
 * The configuration is loaded and validated once per execution environment, at init, from AWS
 * AppConfig (deployed) or a file (see ./config-source), and the load is logged in one line with
 * its source and version. When it fails, one line lists every problem and names the source; every
 * request then gets a 500 `configuration_error` (and still its usage record). A configuration that
 * could not be fetched (AppConfig error, throttling, timeout) is fetched again on a later request,
 * at most once per retry interval, so a throttled cold start does not break its environment for
 * good; an invalid configuration is not (the next version replaces the environment).
 */
import type { Writable } from 'node:stream';
import {
  CONFIG_VERSION_ENV, ConfigLoadError, configSourceFields, ConfigProblemKind, Env, envValue, LoadConfigOptions, loadConfig, LoadedGatewayConfig,
} from './config-source';
import { InternalError } from './errors';
import { Gateway, GatewayOptions } from './gateway';
import { BatchingResponseSink } from './batching-sink';
import { BodyError, GatewayRequest, normaliseHeaders, ResponseSink } from './http';
import { HEADERS, writeError } from './pipeline/respond';
import { createGateway } from './runtime';
import { BATCH_TABLE_ENV } from '../shared/batch-table-schema';
import { LogUsageSink } from './telemetry/log-sink';
import { Outcome } from './usage/types';
import { CONTROLS_ENV } from '../shared/incident-controls-schema';
import { APPROVALS_ENV } from '../shared/approvals-schema';
import { USAGE_TABLE_ENV } from '../shared/usage-table-schema';
import { REVIEW_ENV } from '../shared/review-table-schema';
import { usesValidatorFunctions } from './validation/function-validator';
import { stdoutLine } from './telemetry/stdout';
import { SpanExporter } from './tracing/exporter';
import { spanExporterFromEnv } from './tracing/from-env';

/** The REST API proxy event (payload format 1.0), as far as the router reads it. */
export interface RestApiProxyEvent {
  readonly httpMethod?: unknown;
  readonly path?: unknown;
  /** The API resource that matched (`/v1/chat/completions`, or `/{proxy+}`). */
  readonly resource?: unknown;
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[] | undefined>> | null;
  readonly body?: unknown;
  readonly isBase64Encoded?: unknown;
  readonly requestContext?: {
    readonly requestId?: unknown;
    /** When API Gateway received the request (epoch ms). */
    readonly requestTimeEpoch?: unknown;
    /** The authorizer's context; API Gateway adds `integrationLatency` (ms) for a Lambda authorizer. */
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

/** The `awslambda` global of the Lambda Node.js runtime; throws outside Lambda. */
export function lambdaRuntime(): AwsLambdaGlobal {
  const runtime = (globalThis as { awslambda?: AwsLambdaGlobal }).awslambda;
  if (!runtime || typeof runtime.streamifyResponse !== 'function') {
    throw new Error('The router handler needs the AWS Lambda Node.js runtime with response streaming (the awslambda global). '
      + 'To run the gateway locally, use `cdk-ai-gateway serve`.');
  }
  return runtime;
}

/**
 * A Lambda response stream as a `ResponseSink`, with the shared write batching
 * (./batching-sink.ts): `HttpResponseStream.from` (status and headers) runs at the first flush, so
 * the runtime sends its metadata prelude with the first body bytes; a JSON answer is one write,
 * and the events decoded from one upstream read are one write.
 */
export class LambdaResponseSink extends BatchingResponseSink {
  private stream?: Writable;

  constructor(private readonly raw: Writable, private readonly runtime: AwsLambdaGlobal) {
    super();
    // Best effort: the runtime reports a broken response stream this way.
    const gone = (): void => this.clientGone();
    raw.once('close', gone);
    raw.once('error', gone);
  }

  protected closed(): boolean {
    return (this.stream ?? this.raw).writableEnded;
  }

  protected sendHead(status: number, headers: Record<string, string>): void {
    this.stream = this.runtime.HttpResponseStream.from(this.raw, { statusCode: status, headers });
  }

  protected writeBody(chunk: string): boolean {
    return (this.stream ?? this.raw).write(chunk);
  }

  protected drained(): Promise<void> {
    const stream = this.stream ?? this.raw;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      stream.once('drain', done);
      stream.once('close', done);
    });
  }

  protected endBody(body: string, headJustSent: boolean): Promise<void> {
    const stream = this.stream ?? this.raw;
    // The runtime writes its metadata prelude on the first write: a response whose head goes out
    // now is written, even when empty, before it ends.
    if (body.length > 0 || headJustSent) stream.write(body);
    return this.endStream();
  }

  protected endClosed(): Promise<void> {
    // The response stream must be ended even when the client left, or the invocation never ends.
    return this.endStream();
  }

  private endStream(): Promise<void> {
    const stream = this.stream ?? this.raw;
    if (stream.writableEnded || stream.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // A stream destroyed before it finished never calls end's callback; it does emit 'close'.
      stream.once('close', resolve);
      stream.end(() => resolve());
    });
  }
}

/** The invocation's X-Ray trace header: the runtime's per-invocation store, else `_X_AMZN_TRACE_ID`. */
export function invocationTraceHeader(): string | undefined {
  const store = (globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId?: () => string | undefined } } }).awslambda?.InvokeStore;
  try {
    return store?.getXRayTraceId?.() ?? process.env._X_AMZN_TRACE_ID;
  } catch {
    return process.env._X_AMZN_TRACE_ID;
  }
}

/** The authorizer's timing from API Gateway's request context (REST API, Lambda authorizer). */
function authorizerTiming(event: RestApiProxyEvent): { startMs: number; durationMs: number } | undefined {
  const start = event.requestContext?.requestTimeEpoch;
  const latency = event.requestContext?.authorizer?.integrationLatency;
  const durationMs = typeof latency === 'number' ? latency : typeof latency === 'string' ? Number(latency) : NaN;
  if (typeof start !== 'number' || !Number.isFinite(start) || !Number.isFinite(durationMs) || durationMs < 0) return undefined;
  return { startMs: start, durationMs };
}

/** Translates a REST API proxy event into the gateway's request. */
export function toGatewayRequest(
  event: RestApiProxyEvent, receivedAt: number, maxBodyBytes: number, traceHeader?: string,
): GatewayRequest {
  const headers = normaliseHeaders(event.multiValueHeaders ?? event.headers ?? {});
  for (const [k, v] of Object.entries(normaliseHeaders(event.headers ?? {}))) headers[k] ??= v;
  const rawBody = typeof event.body === 'string' ? event.body : '';
  // A base64 body decodes to at most 3/4 of its length: refuse oversize bodies before decoding them.
  let body: Uint8Array = new Uint8Array(0);
  let bodyError: BodyError | undefined;
  let bodyPrefix: Uint8Array | undefined;
  const base64 = event.isBase64Encoded === true;
  const decodedBound = base64 ? Math.floor(rawBody.length * 0.75) : Buffer.byteLength(rawBody, 'utf8');
  if (decodedBound > maxBodyBytes + 4) {
    bodyError = BodyError.TOO_LARGE;
    // Only the first `maxBodyBytes` are decoded: enough to name the field that made the body too large.
    bodyPrefix = (base64 ? Buffer.from(rawBody.slice(0, Math.ceil(maxBodyBytes / 3) * 4), 'base64') : Buffer.from(rawBody.slice(0, maxBodyBytes), 'utf8'))
      .subarray(0, maxBodyBytes);
  } else {
    body = base64 ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody, 'utf8');
  }
  const requestId = event.requestContext?.requestId;
  const authorizer = authorizerTiming(event);
  // The matched resource is the path without a custom domain's base path; a proxy resource
  // (`/{proxy+}`) leaves only the raw path to go by.
  const path = typeof event.resource === 'string' && !event.resource.includes('{') ? event.resource
    : typeof event.path === 'string' ? event.path : '/';
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (typeof v === 'string') query[k] = v;
  return {
    method: typeof event.httpMethod === 'string' ? event.httpMethod.toUpperCase() : 'GET',
    path,
    query,
    headers,
    body,
    ...(bodyError ? { bodyError } : {}),
    ...(bodyPrefix ? { bodyPrefix } : {}),
    credentials: { kind: 'authorizer', context: event.requestContext?.authorizer ?? undefined },
    ...(typeof requestId === 'string' ? { requestId } : {}),
    receivedAt,
    tracing: { ...(traceHeader ? { traceHeader } : {}), ...(authorizer ? { authorizer } : {}) },
  };
}

/** Answers a request of an environment whose configuration failed to load. */
async function misconfigured(event: RestApiProxyEvent, sink: ResponseSink, receivedAt: number): Promise<void> {
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

/** Options of {@link RouterEnvironment.start}. */
export interface RouterEnvironmentOptions {
  /** The function's environment (configuration source, version, upstream API keys). @default process.env */
  readonly env?: Env;
  /** How the configuration is fetched at init. @default APPCONFIG_FETCH_DEFAULTS */
  readonly load?: LoadConfigOptions;
  /**
   * How a failed fetch is retried on the request path: a request waits for it, so it is short.
   * @default one attempt per call, 3000 ms deadline
   */
  readonly reload?: LoadConfigOptions;
  /** Minimum time between two fetches after a failure, in ms. @default 5000 */
  readonly retryIntervalMs?: number;
  /** Gateway options (tests: usage sink, adapters, clock). @default the real adapters */
  readonly gateway?: Partial<Omit<GatewayOptions, 'config'>>;
  /** @default Date.now */
  readonly now?: () => number;
  /** Writes one structured log line. @default a JSON line on stdout */
  readonly log?: (line: Record<string, unknown>) => void;
}

/** Defaults of the request-path retry of a failed fetch. */
export const RELOAD_DEFAULTS = { maxAttempts: 1, deadlineMs: 3000, retryIntervalMs: 5000 } as const;


/**
 * The gateway of one execution environment: its configuration loaded at init, or the reason it
 * could not be, and the retry of a failed fetch.
 *
 * @example
 * const router = await RouterEnvironment.start({ env: process.env });
 * const gateway = await router.gateway(); // undefined while the configuration is unavailable
 */
export class RouterEnvironment {
  /** Loads the configuration (logging the outcome in one line) and builds the gateway. */
  static async start(options: RouterEnvironmentOptions = {}): Promise<RouterEnvironment> {
    const router = new RouterEnvironment(options);
    await router.load(options.load ?? {});
    return router;
  }

  private current?: Gateway;
  private lastFailure?: ConfigLoadError;
  private nextRetryAt = 0;
  private reloading?: Promise<void>;
  /** Where requests' spans go (flushed after each invocation's answer), when traces are on. */
  traces?: SpanExporter;
  private readonly env: Env;
  private readonly now: () => number;
  private readonly log: (line: Record<string, unknown>) => void;

  private constructor(private readonly options: RouterEnvironmentOptions) {
    this.env = options.env ?? process.env;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? stdoutLine;
  }

  /** Why the configuration is not loaded (undefined once it is). */
  get failure(): ConfigLoadError | undefined {
    return this.lastFailure;
  }

  /**
   * The gateway, or undefined when the configuration is not loaded. A failed fetch is tried again
   * here (one request waits for it) once the retry interval has passed; concurrent callers share it.
   */
  async gateway(): Promise<Gateway | undefined> {
    if (this.current) return this.current;
    if (this.lastFailure?.retryable && this.now() >= this.nextRetryAt) {
      // The init options' endpoint and credentials, with the request path's shorter budget.
      const options = { ...this.options.load, maxAttempts: RELOAD_DEFAULTS.maxAttempts, deadlineMs: RELOAD_DEFAULTS.deadlineMs, ...this.options.reload };
      this.reloading ??= this.load(options).finally(() => { this.reloading = undefined; });
      await this.reloading;
    }
    return this.current;
  }

  private async load(options: LoadConfigOptions): Promise<void> {
    let loaded: LoadedGatewayConfig;
    try {
      loaded = await loadConfig(this.env, options);
    } catch (error) {
      this.fail(error instanceof ConfigLoadError ? error : new ConfigLoadError({
        kind: ConfigProblemKind.UNAVAILABLE, retryable: false, problems: [error instanceof Error ? error.message : String(error)],
      }));
      return;
    }
    try {
      // The usage ledger and budgets when the environment names a usage table; tests override them.
      // Loaded only then, so a router without a usage table never compiles the DynamoDB client.
      const usage = this.env[USAGE_TABLE_ENV]?.trim()
        ? (await import('./usage/from-env.js')).usageFromEnv(this.env, loaded.config)
        : {};
      // The incident controls (kill switch) when the environment names their table; loaded only then.
      const controls = this.env[CONTROLS_ENV.tableName]?.trim()
        ? (await import('./incident/dynamo-controls.js')).controlsFromEnv(this.env)
        : undefined;
      // The approvals of restricted data when the environment names their table; loaded only then.
      const approvals = this.env[APPROVALS_ENV.tableName]?.trim()
        ? (await import('./approvals/dynamo-approvals.js')).approvalsFromEnv(this.env)
        : undefined;
      // The review queue and validator functions when the environment or configuration needs them; loaded only then.
      const validation = this.env[REVIEW_ENV.table]?.trim() || usesValidatorFunctions(loaded.config)
        ? (await import('./validation/from-env.js')).validationFromEnv(this.env, loaded.config)
        : {};
      this.traces = this.options.gateway?.traces ?? this.tracesFromEnv();
      // The deployed Batch API when the environment names the batch table and bucket; loaded only then.
      const batch = this.env[BATCH_TABLE_ENV]?.trim()
        ? (await import('./batch/from-env.js')).batchFromEnv(this.env)?.service
        : undefined;
      this.current = createGateway(loaded.config, {
        ...usage, ...validation, ...(controls ? { controls } : {}), ...(approvals ? { approvals } : {}),
        ...(this.traces ? { traces: this.traces } : {}), ...(batch ? { batch } : {}),
        ...this.options.gateway,
        env: this.options.gateway?.env ?? this.env,
      });
    } catch (error) {
      this.fail(new ConfigLoadError({
        kind: ConfigProblemKind.INVALID, retryable: false, source: loaded.source,
        problems: [`the gateway could not be built from the configuration: ${error instanceof Error ? error.message : String(error)}`],
      }));
      return;
    }
    this.lastFailure = undefined;
    const { config } = loaded;
    this.log({
      timestamp: new Date(this.now()).toISOString(),
      level: 'INFO',
      message: 'gateway configuration loaded',
      ...configSourceFields(loaded.source),
      ...(loaded.version ? { 'gateway.config.version': loaded.version } : {}),
      ...(loaded.versionLabel ? { 'gateway.config.version_label': loaded.versionLabel } : {}),
      'gateway.config.load_ms': loaded.loadMs,
      'gateway.config.tenants': config.tenants.size,
      'gateway.config.targets': config.targets.size,
      'gateway.config.routes': config.routes.size,
    });
  }

  /** The span exporter the environment asks for; a bad setting is logged and turns traces off, never the gateway. */
  private tracesFromEnv(): SpanExporter | undefined {
    try {
      // Flushed by the handler after each answer: a Lambda environment is frozen between invocations.
      return spanExporterFromEnv(this.env, { scheduledDelayMs: 0, log: this.log });
    } catch (error) {
      this.log({ timestamp: new Date(this.now()).toISOString(), level: 'ERROR', message: 'traces are off: invalid trace export setting',
        'error.type': error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  private fail(error: ConfigLoadError): void {
    this.lastFailure = error;
    this.nextRetryAt = this.now() + (this.options.retryIntervalMs ?? RELOAD_DEFAULTS.retryIntervalMs);
    const version = envValue(this.env, CONFIG_VERSION_ENV);
    // The problems and where they come from; never the configuration itself.
    this.log({
      timestamp: new Date(this.now()).toISOString(),
      level: 'ERROR',
      message: error.kind === ConfigProblemKind.INVALID ? 'invalid gateway configuration' : 'gateway configuration unavailable',
      'gateway.config.problems': error.problems,
      ...configSourceFields(error.source),
      ...(version ? { 'gateway.config.version': version } : {}),
      'gateway.config.retry': error.retryable,
    });
  }
}

/** The Lambda handler over a router environment. */
export type LambdaHandler = (event: RestApiProxyEvent, responseStream: Writable, context: unknown) => Promise<void>;

/**
 * The streaming handler: REST API proxy event in, the gateway's answer out through the response
 * stream; the configuration-error answer while the environment has no configuration.
 *
 * @example
 * export const handler = createLambdaHandler(await RouterEnvironment.start(), lambdaRuntime());
 */
export function createLambdaHandler(router: RouterEnvironment, runtime: AwsLambdaGlobal): LambdaHandler {
  return runtime.streamifyResponse(async (event, responseStream) => {
    const receivedAt = Date.now();
    const sink = new LambdaResponseSink(responseStream, runtime);
    const gateway = await router.gateway();
    if (!gateway) {
      await misconfigured(event ?? {}, sink, receivedAt);
      return;
    }
    const request = toGatewayRequest(event ?? {}, receivedAt, gateway.config.limits.maxBodyBytes, router.traces ? invocationTraceHeader() : undefined);
    await gateway.handle(request, sink);
    // The answer has been sent (the response stream ended): the spans go out before the invocation returns.
    await router.traces?.flush();
  });
}
