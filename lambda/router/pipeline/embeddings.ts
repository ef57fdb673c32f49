/**
 * `POST /v1/embeddings`: the embeddings path through the same stages as chat — tenant, parse,
 * hints, tenant policy, route (embedding targets only), incident controls, budget reservation,
 * guardrail, provider calls with retries and fallback — and one usage record with output tokens 0.
 *
 * - The reservation bounds the input by UTF-8 bytes (an embedding model's tokenizer emits at most
 *   one token per byte, see ../providers/token-bound.ts) plus `TOKENS_PER_EMBEDDING_INPUT` framing
 *   tokens per input, at the target's input price; there is no output.
 * - A guardrail of the tenant or the route checks the inputs gateway-side (no model applies one to
 *   InvokeModel embeddings); any intervention refuses the request (400 `content_filter`): masked
 *   text would embed something else than the client sent. An unreachable guardrail fails closed (503).
 * - `encoding_format: base64` is the little-endian float32 bytes of each vector, as OpenAI sends it.
 */
import { AUTO_ALIAS } from '../../shared/schema';
import { Sensitivity } from '../../shared/config';
import { ResolvedGatewayConfig } from '../../shared/defaults';
import { InvalidRequestError, ServiceUnavailableError, UpstreamError } from '../errors';
import { embeddingCalls } from '../providers/bedrock/embedding-calls';
import { GatewayRequest, ResponseSink } from '../http';
import { utf8Bytes } from '../providers/token-bound';
import { EmbeddingRequest, Embeddings } from '../providers/types';
import { estimateTokens } from '../providers/usage';
import { CircuitBreakers } from '../reliability/circuit-breaker';
import { BudgetGuard, BudgetReservation } from '../usage/budget';
import { Outcome } from '../usage/types';
import { IncidentControlsStage } from './controls';
import { EmbeddingsRequest, parseEmbeddingsRequest } from './embeddings-parse';
import { runWithFallback } from './fallback';
import { GuardrailApplier } from './guardrail-types';
import { readRoutingHints } from './hints';
import { guardrailUnavailable } from './input-guardrail';
import { ClientGone, embedOnTarget, InvokeContext, ProviderRegistry } from './invoke';
import { ApprovalStage } from './approval';
import { applyTenantPolicy } from './policy';
import { AnswerMeta, baseHeaders, formatUsd, HEADERS } from './respond';
import { reserveForPlan } from './reserve';
import { planNamedRoute, PlanBound } from './route';
import { resolveTenant } from './tenant';
import { TenantContext } from './types';
import { RequestTrace } from './usage';
import { STAGE } from '../tracing/spans';

/** Framing tokens allowed per input: an embedding model's start/end tokens (CLS/SEP, BOS/EOS) and input-type prefix. */
export const TOKENS_PER_EMBEDDING_INPUT = 8;

/** What the embeddings path needs of the gateway. */
export interface EmbeddingsContext {
  readonly config: ResolvedGatewayConfig;
  readonly providers: ProviderRegistry;
  readonly breakers: CircuitBreakers;
  readonly controls: IncidentControlsStage;
  /** Restricted inputs are admitted only under an approval in force, as chat requests are. */
  readonly approvals: ApprovalStage;
  readonly budget: BudgetGuard;
  readonly guardrails?: GuardrailApplier;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => number;
  readonly random: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * The reservation bound of an embeddings request: its bytes and framing per input, no output.
 *
 * @example embeddingsBound(['héllo']).inputTokensOn(target) // 6 + 8
 */
export function embeddingsBound(inputs: readonly string[]): PlanBound {
  let tokens = 0;
  for (const text of inputs) tokens += utf8Bytes(text) + TOKENS_PER_EMBEDDING_INPUT;
  return { embeddings: true, outputTokens: 0, inputTokensOn: () => tokens };
}

/** The body of an embeddings answer (OpenAI's `CreateEmbeddingResponse`). */
export function embeddingsBody(alias: string, embeddings: Embeddings, encodingFormat: EmbeddingsRequest['encodingFormat']): Record<string, unknown> {
  return {
    object: 'list',
    data: embeddings.vectors.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: encodingFormat === 'base64' ? Buffer.from(Float32Array.from(vector).buffer).toString('base64') : vector,
    })),
    model: alias,
    usage: { prompt_tokens: embeddings.inputTokens, total_tokens: embeddings.inputTokens },
  };
}

async function checkGuardrail(ctx: EmbeddingsContext, guardrail: NonNullable<ReturnType<typeof planNamedRoute>['guardrail']>,
  inputs: readonly string[], signal: AbortSignal, deadline: number): Promise<void> {
  if (!ctx.guardrails) throw new ServiceUnavailableError('The guardrail of this request could not be applied; retry later.', 'guardrail_unavailable', 1);
  let verdict;
  try {
    verdict = await ctx.guardrails.apply(guardrail, 'INPUT', inputs.join('\n\n'), {
      signal, connectTimeoutMs: ctx.config.timeouts.connectMs, timeoutMs: Math.max(1, deadline - ctx.now()),
    });
  } catch (error) {
    if (signal.aborted) throw new ClientGone();
    throw guardrailUnavailable(error);
  }
  if (verdict.action !== 'NONE') {
    throw new InvalidRequestError('The guardrail intervened on the input; no embeddings are computed for it.', 'content_filter', 'input');
  }
}

/**
 * Refuses, naming the parameter, what the serving (first) target's model cannot take: a
 * `dimensions` a Bedrock model does not produce, a text longer than Cohere Embed accepts.
 */
function checkModelLimits(plan: ReturnType<typeof planNamedRoute>, call: EmbeddingRequest): void {
  const target = plan.candidates[0].target;
  if (target.kind !== 'bedrock' || target.embeddingFamily === undefined) return;
  try {
    embeddingCalls(target.embeddingFamily, call);
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw error;
    const param = error.code === 'unsupportedDimensions' ? 'dimensions' : 'input';
    throw new InvalidRequestError(`The model '${plan.alias}' cannot take this request: ${error.message}.`, 'invalid_value', param);
  }
}

/** What an embeddings request asks for and where it goes: the checks of every stage before a model call passed. */
export interface EmbeddingsPlan {
  readonly parsed: EmbeddingsRequest;
  readonly plan: ReturnType<typeof planNamedRoute>;
  /** The call every candidate gets. */
  readonly call: EmbeddingRequest;
}

/**
 * The stages of an embeddings request before its budget and any model call — tenant, parse, hints,
 * tenant policy, approval of restricted data, route (embedding targets only, a batch line at its batch price), incident controls,
 * the serving model's limits — recorded on `trace`. Throws the request's `GatewayError`. A batch
 * line is checked with it before the batch runs (the same errors as a synchronous request).
 *
 * @example const { plan, call } = await planEmbeddings(ctx, request, trace); // a batch line: the tenant resolved here
 */
export async function planEmbeddings(ctx: EmbeddingsContext, request: GatewayRequest, trace: RequestTrace, caller?: TenantContext): Promise<EmbeddingsPlan> {
  const config = ctx.config;
  const spans = trace.spans;
  // `caller`: the tenant the endpoint resolved (and admitted); batch lines are checked without one.
  const tenant = caller ?? spans.spanSync(STAGE.TENANT, undefined, () => resolveTenant(request.credentials, request.headers, config));
  trace.tenant = tenant;
  const parsed = spans.spanSync(STAGE.PARSE, undefined, () => parseEmbeddingsRequest(request.body, request.bodyError, config.limits));
  trace.setRequestedModel(parsed.model, config);
  if (request.headers['x-gateway-sensitivity']?.trim().toLowerCase() === Sensitivity.RESTRICTED) trace.sensitivity = Sensitivity.RESTRICTED;
  const hints = readRoutingHints(request.headers, parsed.metadata);
  trace.hints = hints;
  if (hints.promptId !== undefined) {
    throw new InvalidRequestError('Prompts apply to chat completions, not to embeddings.', 'invalid_hint', hints.promptParam ?? 'prompt');
  }
  if (parsed.model === AUTO_ALIAS) {
    throw new InvalidRequestError("'auto' routes chat completions; name an embedding model for embeddings.", 'model_not_supported', 'model');
  }
  const policy = spans.spanSync(STAGE.TENANT_POLICY, undefined, () => applyTenantPolicy(tenant, parsed.model, hints, config));
  trace.sensitivity = policy.sensitivity;
  trace.latencyClass = policy.latencyClass;
  if (ctx.approvals.applies(policy)) trace.approval = await spans.span(STAGE.APPROVAL, undefined, () => ctx.approvals.check(tenant, hints, policy));
  const batchPricing = request.batchLine !== undefined && request.batchLine.onDemandPrice !== true;
  const plan = await spans.span(STAGE.ROUTE, undefined, async (span) => {
    const chosen = await ctx.controls.apply(planNamedRoute({ tenant, hints, policy, config, breakers: ctx.breakers, env: ctx.env, batchPricing }, parsed.model, embeddingsBound(parsed.inputs)), tenant);
    span.set('gateway.route', chosen.alias).set('gateway.route.candidates', chosen.candidates.map((c) => c.config.id));
    return chosen;
  });
  trace.route = plan.alias;
  trace.plan = plan;
  const call: EmbeddingRequest = {
    requestId: trace.requestId,
    inputs: parsed.inputs,
    ...(parsed.dimensions !== undefined ? { dimensions: parsed.dimensions } : {}),
    ...(parsed.inputType !== undefined ? { inputType: parsed.inputType } : {}),
    ...(parsed.user !== undefined ? { user: parsed.user } : {}),
  };
  checkModelLimits(plan, call);
  return { parsed, plan, call };
}

/**
 * Serves `POST /v1/embeddings` into `out`; throws the request's `GatewayError` (the gateway writes
 * it and the usage record). A batch line a job answered is served from its recorded answer
 * (`request.batchLine.answers`) instead of calling the model.
 *
 * @example await serveEmbeddings(ctx, request, tenant, out, trace, signal, budget); // tenant: resolved and admitted by the gateway
 */
export async function serveEmbeddings(
  ctx: EmbeddingsContext, request: GatewayRequest, tenant: TenantContext, out: ResponseSink, trace: RequestTrace, signal: AbortSignal,
  budget: { reservation?: BudgetReservation },
): Promise<void> {
  const config = ctx.config;
  const spans = trace.spans;
  const { parsed, plan, call } = await planEmbeddings(ctx, request, trace, tenant);
  budget.reservation = await spans.span(STAGE.BUDGET, undefined, () => reserveForPlan(ctx.budget, trace, plan, request.receivedAt));
  const deadline = request.receivedAt + config.timeouts.totalMs;
  const guardrail = plan.guardrail;
  if (guardrail) await spans.span(STAGE.INPUT_GUARDRAIL, undefined, () => checkGuardrail(ctx, guardrail, parsed.inputs, signal, deadline));

  const estimate = (): number => parsed.inputs.reduce((n, t) => n + estimateTokens(t), 0);
  trace.inputTokensEstimate = estimate;
  const invoke: InvokeContext = {
    providers: request.batchLine?.answers ?? ctx.providers, breakers: ctx.breakers, retry: config.retry, deadline, signal,
    now: ctx.now, random: ctx.random, sleep: ctx.sleep, attempts: trace.attempts,
  };
  let fallbackIndex = 0;
  let served;
  try {
    served = await runWithFallback(plan, invoke, (candidate) => spans.span(STAGE.TARGET, {
      'gateway.target.id': candidate.config.id, 'gateway.fallback.index': fallbackIndex++,
    }, async (span) => {
      trace.candidate = candidate;
      const traced: InvokeContext = spans.recording ? { ...invoke, tracing: { spans, parent: span } } : invoke;
      const embeddings = await embedOnTarget(candidate, call, traced);
      traced.tracing?.served?.set('gen_ai.response.model', embeddings.servedModel).set('gen_ai.usage.input_tokens', embeddings.inputTokens);
      return embeddings;
    }));
  } catch (error) {
    // A call the client abandoned may have been billed: its input, estimated.
    if (error instanceof ClientGone && trace.attempts.length > 0) {
      trace.usage = { inputTokens: estimate(), outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };
      trace.usageEstimated = true;
    }
    throw error;
  }
  const { candidate, fallback, result } = served;
  trace.candidate = candidate;
  trace.fallback = fallback;
  trace.usage = { inputTokens: result.inputTokens, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };
  trace.usageEstimated = result.usageEstimated === true;
  trace.servedModel = result.servedModel;
  const meta: AnswerMeta = {
    requestId: trace.requestId,
    alias: plan.alias,
    modelLabel: candidate.config.profileArns !== undefined ? candidate.config.priceModelId : result.servedModel,
    attempts: trace.attempts.length,
    fallback,
    created: Math.floor(request.receivedAt / 1000),
  };
  await spans.span(STAGE.RESPONSE, { 'gateway.stream': false }, async () => {
    out.start(200, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...baseHeaders(meta),
      [HEADERS.costUsd]: formatUsd(trace.cost()),
    });
    await out.write(JSON.stringify(embeddingsBody(plan.alias, result, parsed.encodingFormat)));
    await out.end();
  });
  trace.status = 200;
  trace.outcome = Outcome.SUCCESS;
  trace.endedAt = ctx.now();
}
