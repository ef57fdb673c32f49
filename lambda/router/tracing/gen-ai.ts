/**
 * The OpenTelemetry GenAI semantic conventions (gen_ai.*, status Development) on the gateway's
 * spans: a model call attempt is a CLIENT span `chat {model}` with the request and response
 * attributes; the request's root span carries the usage record's attribution (`gateway.*`).
 */
import { EmbeddingRequest, ProviderRequest, TokenUsage } from '../providers/types';
import { Candidate } from '../pipeline/types';
import { UsageRecord } from '../usage/types';
import { Attributes, Span } from './spans';

/** `gen_ai.provider.name` of a target kind. */
export function providerName(candidate: Candidate): string {
  return candidate.target.kind === 'bedrock' ? 'aws.bedrock' : 'openai';
}

function requestModel(candidate: Candidate): string {
  if (candidate.config.profileArns !== undefined) return candidate.config.priceModelId;
  return candidate.target.kind === 'bedrock' ? candidate.target.modelId : candidate.target.model;
}

/** A span's name and attributes, before it starts. */
export interface SpanDescription {
  readonly name: string;
  readonly attributes: Attributes;
}

function modelCallSpan(operation: string, candidate: Candidate, attempt: number): { name: string; attributes: Attributes } {
  const model = requestModel(candidate);
  const attributes: Attributes = {
    'gen_ai.operation.name': operation,
    'gen_ai.provider.name': providerName(candidate),
    'gen_ai.request.model': model,
    'gateway.target.id': candidate.config.id,
    'gateway.attempt': attempt,
  };
  if (candidate.target.kind !== 'bedrock') {
    try {
      const url = new URL(candidate.target.baseUrl);
      attributes['server.address'] = url.hostname;
    } catch {
      // an invalid base URL fails the call itself
    }
  }
  return { name: `${operation} ${model}`, attributes };
}

/** The span name and attributes of one chat attempt on `candidate` (no message text, ever). */
export function attemptSpan(candidate: Candidate, request: ProviderRequest, attempt: number): SpanDescription {
  const span = modelCallSpan('chat', candidate, attempt);
  if (request.maxTokens !== undefined) span.attributes['gen_ai.request.max_tokens'] = request.maxTokens;
  if (request.temperature !== undefined) span.attributes['gen_ai.request.temperature'] = request.temperature;
  if (request.topP !== undefined) span.attributes['gen_ai.request.top_p'] = request.topP;
  return span;
}

/** The span name and attributes of one embeddings attempt on `candidate` (no input text, ever). */
export function embeddingsAttemptSpan(candidate: Candidate, request: EmbeddingRequest, attempt: number): SpanDescription {
  const span = modelCallSpan('embeddings', candidate, attempt);
  if (request.dimensions !== undefined) span.attributes['gen_ai.embeddings.dimension.count'] = request.dimensions;
  return span;
}

/** The response attributes of a served attempt. */
export function setResponse(span: Span, servedModel: string, finishReason: string, usage: TokenUsage): void {
  span.set('gen_ai.response.model', servedModel)
    .set('gen_ai.response.finish_reasons', [finishReason])
    .set('gen_ai.usage.input_tokens', usage.inputTokens + usage.cacheReadInputTokens + usage.cacheWriteInputTokens)
    .set('gen_ai.usage.output_tokens', usage.outputTokens)
    .set('gen_ai.usage.cache_read.input_tokens', usage.cacheReadInputTokens)
    .set('gen_ai.usage.cache_creation.input_tokens', usage.cacheWriteInputTokens);
}

/** The root span's attributes from the request's usage record: what joins the trace to logs, ledger and feedback. */
export function setRecord(span: Span, r: UsageRecord): void {
  span.set('gateway.request.id', r.requestId)
    .set('gen_ai.operation.name', r.operation === 'chat.completions' ? 'chat' : r.operation)
    .set('gen_ai.provider.name', r.provider)
    .set('gen_ai.request.model', r.requestedModel)
    .set('gen_ai.response.model', r.servedModel)
    .set('http.response.status_code', r.status)
    .set('gateway.tenant.id', r.tenantId)
    .set('gateway.workflow', r.workflow)
    .set('gateway.prompt.id', r.promptId)
    .set('gateway.prompt.version', r.promptVersion)
    .set('gateway.sensitivity', r.sensitivity)
    .set('gateway.latency_class', r.latencyClass)
    .set('gateway.route', r.route)
    .set('gateway.target.id', r.targetId)
    .set('gateway.stream', r.stream)
    .set('gateway.attempts', r.attempts)
    .set('gateway.fallback', r.fallback)
    .set('gateway.outcome', r.outcome)
    .set('gateway.ttft_ms', r.ttftMs)
    .set('gateway.cost_usd', r.costUsd)
    .set('gateway.waste_usd', r.wasteUsd)
    .set('gateway.guardrail.action', r.guardrailAction)
    .set('gen_ai.usage.input_tokens', r.inputTokens + r.cacheReadInputTokens + r.cacheWriteInputTokens)
    .set('gen_ai.usage.output_tokens', r.outputTokens);
  if (r.errorCode !== undefined) span.fail(r.errorCode);
}
