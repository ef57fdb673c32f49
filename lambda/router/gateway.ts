/**
 * The gateway: composes the pipeline's stages into one transport-neutral `handle(request, sink)`,
 * used by both the Lambda entry (index.ts) and the local server (local/server.ts).
 *
 * tenant → parse → hints → prompt → tenant policy → route selection → budget reservation →
 * [per candidate target: input guardrail → provider call with retries] → fallback →
 * output guardrail → answer → usage record (exactly one per request, whatever happened).
 */
import { randomUUID } from 'node:crypto';
import { Sensitivity } from '../shared/config';
import { ServiceTier } from '../shared/config-surface';
import { ResolvedGatewayConfig } from '../shared/defaults';
import { AUTO_ALIAS } from '../shared/schema';
import {
  GatewayError, InternalError, InvalidRequestError, MethodNotAllowedError, NotFoundError, ServiceUnavailableError, UpstreamError,
} from './errors';
import { GatewayRequest, ResponseSink } from './http';
import { estimateInputTokens as estimateProviderInput, estimateTokens } from './providers/usage';
import { CallOptions, Completion, ProviderRequest, TokenUsage } from './providers/types';
import { chainError, ChainFailed, FallbackResult, runWithFallback } from './pipeline/fallback';
import { GuardrailApplier } from './pipeline/guardrail-types';
import { applyInputGuardrail, InputGuardrailResult } from './pipeline/input-guardrail';
import {
  ClientGone, completeOnTarget, InvokeContext, OpenedStream, openStreamOnTarget, ProviderRegistry,
} from './pipeline/invoke';
import { EmbeddingsContext, planEmbeddings, serveEmbeddings } from './pipeline/embeddings';
import { applyOutputGuardrail } from './pipeline/output-guardrail';
import { parseChatRequest } from './pipeline/parse';
import { applyPrompt } from './pipeline/prompt';
import { hasRemoteImages, resolveImageUrls } from './pipeline/images';
import { ImageFetcher } from './images/fetch';
import { readRoutingHints } from './pipeline/hints';
import { reserveForPlan } from './pipeline/reserve';
import { CachedControls, IncidentControlsStage } from './pipeline/controls';
import { ApprovalStage } from './pipeline/approval';
import { RedactionStage } from './pipeline/redact';
import { CachedApprovals } from './approvals/approval-set';
import { applyTenantPolicy } from './pipeline/policy';
import { AnswerMeta, Citation, HEADERS, SseWriter, validationHeader, writeCompletion, writeError } from './pipeline/respond';
import { fitToReservation, selectRoute } from './pipeline/route';
import { checkStructuredOutputTraced } from './pipeline/structured-output';
import { EscalationUnavailable, planEscalation } from './pipeline/escalation';
import {
  Answer, ResponseValidation, ValidationFailedError, ValidationResult, ValidationPlan, validationReserveUsd,
} from './pipeline/validate';
import { AnswerValidator, validateAnswer } from './pipeline/validation-run';
import { FunctionTransport } from './validation/function-validator';
import { ReviewSink } from './validation/review';
import { ValidationOutcome } from './validation/types';
import { resolveTenant } from './pipeline/tenant';
import { Candidate, ChatRequest, PolicyDecision, RoutePlan, RoutingHints, TenantContext } from './pipeline/types';
import { RequestTrace } from './pipeline/usage';
import { sleep as defaultSleep } from './reliability/backoff';
import { CircuitBreakers } from './reliability/circuit-breaker';
import { BudgetGuard, BudgetReservation, NoBudgetGuard } from './usage/budget';
import { ZERO_USAGE } from './usage/cost';
import { Outcome, UsageSink } from './usage/types';
import { parseFeedback, parseUsagePeriod, usageResponseBody } from './usage/endpoints';
import { FeedbackRefusal, UsageStore } from './usage/store';
import { LogUsageSink } from './telemetry/log-sink';
import { AuthorizerContext } from '../shared/authorizer-context';
import type { BatchEndpoints, BatchLineAnswer, BatchLinePlan, BatchLinePort, BatchLineRequest } from './batch/types';
import type { LabelOverrideSource } from './prompts/label-store';
import { sanitiseMetadataValue } from './providers/request-metadata';
import { assembleContext, RetrievedContext, retrieveContext, retrieves } from './pipeline/retrieval';
import { GroundingScorer, groundingFailed, groundingValidator, groundingViolation, ValidationVerdict } from './retrieval/grounding-check';
import { RetrieverRegistry } from './retrieval/types';
import { SpanExporter } from './tracing/exporter';
import { setRecord, setResponse } from './tracing/gen-ai';
import { traceContextOf } from './tracing/context';
import { requestSpans, Span, STAGE } from './tracing/spans';

export interface GatewayOptions {
  /** The validated configuration with defaults applied. */
  readonly config: ResolvedGatewayConfig;
  /** The provider adapters. */
  readonly providers: ProviderRegistry;
  /**
   * Applies guardrails for targets that do not apply them themselves. Without it, a request that
   * needs one is refused (503, fail closed).
   * @default none
   */
  readonly guardrails?: GuardrailApplier;
  /** @default a LogUsageSink (structured log line + EMF on stdout) */
  readonly usageSink?: UsageSink;
  /** @default NoBudgetGuard */
  readonly budget?: BudgetGuard;
  /**
   * The usage ledger's reads and feedback writes, behind `POST /v1/feedback` and `GET /v1/usage`.
   * @default none: both endpoints answer 404 `usage_not_enabled`
   */
  readonly usageStore?: UsageStore;
  /**
   * Prompt labels moved without a deploy (alarm-driven rollbacks, `prompts rollback|promote`),
   * read only for requests that name a prompt.
   * @default none: the configured labels apply
   */
  readonly labelOverrides?: LabelOverrideSource;
  /**
   * The Batch API (`/v1/files`, `/v1/batches`): files and batches of chat requests, served at the
   * batch price (batch/).
   * @default none: those paths answer 404 `batch_not_enabled`
   */
  readonly batch?: BatchEndpoints;
  /**
   * The knowledge source searchers (Bedrock knowledge bases, local corpora). Without one, a request
   * for a source of that kind is refused (503 `retrieval_unavailable`).
   * @default none
   */
  readonly retrievers?: RetrieverRegistry;
  /**
   * Scores answers against their passages (contextual grounding) for routes with `retrieval.grounding`.
   * Without it, such a route's answers fail closed (503 `guardrail_unavailable`).
   * @default none
   */
  readonly grounding?: GroundingScorer;
  /** The operators' incident controls (kill switch). @default none: plans pass unchanged */
  readonly controls?: CachedControls;
  /**
   * Fetches image URLs for routes that allow it (`imageFetch`); tests inject one whose resolver
   * and address policy reach a loopback server.
   * @default an ImageFetcher with the system resolver, public addresses only
   */
  readonly imageFetcher?: ImageFetcher;
  /**
   * The approvals of restricted data (with `restrictedData.requireApproval`).
   * @default none: no restricted request is approved
   */
  readonly approvals?: CachedApprovals;
  /**
   * Applies routes' redaction guardrails (`redactionGuardrail`).
   * @default `guardrails` (ApplyGuardrail); local mode passes the pattern redactor
   */
  readonly redactor?: GuardrailApplier;
  /** @default circuit breakers of this gateway instance, per the configuration */
  readonly breakers?: CircuitBreakers;
  /** Environment variables for upstream API keys (`apiKeyEnv`). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * How validator functions are called (Lambda Invoke deployed, HTTP in local mode). Without it, a
   * validator function counts as failed and its `onError` applies.
   * @default none
   */
  readonly validatorFunctions?: FunctionTransport;
  /** Where flagged and rejected answers go for human review. @default none */
  readonly reviews?: ReviewSink;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default a timer-based sleep that an abort cuts short */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * Where each request's spans go once its answer was sent and its usage recorded (the exporter
   * queues them; its owner flushes). @default none: requests are not traced
   */
  readonly traces?: SpanExporter;
  /** The clock of spans (epoch ms, fractions allowed). @default performance.timeOrigin + performance.now() */
  readonly traceClock?: () => number;
}

const preciseNow = (): number => performance.timeOrigin + performance.now();

const CHAT_PATH = '/v1/chat/completions';
const EMBEDDINGS_PATH = '/v1/embeddings';
const MODELS_PATH = '/v1/models';
const FEEDBACK_PATH = '/v1/feedback';
const USAGE_PATH = '/v1/usage';
const FILES_PATH = /^\/v1\/files(?:\/|$)/;
const BATCHES_PATH = /^\/v1\/batches(?:\/|$)/;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A router endpoint: the operation its usage records name, the one method it takes (the Batch API's take several), its path as shown in errors. */
interface Endpoint {
  readonly operation: 'files' | 'batches' | 'chat.completions' | 'embeddings' | 'models' | 'feedback' | 'usage';
  readonly method?: string;
  readonly shown: string;
}

const ENDPOINTS: ReadonlyMap<string, Endpoint> = new Map<string, Endpoint>([
  [CHAT_PATH, { operation: 'chat.completions', method: 'POST', shown: CHAT_PATH }],
  [EMBEDDINGS_PATH, { operation: 'embeddings', method: 'POST', shown: EMBEDDINGS_PATH }],
  [MODELS_PATH, { operation: 'models', method: 'GET', shown: MODELS_PATH }],
  [FEEDBACK_PATH, { operation: 'feedback', method: 'POST', shown: FEEDBACK_PATH }],
  [USAGE_PATH, { operation: 'usage', method: 'GET', shown: USAGE_PATH }],
]);
const MODEL_ENDPOINT: Endpoint = { operation: 'models', method: 'GET', shown: `${MODELS_PATH}/{model}` };
const FILES_ENDPOINT: Endpoint = { operation: 'files', shown: '/v1/files' };
const BATCHES_ENDPOINT: Endpoint = { operation: 'batches', shown: '/v1/batches' };

/** The endpoint of a path (trailing slashes removed), or undefined for an unknown URL. */
function endpointOf(path: string): Endpoint | undefined {
  const exact = ENDPOINTS.get(path);
  if (exact) return exact;
  if (FILES_PATH.test(path)) return FILES_ENDPOINT;
  if (BATCHES_PATH.test(path)) return BATCHES_ENDPOINT;
  return path.startsWith(`${MODELS_PATH}/`) ? MODEL_ENDPOINT : undefined;
}

/** A sink that starts once, ignores writes after the client left or the response ended. */
class GuardedSink implements ResponseSink {
  started = false;
  ended = false;
  gone = false;

  constructor(private readonly inner: ResponseSink) {}

  start(status: number, headers: Record<string, string>): void {
    if (this.started || this.gone) return;
    this.started = true;
    this.inner.start(status, headers);
  }

  async write(chunk: string): Promise<void> {
    if (this.ended || this.gone) return;
    try {
      await this.inner.write(chunk);
    } catch {
      this.gone = true;
    }
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    // Ended even when the client left: the transport (a Lambda response stream) must be closed.
    try {
      await this.inner.end();
    } catch {
      this.gone = true;
    }
  }

  onClose(listener: () => void): void {
    this.inner.onClose(listener);
  }
}

/** A failure after a stream started: the stream ends with an error event. */
class MidStreamFailure extends Error {
  constructor(readonly error: GatewayError) {
    super(error.message);
  }

  /** The client's error code (a span's `error.type`). */
  get code(): string {
    return this.error.code;
  }
}

type Served =
  | { readonly kind: 'completion'; readonly completion: Completion; readonly inputIntervened: boolean }
  | { readonly kind: 'stream'; readonly opened: OpenedStream; readonly attemptSpan?: Span }
  | { readonly kind: 'blocked'; readonly text: string };

/** Collects a batch line's answer (it is never streamed: batch lines refuse `stream`). */
class CapturingSink implements ResponseSink {
  status = 0;
  body = '';

  start(status: number): void {
    this.status = status;
  }

  write(chunk: string): Promise<void> {
    this.body += chunk;
    return Promise.resolve();
  }

  end(): Promise<void> {
    return Promise.resolve();
  }

  onClose(): void {
    // An in-process caller never goes away.
  }
}

export class Gateway implements BatchLinePort {
  readonly config: ResolvedGatewayConfig;
  private readonly providers: ProviderRegistry;
  private readonly guardrails?: GuardrailApplier;
  private readonly usageSink: UsageSink;
  private readonly budget: BudgetGuard;
  private readonly usageStore?: UsageStore;
  private readonly labelOverrides?: LabelOverrideSource;
  private readonly batch?: BatchEndpoints;
  private readonly retrievers: RetrieverRegistry;
  private readonly grounding?: GroundingScorer;
  private readonly breakers: CircuitBreakers;
  private readonly imageFetcher: ImageFetcher;
  private readonly controls: IncidentControlsStage;
  private readonly approvals: ApprovalStage;
  private readonly redaction: RedactionStage;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly validation: ResponseValidation;
  private readonly reviews?: ReviewSink;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly traces?: SpanExporter;
  private readonly traceClock: () => number;
  private readonly embeddings: EmbeddingsContext;

  constructor(options: GatewayOptions) {
    this.config = options.config;
    this.providers = options.providers;
    this.guardrails = options.guardrails;
    this.usageSink = options.usageSink ?? new LogUsageSink();
    this.budget = options.budget ?? new NoBudgetGuard();
    this.usageStore = options.usageStore;
    this.labelOverrides = options.labelOverrides;
    this.batch = options.batch;
    this.retrievers = options.retrievers ?? {};
    this.grounding = options.grounding;
    this.breakers = options.breakers ?? new CircuitBreakers(options.config.circuitBreaker);
    this.imageFetcher = options.imageFetcher ?? new ImageFetcher();
    this.controls = new IncidentControlsStage(options.config, options.controls);
    this.env = options.env ?? process.env;
    this.validation = new ResponseValidation(options.config, options.validatorFunctions);
    this.reviews = options.reviews;
    this.now = options.now ?? Date.now;
    this.approvals = new ApprovalStage(options.config, options.approvals, this.now);
    this.redaction = new RedactionStage(options.config, options.redactor ?? options.guardrails);
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
    this.traces = options.traces;
    this.traceClock = options.traceClock ?? preciseNow;
    this.embeddings = {
      config: this.config, providers: this.providers, breakers: this.breakers, controls: this.controls, approvals: this.approvals, budget: this.budget,
      guardrails: this.guardrails, env: this.env, now: this.now, random: this.random, sleep: this.sleep,
    };
  }

  /**
   * Serves one request and writes its answer to `sink`. Never throws: every failure becomes an
   * OpenAI error envelope (or, after a stream started, an error event), and every request ends in
   * exactly one usage record.
   *
   * @example
   * await gateway.handle({ method: 'POST', path: '/v1/chat/completions', headers, body, credentials, receivedAt: Date.now() }, sink);
   */
  async handle(request: GatewayRequest, sink: ResponseSink): Promise<void> {
    const requestId = request.requestId !== undefined && REQUEST_ID.test(request.requestId) ? request.requestId : randomUUID();
    const trace = new RequestTrace(requestId, request.receivedAt);
    if (this.traces) this.startSpans(request, trace);
    const out = new GuardedSink(sink);
    const abort = new AbortController();
    out.onClose(() => {
      if (out.ended) return;
      out.gone = true;
      abort.abort(new ClientGone());
    });
    const budget: { reservation?: BudgetReservation } = {};
    try {
      await this.dispatch(request, out, trace, abort.signal, budget);
    } catch (error) {
      await this.fail(error, out, trace);
    } finally {
      trace.endedAt ??= this.now();
      if (out.gone && trace.outcome !== Outcome.SUCCESS) {
        trace.outcome = Outcome.CLIENT_DISCONNECT;
        if (!out.started) trace.status = 499;
      }
      const record = trace.toUsageRecord(this.now());
      const reservation = budget.reservation;
      if (reservation?.pending) await reservation.pending;
      // The DynamoDB ledger settles the reservation in the record's own transaction; otherwise the
      // guard settles it here. Neither fails the request: a reservation left open keeps its
      // in-flight item, which the usage sweeper settles as abandoned once it expires.
      if (reservation && !reservation.settlesWithRecord) {
        try {
          await this.budget.settle(reservation, record.costUsd);
        } catch {
          // The guard logged it; the sweeper releases the reservation.
        }
      }
      const usageSpan = trace.spans.start(STAGE.USAGE);
      try {
        await this.usageSink.record(record, reservation);
      } catch (error) {
        usageSpan.fail(error instanceof Error ? error.name : 'error');
        process.stderr.write(`usage sink failed for request ${requestId}: ${error instanceof Error ? error.name : 'error'}\n`);
      }
      usageSpan.end();
      if (this.traces && trace.spans.recording) {
        setRecord(trace.spans.root, record);
        this.traces.enqueue(trace.spans.finish());
      }
    }
  }

  /** Starts the request's spans, continuing the transport's or the client's trace; the authorizer's span from its timing. */
  private startSpans(request: GatewayRequest, trace: RequestTrace): void {
    const context = traceContextOf(request.headers, request.tracing?.traceHeader, request.receivedAt);
    const path = request.path.length > 100 ? request.path.slice(0, 100) : request.path;
    trace.spans = requestSpans(context, `${request.method.slice(0, 10)} ${path}`, request.tracing?.authorizer?.startMs ?? request.receivedAt, this.traceClock);
    const authorizer = request.tracing?.authorizer;
    if (authorizer) trace.spans.start(STAGE.AUTHORIZER, undefined, { startMs: authorizer.startMs }).end(authorizer.startMs + authorizer.durationMs);
  }

  private async dispatch(
    request: GatewayRequest, out: GuardedSink, trace: RequestTrace, signal: AbortSignal, budget: { reservation?: BudgetReservation },
  ): Promise<void> {
    const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
    if (request.batchLine?.refusal !== undefined) {
      // A batch line refused before it ran (invalid, cancelled, expired): recorded like any refusal.
      trace.operation = path === EMBEDDINGS_PATH ? 'embeddings' : 'chat.completions';
      trace.tenant = resolveTenant(request.credentials, request.headers, this.config);
      throw request.batchLine.refusal;
    }
    const endpoint = endpointOf(path);
    if (endpoint === undefined) {
      const shown = path.length > 100 ? `${path.slice(0, 100)}…` : path;
      throw new NotFoundError(`Unknown request URL: ${request.method.slice(0, 10)} ${shown}.`, 'unknown_url');
    }
    trace.operation = endpoint.operation;
    if (endpoint.method !== undefined && request.method !== endpoint.method) throw new MethodNotAllowedError(request.method, endpoint.shown, [endpoint.method]);
    // Who is calling, then whether the operators suspended them: before any other work of any endpoint.
    const tenant = trace.spans.spanSync(STAGE.TENANT, undefined, () => resolveTenant(request.credentials, request.headers, this.config));
    trace.tenant = tenant;
    const admitted = this.controls.admit(tenant);
    if (admitted) await admitted;
    switch (endpoint.operation) {
      case 'files':
      case 'batches': return this.batchApi(request, tenant, out, trace);
      case 'chat.completions': return this.chat(request, tenant, out, trace, signal, budget);
      case 'embeddings': return serveEmbeddings(this.embeddings, request, tenant, out, trace, signal, budget);
      case 'models': return endpoint === MODEL_ENDPOINT
        ? this.model(tenant, decodeModelId(path.slice(MODELS_PATH.length + 1)), out, trace)
        : this.models(tenant, out, trace);
      case 'feedback': return this.feedback(request, tenant, out, trace);
      case 'usage': return this.usage(request, tenant, out, trace);
    }
  }

  /** The largest body a request to `path` may carry: batch files have their own limit. */
  maxBodyBytes(path: string): number {
    return this.batch !== undefined && FILES_PATH.test(path) ? Math.max(this.batch.maxFileBytes, this.config.limits.maxBodyBytes) : this.config.limits.maxBodyBytes;
  }

  /** `/v1/files…` and `/v1/batches…`: the caller's own files and batches. */
  private async batchApi(request: GatewayRequest, tenant: TenantContext, out: GuardedSink, trace: RequestTrace): Promise<void> {
    if (!this.batch) throw new NotFoundError('The Batch API is not enabled on this gateway.', 'batch_not_enabled');
    const identity = { tenantId: tenant.tenantId, tier: tenant.tier, aliases: [...tenant.allowedAliases], ...(tenant.keyId !== undefined ? { keyId: tenant.keyId } : {}) };
    const answer = await this.batch.handle({ request, identity, lines: this });
    out.start(answer.status, { 'content-type': answer.contentType, 'cache-control': 'no-store', [HEADERS.requestId]: trace.requestId });
    await out.write(answer.body);
    await out.end();
    trace.status = answer.status;
    trace.outcome = Outcome.SUCCESS;
  }

  /**
   * Checks a batch line like a synchronous request (tenant, parse, hints, prompt, policy, route),
   * without reserving budget or calling a model: the error a synchronous request would get, or
   * `undefined` when the line would be served.
   */
  async checkBatchLine(line: BatchLineRequest): Promise<GatewayError | undefined> {
    const request = this.lineRequest(line);
    const trace = new RequestTrace(request.requestId!, request.receivedAt);
    try {
      if (line.url === EMBEDDINGS_PATH) {
        await planEmbeddings(this.embeddings, request, trace);
        return undefined;
      }
      if (line.url !== CHAT_PATH) {
        throw new InvalidRequestError(`Batch lines may call ${CHAT_PATH} or ${EMBEDDINGS_PATH}; received url ${JSON.stringify(line.url.slice(0, 100))}.`, 'invalid_value', 'url');
      }
      await this.plan(request, trace);
      return undefined;
    } catch (error) {
      if (error instanceof ChainFailed) return error.error;
      if (error instanceof GatewayError) return error;
      return new InternalError(`The gateway failed to check this line (request id ${trace.requestId}).`, 'internal_error');
    }
  }

  /**
   * The call a batch job makes for a line: the first target of its route plan and the provider
   * request a synchronous call would send it (the plan's output limit), or the line's error.
   * `gatewayGuardrail`: the target needs a guardrail the gateway applies around the call, which a
   * job cannot do (such lines are served one by one).
   */
  async planBatchLine(line: BatchLineRequest): Promise<BatchLinePlan> {
    const error = await this.checkBatchLine(line);
    if (error) return { error };
    const request = this.lineRequest(line);
    const trace = new RequestTrace(request.requestId!, request.receivedAt);
    if (line.url === EMBEDDINGS_PATH) {
      // No model applies a guardrail to embeddings: the gateway checks the inputs itself.
      const { plan, call } = await planEmbeddings(this.embeddings, request, trace);
      return { target: plan.candidates[0].target, embeddingRequest: call, gatewayGuardrail: plan.guardrail !== undefined };
    }
    const { tenant, chat, hints, plan } = await this.plan(request, trace);
    const candidate = plan.candidates[0];
    return {
      target: candidate.target,
      providerRequest: toProviderRequest(chat, trace.requestId, tenant, hints, plan),
      gatewayGuardrail: plan.guardrail !== undefined && candidate.target.kind !== 'bedrock',
    };
  }

  /**
   * Serves a batch line as a synchronous request at the batch price (or records its refusal):
   * exactly one usage record, under the line's own request id, so the ledger keeps one record
   * however often a line is replayed.
   */
  async serveBatchLine(line: BatchLineRequest): Promise<BatchLineAnswer> {
    const sink = new CapturingSink();
    await this.handle(this.lineRequest(line), sink);
    return { status: sink.status, body: sink.body };
  }

  /** A batch line as the neutral request: the submitter's identity, the batch latency class unless the line names one. */
  private lineRequest(line: BatchLineRequest): GatewayRequest {
    return {
      method: 'POST',
      path: line.url,
      headers: { 'content-type': 'application/json', 'x-gateway-latency-class': 'batch' },
      body: line.body,
      credentials: { kind: 'authorizer', context: AuthorizerContext.encode(line.identity) },
      requestId: line.requestId,
      receivedAt: line.receivedAt,
      batchLine: {
        ...(line.refusal !== undefined ? { refusal: line.refusal } : {}),
        ...(line.answers !== undefined ? { answers: line.answers } : {}),
        ...(line.onDemandPrice === true ? { onDemandPrice: true } : {}),
        ...(line.price !== undefined ? { price: line.price } : {}),
      },
    };
  }

  /** The aliases `tenant` may call, `auto` first when a rule of it can choose one of them. */
  private aliasesOf(tenant: TenantContext): string[] {
    const aliases = [...tenant.allowedAliases].filter((a) => this.config.routes.has(a)).sort();
    if (this.config.autoRouting.some((rule) => tenant.allowedAliases.has(rule.alias))) aliases.unshift(AUTO_ALIAS);
    return aliases;
  }

  /** OpenAI's model object of an alias. */
  private modelObject(id: string): Record<string, unknown> {
    const description = this.config.routes.get(id)?.description;
    return { id, object: 'model', created: 0, owned_by: 'cdk-ai-gateway', ...(description ? { description } : {}) };
  }

  /** `GET /v1/models`: the aliases the caller may use. */
  private async models(tenant: TenantContext, out: GuardedSink, trace: RequestTrace): Promise<void> {
    await this.writeJson(out, trace, { object: 'list', data: this.aliasesOf(tenant).map((id) => this.modelObject(id)) });
  }

  /**
   * `GET /v1/models/{model}` (the openai SDK's `models.retrieve`): an alias the caller may use;
   * any other id, another tenant's alias included, is the same 404.
   */
  private async model(tenant: TenantContext, id: string | undefined, out: GuardedSink, trace: RequestTrace): Promise<void> {
    if (id === undefined || !this.aliasesOf(tenant).includes(id)) {
      const shown = id === undefined ? 'this model' : `'${id.slice(0, 64)}'`;
      throw new NotFoundError(`The model ${shown} does not exist or you do not have access to it.`, 'model_not_found', 'model');
    }
    trace.requestedModel = id;
    await this.writeJson(out, trace, this.modelObject(id));
  }

  /** The ledger, or a 404 when this gateway has none. */
  private store(): UsageStore {
    if (!this.usageStore) throw new NotFoundError('Usage reporting and feedback are not enabled on this gateway.', 'usage_not_enabled');
    return this.usageStore;
  }

  private async writeJson(out: GuardedSink, trace: RequestTrace, body: unknown): Promise<void> {
    out.start(200, { 'content-type': 'application/json', 'cache-control': 'no-store', [HEADERS.requestId]: trace.requestId });
    await out.write(JSON.stringify(body));
    await out.end();
    trace.status = 200;
    trace.outcome = Outcome.SUCCESS;
  }

  /** `POST /v1/feedback`: a score (and comment) on one of the caller's own requests. */
  private async feedback(request: GatewayRequest, tenant: TenantContext, out: GuardedSink, trace: RequestTrace): Promise<void> {
    const store = this.store();
    const feedback = parseFeedback(request.body, request.bodyError);
    const refusal = await store.recordFeedback({ tenantId: tenant.tenantId, ...feedback, at: this.now() });
    if (typeof refusal === 'object') trace.setFeedback(feedback.score, refusal);
    // Another tenant's request id gets the same answer as an unknown one.
    if (refusal === FeedbackRefusal.UNKNOWN_REQUEST) {
      throw new NotFoundError(`No request ${feedback.requestId} of yours is on record (records are kept for a limited time).`, 'request_not_found', 'request_id');
    }
    if (refusal === FeedbackRefusal.ALREADY_GIVEN) {
      throw new InvalidRequestError(`Request ${feedback.requestId} already has feedback.`, 'feedback_exists', 'request_id');
    }
    await this.writeJson(out, trace, { object: 'feedback', request_id: feedback.requestId, score: feedback.score, recorded: true });
  }

  /** `GET /v1/usage`: the caller's own usage of a month or a day. */
  private async usage(request: GatewayRequest, tenant: TenantContext, out: GuardedSink, trace: RequestTrace): Promise<void> {
    const store = this.store();
    const { granularity, period, page } = parseUsagePeriod(request.query, this.now());
    const usage = await store.readUsage(tenant.tenantId, granularity, period, page);
    await this.writeJson(out, trace, usageResponseBody(usage));
  }

  private async chat(
    request: GatewayRequest, caller: TenantContext, out: GuardedSink, trace: RequestTrace, signal: AbortSignal, budget: { reservation?: BudgetReservation },
  ): Promise<void> {
    const config = this.config;
    const spans = trace.spans;
    const deadline = request.receivedAt + config.timeouts.totalMs;
    const callOptions = (): CallOptions => ({
      signal,
      connectTimeoutMs: config.timeouts.connectMs,
      timeoutMs: Math.max(1, deadline - this.now()),
    });
    const { tenant, chat, hints, policy, plan, retrieved } = await this.plan(request, trace, callOptions, caller);
    // The route's (or prompt version's) validation block; without one, the request's response_format
    // is checked by the structured-output stage (a mismatch is a 422 response_schema_mismatch).
    const validation = this.validation.blockFor(plan.alias, chat.prompt, undefined) !== undefined
      ? this.validation.plan(plan.alias, chat.prompt, chat.responseFormat) : undefined;
    const escalateTo = validation?.block.escalateTo;
    const selection = { tenant, request: chat, hints, policy, config, breakers: this.breakers, env: this.env };
    // The escalation alias under the same tenant policy (the effective sensitivity, so the floor holds)
    // and the same incident controls as the first route: a suspended route or target is never escalated to.
    const escalation = escalateTo !== undefined ? await planEscalation(selection, escalateTo, this.controls) : undefined;
    trace.escalationPlan = escalation?.plan;
    // Every answer the validation policy may ask for (repairs and the escalation included), plus retrieval's cost.
    budget.reservation = await spans.span(STAGE.BUDGET, undefined, () => reserveForPlan(
      this.budget, trace, plan, request.receivedAt, retrieved?.costUsd, validationReserveUsd(plan, validation, escalation?.plan)));

    const guardrailOptions = callOptions;
    // Redaction, before any target (and any input guardrail) sees the prompt.
    const redacted = this.redaction.applies(plan.alias)
      ? await spans.span(STAGE.REDACTION, undefined, () => this.redaction.apply(plan.alias, chat, guardrailOptions()))
      : undefined;
    if (redacted?.kind === 'pass') trace.redactedEntities = redacted.maskedEntities;
    // The prompt the first route's targets see: redacted where the route redacts.
    const promptChat = redacted?.kind === 'pass' ? redacted.chat : chat;
    const providerRequest = toProviderRequest(promptChat, trace.requestId, tenant, hints, plan);
    const firstRoute: PreparedRoute = {
      plan, request: providerRequest, maskedTexts: redacted?.kind === 'pass' ? redacted.maskedTexts : 0,
      ...(redacted?.kind === 'blocked' ? { blocked: redacted.text } : {}),
    };
    trace.inputTokensEstimate = () => estimateProviderInput(providerRequest);
    const ctx: InvokeContext = {
      providers: request.batchLine?.answers ?? this.providers,
      breakers: this.breakers,
      retry: config.retry,
      deadline,
      signal,
      now: this.now,
      random: this.random,
      sleep: this.sleep,
      attempts: trace.attempts,
      ...(spans.recording ? { tracing: { spans } } : {}),
    };
    // A route's input guardrail runs at most once per request and prompt, before the first target that
    // needs it; an escalation whose guardrail (or redacted prompt) differs runs its own.
    const inputChecks = new Map<string, { readonly messages: ProviderRequest['messages']; readonly result: Promise<InputGuardrailResult> }>();
    const checkInput = (route: PreparedRoute, parent: Span | undefined): Promise<InputGuardrailResult> => {
      if (!this.guardrails) {
        return Promise.reject(new ServiceUnavailableError('The guardrail of this request could not be applied; retry later.', 'guardrail_unavailable', 1));
      }
      const guardrail = route.plan.guardrail!;
      const key = `${guardrail.id}@${guardrail.version}`;
      const known = inputChecks.get(key);
      if (known && known.messages === route.request.messages) return known.result;
      const result = spans.span(STAGE.INPUT_GUARDRAIL, { 'gateway.guardrail.id': guardrail.id }, async (span) => {
        const checked = await applyInputGuardrail(this.guardrails!, guardrail, route.request, guardrailOptions());
        span.set('gateway.guardrail.action', checked.kind === 'blocked' || checked.intervened ? 'INTERVENED' : 'NONE');
        return checked;
      }, { parent });
      inputChecks.set(key, { messages: route.request.messages, result });
      return result;
    };
    // Streams whose route validates them buffered are served whole, then sent as a stream.
    // So are streams with a grounding check: it needs the whole answer.
    const streams = chat.stream && validation?.block.bufferStreams !== true && retrieved?.grounding === undefined;
    let fallbackIndex = 0;
    const serveOn = (route: PreparedRoute, request: ProviderRequest, allowStream: boolean) => (candidate: Candidate): Promise<Served> => spans.span(STAGE.TARGET, {
      'gateway.target.id': candidate.config.id, 'gateway.fallback.index': fallbackIndex++,
    }, (span) => serveCandidate(route, request, allowStream, candidate, ctx.tracing ? { ...ctx, tracing: { spans, parent: span } } : ctx));
    const serveCandidate = async (route: PreparedRoute, request: ProviderRequest, allowStream: boolean, candidate: Candidate, ctx: InvokeContext): Promise<Served> => {
      if (route.blocked !== undefined) return { kind: 'blocked', text: route.blocked };
      const onPlan = route.plan;
      const gatewaySideGuardrail = onPlan.guardrail !== undefined && candidate.target.kind !== 'bedrock';
      // Masked text may be longer than the original: keep the call within its reservation.
      let callRequest = route.maskedTexts > 0 ? fitToReservation(candidate, request) : request;
      let inputIntervened = false;
      if (gatewaySideGuardrail) {
        const checked = await checkInput(route, ctx.tracing?.parent);
        if (checked.kind === 'blocked') return { kind: 'blocked', text: checked.text };
        // The route's prompt as the guardrail left it, then the turns a repair added.
        const masked = checked.intervened ? withCheckedPrompt(request, route.request, checked.request) : request;
        callRequest = checked.intervened || route.maskedTexts > 0 ? fitToReservation(candidate, masked) : masked;
        inputIntervened = checked.intervened;
      }
      if (allowStream && !gatewaySideGuardrail) {
        trace.candidate = candidate;
        const opened = await openStreamOnTarget(candidate, callRequest, ctx);
        return { kind: 'stream', opened, ...(ctx.tracing?.served ? { attemptSpan: ctx.tracing.served } : {}) };
      }
      trace.candidate = candidate;
      const completion = await completeOnTarget(candidate, callRequest, ctx);
      trace.usage = completion.usage;
      trace.usageEstimated = completion.usageEstimated === true;
      trace.servedModel = completion.servedModel;
      if (ctx.tracing?.served) setResponse(ctx.tracing.served, completion.servedModel, completion.finishReason, completion.usage);
      if (!gatewaySideGuardrail) return { kind: 'completion', completion, inputIntervened };
      const checked = await spans.span(STAGE.OUTPUT_GUARDRAIL, undefined, async (span) => {
        const result = await applyOutputGuardrail(this.guardrails!, onPlan.guardrail!, completion, guardrailOptions());
        span.set('gateway.guardrail.action', result.guardrailAction ?? 'NONE');
        return result;
      }, { parent: ctx.tracing?.parent });
      return { kind: 'completion', completion: checked, inputIntervened };
    };
    /** Serves `request` on a route's fallback chain without streaming: a repair's or an escalation's answer. */
    const answerOn = async (route: PreparedRoute, request: ProviderRequest): Promise<Answer> => {
      const next = await runWithFallback(route.plan, ctx, serveOn(route, request, false));
      if (next.result.kind === 'blocked') throw new EscalationUnavailable('guardrail_blocked');
      if (next.result.kind !== 'completion') throw new ChainFailed(chainError(route.plan.alias, [], []), next.candidate);
      return { completion: next.result.completion, candidate: next.candidate, fallback: next.fallback, alias: route.plan.alias };
    };
    /**
     * The escalation's own request: the prompt as the first route's redaction left it (an escalation
     * never sees less redacted text), redacted again by the escalation route's own redaction guardrail
     * when it has a different one, with the escalation plan's output limit.
     */
    const prepareEscalation = async (onPlan: RoutePlan): Promise<PreparedRoute> => {
      const own = config.routes.get(onPlan.alias)?.redactionGuardrail;
      if (own === undefined || own === config.routes.get(plan.alias)?.redactionGuardrail) {
        return { plan: onPlan, request: toProviderRequest(promptChat, trace.requestId, tenant, hints, onPlan), maskedTexts: firstRoute.maskedTexts };
      }
      const again = await spans.span(STAGE.REDACTION, { 'gateway.route': onPlan.alias }, () => this.redaction.apply(onPlan.alias, promptChat, guardrailOptions()));
      if (again.kind === 'blocked') throw new EscalationUnavailable('redaction_blocked');
      trace.redactedEntities = (trace.redactedEntities ?? 0) + again.maskedEntities;
      return { plan: onPlan, request: toProviderRequest(again.chat, trace.requestId, tenant, hints, onPlan), maskedTexts: firstRoute.maskedTexts + again.maskedTexts };
    };

    let served: FallbackResult<Served>;
    try {
      served = await runWithFallback(plan, ctx, serveOn(firstRoute, providerRequest, streams));
    } catch (error) {
      if (error instanceof ClientGone) {
        this.estimateSpentUsage(trace, providerRequest, '');
      }
      throw error;
    }
    let { candidate, fallback, result } = served;
    let validated: ValidationResult | undefined;
    const grounding = retrieved?.grounding;
    if (validation && result.kind === 'completion') {
      const first = { completion: result.completion, candidate, fallback, alias: plan.alias };
      // With a validation block, a failed grounding check is a validation failure: the block's policy applies.
      const validators: AnswerValidator[] = grounding === undefined ? [] : [async (answer) => {
        const verdict = await this.checkGrounding(retrieved!, answer.completion.text, answer.alias, trace, callOptions());
        return verdict.passed ? undefined : groundingViolation(verdict);
      }];
      const escalationPlan = escalation?.plan;
      validated = await spans.span(STAGE.VALIDATION, undefined, () => validateAnswer({
        validation: this.validation, plan: validation, trace, request: providerRequest, signal, reviews: this.reviews, now: this.now,
        first,
        ask: (request) => answerOn(firstRoute, request),
        ...(escalation ? {
          escalation: escalationPlan
            ? { ask: async () => { const route = await prepareEscalation(escalationPlan); return answerOn(route, route.request); } }
            : { unavailable: escalation.unavailable },
        } : {}),
        validators,
      }));
      ({ candidate, fallback } = validated.answer);
      result = { ...result, completion: validated.answer.completion };
      trace.usage = validated.answer.completion.usage;
      trace.usageEstimated = validated.answer.completion.usageEstimated === true;
      trace.servedModel = validated.answer.completion.servedModel;
      trace.candidate = candidate;
      if (validated.outcome === ValidationOutcome.REJECTED) throw new ValidationFailedError(validated.violation!, validated.answers);
    }
    trace.candidate = candidate;
    trace.fallback = fallback;
    const meta: AnswerMeta = {
      requestId: trace.requestId,
      alias: plan.alias,
      modelLabel: modelLabel(candidate),
      attempts: trace.attempts.length,
      fallback,
      created: Math.floor(request.receivedAt / 1000),
      ...(chat.prompt !== undefined ? { prompt: `${chat.prompt.id}@${chat.prompt.version}` } : {}),
      ...(retrieved !== undefined ? { citations: citationsOf(retrieved) } : {}),
      ...answerTier(chat, config.routes.get(plan.alias)?.serviceTier, candidate),
      ...(trace.validation ? { validation: validationHeader(trace.validation) } : {}),
      ...(trace.redactedEntities !== undefined ? { redacted: trace.redactedEntities } : {}),
    };

    if (result.kind === 'stream') {
      const attemptSpan = result.attemptSpan;
      const streamed = validation ? { plan: validation, signal } : undefined;
      await spans.span(STAGE.RESPONSE, { 'gateway.stream': true }, () => this.pipeStream(result.opened, chat, providerRequest, meta, out, trace, attemptSpan, streamed));
      return;
    }
    // One check of the response format and the grounding: the validation stage's when the route validates, else this one.
    const checkAnswer = async (completion: Completion): Promise<void> => {
      if (validation) return;
      const invalid = checkStructuredOutputTraced(spans, completion, chat.responseFormat);
      if (invalid) throw invalid;
      if (grounding === undefined) return;
      const verdict = await this.checkGrounding(retrieved!, completion.text, plan.alias, trace, callOptions());
      if (!verdict.passed) throw groundingFailed(verdict);
    };
    await spans.span(STAGE.RESPONSE, { 'gateway.stream': chat.stream }, () => this.answer(result, candidate, chat, request, meta, out, trace, checkAnswer));
  }

  /** Writes a complete (or guardrail-blocked) answer, as JSON or as a stream. */
  private async answer(
    result: Exclude<Served, { kind: 'stream' }>, candidate: Candidate, chat: ChatRequest, request: GatewayRequest, meta: AnswerMeta,
    out: GuardedSink, trace: RequestTrace, checkAnswer?: (completion: Completion) => Promise<void>,
  ): Promise<void> {
    const completion: Completion = result.kind === 'blocked'
      ? { text: result.text, finishReason: 'content_filter', usage: ZERO_USAGE, servedModel: modelLabel(candidate), guardrailAction: 'INTERVENED' }
      : result.completion;
    const guardrailAction = result.kind === 'blocked' || (result.kind === 'completion' && result.inputIntervened)
      ? 'INTERVENED' : completion.guardrailAction;
    if (result.kind === 'blocked') trace.candidate = candidate;
    trace.guardrailAction = guardrailAction;
    if (result.kind === 'completion' && checkAnswer) await checkAnswer(completion);
    const cost = trace.cost();
    if (chat.stream) {
      // Buffered (a gateway-side output guardrail had to see the whole answer), sent as a stream.
      const sse = new SseWriter(out, meta);
      trace.ttftMs = this.now() - request.receivedAt;
      if (completion.text.length > 0 || completion.logprobs !== undefined) await sse.text(completion.text, completion.logprobs);
      for (const [index, call] of (completion.toolCalls ?? []).entries()) await sse.toolCall({ type: 'tool_call', index, ...call });
      await sse.finish(completion.finishReason, chat.includeUsage ? completion.usage : undefined, { costUsd: cost, guardrailAction, validation: meta.validation });
    } else {
      await writeCompletion(out, meta, { ...completion, costUsd: cost, guardrailAction });
    }
    trace.status = 200;
    trace.outcome = Outcome.SUCCESS;
    trace.endedAt = this.now();
  }

  /**
   * The stages before any spending: tenant, parse, hints, prompt, tenant policy, approval,
   * retrieval, images and route selection (batch lines at the batch price), each recorded on the
   * trace as it is learned.
   */
  private async plan(
    request: GatewayRequest, trace: RequestTrace, callOptions?: () => CallOptions, caller?: TenantContext,
  ): Promise<{ tenant: TenantContext; chat: ChatRequest; hints: RoutingHints; policy: PolicyDecision; plan: RoutePlan; retrieved?: RetrievedContext }> {
    const config = this.config;
    const spans = trace.spans;
    // `caller`: the tenant the endpoint resolved (and admitted); batch lines are checked without one.
    const tenant = caller ?? spans.spanSync(STAGE.TENANT, undefined, () => resolveTenant(request.credentials, request.headers, config));
    trace.tenant = tenant;
    const parsed = spans.spanSync(STAGE.PARSE, undefined, () => parseChatRequest(request.body, request.bodyError, config.limits, request.headers, request.bodyPrefix));
    trace.stream = parsed.stream;
    trace.setRequestedModel(parsed.model, config);
    if (request.batchLine !== undefined && parsed.stream) {
      throw new InvalidRequestError('Batch lines are answered in the output file, not streamed: remove "stream" from the body.', 'invalid_value', 'stream');
    }
    // Until the hints are read, treat the request as restricted if its header or the caller's floor says so.
    if (request.headers['x-gateway-sensitivity']?.trim().toLowerCase() === Sensitivity.RESTRICTED
      || tenant.sensitivityFloor === Sensitivity.RESTRICTED) trace.sensitivity = Sensitivity.RESTRICTED;
    const hints = readRoutingHints(request.headers, parsed.metadata);
    trace.hints = hints;
    const namesPrompt = parsed.promptRef !== undefined || hints.promptId !== undefined;
    const prompted = await spans.span(STAGE.PROMPT, undefined, async (span) => {
      const labelOverrides = namesPrompt && this.labelOverrides ? await this.labelOverrides.current() : undefined;
      return applyPrompt({ chat: parsed, hints, tenant, requestId: trace.requestId, config, labelOverrides,
        onResolved: (prompt) => {
          trace.prompt = prompt;
          span.set('gateway.prompt.id', prompt.id).set('gateway.prompt.version', String(prompt.version));
        },
        contextMarker: `\u0000context-${randomUUID()}\u0000`,
      });
    });
    const policy = spans.spanSync(STAGE.TENANT_POLICY, undefined, () => applyTenantPolicy(tenant, prompted.model, hints, config));
    trace.sensitivity = policy.sensitivity;
    trace.latencyClass = policy.latencyClass;
    // The approval covers the tenant × workflow at the effective sensitivity (floor applied): an escalation inherits it.
    if (this.approvals.applies(policy)) trace.approval = await spans.span(STAGE.APPROVAL, undefined, () => this.approvals.check(tenant, hints, policy));
    let retrieved: RetrievedContext | undefined;
    if (retrieves(prompted, config)) {
      if (!callOptions) {
        throw new InvalidRequestError('Batch lines cannot search a knowledge source: send retrieval requests synchronously.', 'invalid_value', 'retrieval');
      }
      retrieved = await spans.span(STAGE.RETRIEVAL, undefined, async (span) => {
        const found = await retrieveContext({
          chat: prompted, tenant, sensitivity: policy.sensitivity, config, retrievers: this.retrievers, options: callOptions(), now: this.now,
        });
        if (found) {
          span.set('gateway.retrieval.source', found.sourceId).set('gateway.retrieval.documents', found.passages.map((p) => p.documentId))
            .set('gateway.retrieval.context_tokens', found.contextTokens).set('gateway.retrieval.dropped', found.dropped)
            .set('gateway.retrieval.refused', found.refused);
        }
        return found;
      });
      trace.retrieval = retrieved;
    }
    const withImages = !hasRemoteImages(prompted) ? prompted : await spans.span(STAGE.IMAGES, undefined, () => {
      if (!callOptions) {
        throw new InvalidRequestError('Batch lines cannot carry image URLs: send the images as base64 data URLs.', 'invalid_value', 'messages');
      }
      return resolveImageUrls({ chat: prompted, config, fetcher: this.imageFetcher, signal: callOptions().signal });
    });
    const chat = assembleContext(withImages, retrieved);
    const plan = await spans.span(STAGE.ROUTE, undefined, async (span) => {
      const chosen = await this.controls.apply(selectRoute({
        tenant, request: chat, hints, policy, config, breakers: this.breakers, env: this.env,
        batchPricing: request.batchLine !== undefined && request.batchLine.onDemandPrice !== true,
        ...(request.batchLine?.price !== undefined ? { linePrice: request.batchLine.price } : {}),
      }), tenant);
      span.set('gateway.route', chosen.alias).set('gateway.route.candidates', chosen.candidates.map((c) => c.config.id));
      return chosen;
    });
    trace.route = plan.alias;
    trace.plan = plan;
    return { tenant, chat, hints, policy, plan, retrieved };
  }

  /**
   * The route's grounding check of an answer against its passages, in its own span, recorded on the
   * trace. The caller decides what a failure is: a validation failure under the route's validation
   * block, else a 502 `grounding_failed`. A check that cannot run fails closed (503 `guardrail_unavailable`).
   */
  private checkGrounding(retrieved: RetrievedContext, answer: string, alias: string, trace: RequestTrace, options: CallOptions): Promise<ValidationVerdict> {
    const check = retrieved.grounding!;
    return trace.spans.span(STAGE.VALIDATION, { 'gateway.validation.check': 'grounding', 'gateway.guardrail.id': check.guardrail },
      (span) => this.scoreGrounding(retrieved, answer, alias, trace, options, span));
  }

  private async scoreGrounding(
    retrieved: RetrievedContext, answer: string, alias: string, trace: RequestTrace, options: CallOptions, span: Span,
  ): Promise<ValidationVerdict> {
    const check = retrieved.grounding!;
    const ref = this.config.guardrails.get(check.guardrail);
    if (!this.grounding || !ref) {
      throw new ServiceUnavailableError(`The grounding check of route '${alias}' could not be applied; retry later.`, 'guardrail_unavailable', 1);
    }
    let verdict;
    try {
      verdict = await groundingValidator(this.grounding, ref, check, options)(answer, retrieved.passages, retrieved.query);
    } catch (error) {
      if (error instanceof UpstreamError && error.code === 'aborted') throw new ClientGone();
      throw new ServiceUnavailableError(`The grounding check of route '${alias}' could not be applied; retry later.`, 'guardrail_unavailable', 1);
    }
    trace.grounding = verdict;
    span.set('gateway.grounding.score', verdict.score).set('gateway.grounding.passed', verdict.passed);
    return verdict;
  }

  /** Sends an opened stream to the client; failures after the first chunk end it with an error event. */
  private async pipeStream(
    opened: OpenedStream, chat: ChatRequest, providerRequest: ProviderRequest, meta: AnswerMeta, out: GuardedSink, trace: RequestTrace,
    attemptSpan?: Span,
    validation?: { readonly plan: ValidationPlan; readonly signal: AbortSignal },
  ): Promise<void> {
    const sse = new SseWriter(out, meta);
    sse.start();
    trace.status = 200;
    let text = '';
    let chunk = opened.first;
    let invalid: GatewayError | undefined;
    try {
      for (;;) {
        if (chunk.type === 'text' || chunk.type === 'tool_call') {
          if (trace.ttftMs === undefined) trace.ttftMs = this.now() - trace.receivedAt;
          if (chunk.type === 'text') {
            text += chunk.text;
            await sse.text(chunk.text, chunk.logprobs);
          } else {
            text += chunk.arguments;
            await sse.toolCall(chunk);
          }
          if (out.gone) throw new ClientGone();
        } else {
          trace.usage = chunk.usage;
          trace.usageEstimated = chunk.usageEstimated === true;
          trace.servedModel = chunk.servedModel;
          trace.guardrailAction = chunk.guardrailAction;
          trace.ttftMs ??= this.now() - trace.receivedAt;
          if (attemptSpan) setResponse(attemptSpan, chunk.servedModel, chunk.finishReason, chunk.usage);
          if (validation) {
            // Unbuffered validation: the answer has streamed; a failure ends the stream with an error event.
          const end = chunk;
            const verdict = await trace.spans.span(STAGE.VALIDATION, { 'gateway.stream': true }, () => validateAnswer({
              validation: this.validation, plan: validation.plan, trace, request: providerRequest,
              signal: validation.signal, reviews: this.reviews, now: this.now,
              first: {
                completion: { text, finishReason: end.finishReason, usage: end.usage, servedModel: end.servedModel, guardrailAction: end.guardrailAction },
                candidate: trace.candidate!, fallback: meta.fallback, alias: meta.alias,
              },
            }));
            if (verdict.outcome === ValidationOutcome.REJECTED) {
              invalid = new ValidationFailedError(verdict.violation!, verdict.answers);
              break;
            }
          } else {
            // The content is out; a mismatch ends the stream with the error instead of [DONE].
            invalid = checkStructuredOutputTraced(trace.spans, { text, finishReason: chunk.finishReason }, chat.responseFormat);
            if (invalid) break;
          }
          await sse.finish(chunk.finishReason, chat.includeUsage ? chunk.usage : undefined, {
            costUsd: trace.cost(), guardrailAction: chunk.guardrailAction, validation: trace.validation ? validationHeader(trace.validation) : undefined,
          });
          trace.outcome = out.gone ? Outcome.CLIENT_DISCONNECT : Outcome.SUCCESS;
          trace.endedAt = this.now();
          return;
        }
        const next = await opened.rest.next();
        if (next.done) {
          throw new UpstreamError('the stream ended without its end chunk', { disposition: 'retryable', code: 'streamTruncated' });
        }
        chunk = next.value;
      }
    } catch (error) {
      this.estimateSpentUsage(trace, providerRequest, text);
      if (error instanceof ClientGone || out.gone) throw new ClientGone();
      const upstream = error instanceof UpstreamError ? error
        : new UpstreamError('the stream failed', { disposition: 'fallback', code: 'adapterError', cause: error });
      if (upstream.disposition === 'client' && upstream.code === 'aborted') throw new ClientGone();
      throw new MidStreamFailure(chainError(meta.alias, [upstream], []));
    } finally {
      opened.close();
    }
    throw new MidStreamFailure(invalid);
  }

  /** Records estimated tokens for a call whose upstream never reported usage (cut or abandoned). */
  private estimateSpentUsage(trace: RequestTrace, providerRequest: ProviderRequest, outputText: string): void {
    if (trace.attempts.length === 0) return;
    const usage: TokenUsage = {
      inputTokens: estimateProviderInput(providerRequest),
      outputTokens: estimateTokens(outputText),
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
    };
    trace.usage = usage;
    trace.usageEstimated = true;
  }

  private async fail(error: unknown, out: GuardedSink, trace: RequestTrace): Promise<void> {
    trace.endedAt = this.now();
    if (error instanceof ClientGone || out.gone) {
      trace.outcome = Outcome.CLIENT_DISCONNECT;
      trace.status = out.started ? trace.status || 200 : 499;
      await out.end();
      return;
    }
    let gatewayError: GatewayError;
    if (error instanceof MidStreamFailure) {
      gatewayError = error.error;
    } else if (error instanceof ChainFailed) {
      gatewayError = error.error;
      trace.candidate ??= error.lastCandidate;
    } else if (error instanceof GatewayError) {
      gatewayError = error;
    } else {
      gatewayError = new InternalError(`The gateway failed to process this request (request id ${trace.requestId}).`, 'internal_error');
      // The detail is for the operator; a chat request whose sensitivity is not known yet could be
      // restricted, so its detail is dropped (the record keeps the code).
      const mayCarryText = (trace.operation === 'chat.completions' || trace.operation === 'embeddings') && trace.sensitivity === undefined;
      if (!mayCarryText) {
        trace.errorDetail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`).slice(0, 2000) : String(error).slice(0, 200);
      }
    }
    trace.errorCode = gatewayError.code;
    if (error instanceof MidStreamFailure || out.started) {
      trace.outcome = Outcome.STREAM_ERROR;
      trace.status = 200;
      await new SseWriter(out, {
        requestId: trace.requestId, alias: trace.route ?? '', modelLabel: '', attempts: trace.attempts.length, fallback: trace.fallback, created: 0,
      }).fail(gatewayError);
      return;
    }
    trace.status = gatewayError.status;
    trace.outcome = outcomeOf(gatewayError);
    const headers: Record<string, string> = { [HEADERS.requestId]: trace.requestId };
    if (trace.route !== undefined) headers[HEADERS.route] = trace.route;
    if (trace.attempts.length > 0) headers[HEADERS.attempts] = String(trace.attempts.length);
    if (trace.validation) headers[HEADERS.validation] = validationHeader(trace.validation);
    if (trace.redactedEntities !== undefined) headers[HEADERS.redacted] = String(trace.redactedEntities);
    await writeError(out, gatewayError, headers);
  }
}

const UPSTREAM_CODES = new Set(['targets_unavailable', 'guardrail_unavailable', 'upstream_rejected_request']);

function outcomeOf(error: GatewayError): Outcome {
  if (error instanceof InternalError) return Outcome.INTERNAL_ERROR;
  if (error.status >= 500 || error.code.startsWith('upstream_') || UPSTREAM_CODES.has(error.code)) return Outcome.UPSTREAM_ERROR;
  return Outcome.REJECTED;
}

/** The answer's `citations`: each passage in the prompt by its number. */
function citationsOf(retrieved: RetrievedContext): Citation[] {
  return retrieved.passages.map((p) => ({
    index: p.index,
    source: retrieved.sourceId,
    document_id: p.documentId,
    score: Math.round(p.score * 10_000) / 10_000,
    ...(p.uri !== undefined ? { uri: p.uri } : {}),
  }));
}

/** A route's request as its targets see it: the route's own redaction applied, its plan's output limit. */
interface PreparedRoute {
  readonly plan: RoutePlan;
  readonly request: ProviderRequest;
  /** The route's redaction blocked the prompt: the answer is this message, no target is called. */
  readonly blocked?: string;
  /** Texts the redaction masked (calls are then fitted to their reservation). */
  readonly maskedTexts: number;
}

/**
 * `request` with the route's prompt replaced by the input guardrail's masked one: `request` is the
 * route's request (`base`) or a repair of it (the base's turns, then the turns the repair added).
 */
function withCheckedPrompt(request: ProviderRequest, base: ProviderRequest, checked: ProviderRequest): ProviderRequest {
  if (request === base) return { ...request, messages: checked.messages };
  return { ...request, messages: [...checked.messages, ...request.messages.slice(base.messages.length)] };
}

/** The model named in the `x-gateway-model` header: the underlying model for per-tenant profiles. */
function modelLabel(candidate: Candidate): string {
  if (candidate.config.profileArns !== undefined) return candidate.config.priceModelId;
  return candidate.target.kind === 'bedrock' ? candidate.target.modelId : candidate.target.model;
}

/**
 * The provider-neutral request, with attribution metadata sanitised for Bedrock `requestMetadata`
 * and the plan's output limit (the one its reservation counts) as `maxTokens`.
 */
function toProviderRequest(chat: ChatRequest, requestId: string, tenant: TenantContext, hints: RoutingHints, plan: RoutePlan): ProviderRequest {
  const alias = plan.alias;
  const metadata: Record<string, string> = {
    requestId: sanitiseMetadataValue(requestId),
    tenantId: sanitiseMetadataValue(tenant.tenantId),
    route: sanitiseMetadataValue(alias),
  };
  if (hints.workflow !== undefined) metadata.workflow = sanitiseMetadataValue(hints.workflow);
  if (chat.prompt !== undefined) metadata.prompt = sanitiseMetadataValue(`${chat.prompt.id}@${chat.prompt.version}`);
  if (tenant.keyId !== undefined) metadata.keyId = sanitiseMetadataValue(tenant.keyId);
  return {
    requestId,
    system: chat.system,
    messages: chat.messages,
    metadata,
    maxTokens: plan.estimatedOutputTokens,
    ...(chat.temperature !== undefined ? { temperature: chat.temperature } : {}),
    ...(chat.topP !== undefined ? { topP: chat.topP } : {}),
    ...(chat.stop !== undefined ? { stop: chat.stop } : {}),
    ...(chat.responseFormat !== undefined ? { responseFormat: chat.responseFormat } : {}),
    ...(chat.tools !== undefined ? { tools: chat.tools } : {}),
    ...(chat.seed !== undefined ? { seed: chat.seed } : {}),
    ...(chat.presencePenalty !== undefined ? { presencePenalty: chat.presencePenalty } : {}),
    ...(chat.frequencyPenalty !== undefined ? { frequencyPenalty: chat.frequencyPenalty } : {}),
    ...(chat.logprobs !== undefined ? { logprobs: chat.logprobs } : {}),
    ...(chat.stablePrefix !== undefined ? { stablePrefix: chat.stablePrefix } : {}),
  };
}

/**
 * The answer's `service_tier`: the tier the serving target was called at, when the request or its
 * route asked for one (`default` when that target does not offer the route's tier); absent otherwise.
 */
function answerTier(chat: ChatRequest, routeTier: ServiceTier | undefined, candidate: Candidate): { serviceTier?: string } {
  if (candidate.serviceTier !== undefined) return { serviceTier: candidate.serviceTier };
  return chat.serviceTier !== undefined || routeTier !== undefined ? { serviceTier: ServiceTier.DEFAULT } : {};
}

/** The model id of a `/v1/models/{model}` path, or undefined when it is not one segment of valid percent-encoding. */
function decodeModelId(segment: string): string | undefined {
  if (segment.length === 0 || segment.length > 512 || segment.includes('/')) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
