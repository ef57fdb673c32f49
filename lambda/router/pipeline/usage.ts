/**
 * Stage: the usage record. A `RequestTrace` collects what each stage learned about the request;
 * `toUsageRecord()` turns it into the one record the request produces, whatever happened.
 */
import { LatencyClass, Sensitivity } from '../../shared/config';
import { ApprovalEntry } from '../../shared/approvals-schema';
import { AUTO_ALIAS } from '../../shared/schema';
import { ResolvedGatewayConfig } from '../../shared/defaults';
import { TokenUsage } from '../providers/types';
import { NO_SPANS, RequestSpans } from '../tracing/spans';
import { FeedbackAttribution } from '../usage/store';
import { NO_DIMENSION_VALUE } from '../../shared/usage-table-schema';
import { costUsd, roundUsd, ZERO_USAGE } from '../usage/cost';
import { ApprovalUsage, AttemptRecord, Outcome, RetrievalUsage, UsageRecord } from '../usage/types';
import type { RetrievedContext } from './retrieval';
import type { ValidationVerdict } from '../retrieval/grounding';
import { VALIDATION_FAILED, ValidationOutcome, Violation } from '../validation/types';
import { Candidate, ResolvedPromptRef, RoutePlan, RoutingHints, TenantContext } from './types';

/**
 * Attempt results after which the model had the request and may have spent tokens on it: timeouts,
 * streams cut before their end, calls abandoned by the client. Throttling, refused connections and
 * client errors spend nothing.
 */
export const TOKEN_SPENDING_FAILURES: ReadonlySet<string> = new Set([
  'timeout', 'modelTimeout', 'firstTokenTimeout', 'streamTruncated', 'aborted',
]);

/** Outcomes whose own tokens bought no complete answer for the client. */
const WASTED_OUTCOMES: ReadonlySet<Outcome> = new Set([
  Outcome.STREAM_ERROR, Outcome.CLIENT_DISCONNECT, Outcome.UPSTREAM_ERROR, Outcome.INTERNAL_ERROR, Outcome.ABANDONED,
]);


/** What response validation recorded on the trace. */
export interface TraceValidation {
  readonly outcome: ValidationOutcome;
  readonly policy: string;
  readonly answers: number;
  readonly violation?: Violation;
  readonly escalatedTo?: string;
  /** Why the policy's escalation was not used (an error code: `route_suspended`, `targets_suspended`, …). */
  readonly escalationSkipped?: string;
}

function validationFields(v: TraceValidation | undefined): Partial<UsageRecord> {
  if (!v) return {};
  return {
    validationOutcome: v.outcome,
    validationPolicy: v.policy,
    validationAnswers: v.answers,
    ...(v.violation ? { validator: v.violation.validator, validationRule: v.violation.rule } : {}),
    ...(v.escalatedTo !== undefined ? { escalatedTo: v.escalatedTo } : {}),
    ...(v.escalationSkipped !== undefined ? { escalationSkipped: v.escalationSkipped } : {}),
  };
}

/** Who admitted a restricted request, on which ticket: never the approval's reason, never content. */
function approvalUsage(a: ApprovalEntry): ApprovalUsage {
  return { ticket: a.ticket, approver: a.approver, grantedAt: a.grantedAt, expiresAt: a.expiresAt };
}

export class RequestTrace {
  operation = 'other';
  tenant?: TenantContext;
  hints: RoutingHints = {};
  /** The prompt version the gateway resolved (never the client's own claim). */
  prompt?: ResolvedPromptRef;
  sensitivity?: Sensitivity;
  latencyClass?: LatencyClass;
  requestedModel?: string;
  route?: string;
  candidate?: Candidate;
  servedModel?: string;
  stream = false;
  status = 0;
  outcome: Outcome = Outcome.INTERNAL_ERROR;
  errorCode?: string;
  errorDetail?: string;
  readonly attempts: AttemptRecord[] = [];
  fallback = false;
  usage: TokenUsage = ZERO_USAGE;
  usageEstimated = false;
  ttftMs?: number;
  endedAt?: number;
  guardrailAction?: string;
  /** The route plan, once chosen: the prices and the input estimate of failed attempts. */
  plan?: RoutePlan;
  /** The validation escalation's plan, when the policy has one: the prices of its attempts. */
  escalationPlan?: RoutePlan;
  /** How response validation ended (pipeline/validate.ts). */
  validation?: TraceValidation;
  /**
   * The typical input-token count of the request as sent (about 4 characters per token), for the
   * waste of failed attempts: the plan's `estimatedInputTokens` is a bound for reservations, several
   * times the real count for English text. Computed only when an attempt failed after reaching a model.
   */
  inputTokensEstimate?: () => number;
  /** What the retrieval stage found (pipeline/retrieval.ts). */
  retrieval?: RetrievedContext;
  /** The approval that admitted a restricted request (pipeline/approval.ts). */
  approval?: ApprovalEntry;
  /** Matches the route's redaction masked in the prompt, when the route redacts (pipeline/redact.ts). */
  redactedEntities?: number;
  /** The grounding check's verdict, when the route checks. */
  grounding?: ValidationVerdict;
  /**
   * The request's spans: every stage records its span here (`trace.spans.span(STAGE.X, attrs, fn)`,
   * see tracing/spans.ts). `NO_SPANS` when the request is not traced.
   */
  spans: RequestSpans = NO_SPANS;
  /** A feedback request: the score given. */
  feedbackScore?: number;

  constructor(readonly requestId: string, readonly receivedAt: number) {}

  /**
   * A feedback request that was recorded: its score, and the rated request's workflow and prompt
   * version (as the ledger counted them), so its log line says what the score is about.
   */
  setFeedback(score: number, attribution: FeedbackAttribution): void {
    this.feedbackScore = score;
    if (attribution.workflow !== NO_DIMENSION_VALUE) this.hints = { ...this.hints, workflow: attribution.workflow };
    const at = attribution.prompt.lastIndexOf('@');
    const version = Number(attribution.prompt.slice(at + 1));
    if (at > 0 && Number.isInteger(version)) this.prompt = { id: attribution.prompt.slice(0, at), version };
  }

  /** Records the `model` the client asked for, if it is one the configuration knows (never free text). */
  setRequestedModel(model: string, config: ResolvedGatewayConfig): void {
    if (model === AUTO_ALIAS || config.routes.has(model)) this.requestedModel = model;
  }

  /**
   * What the usage sweeper needs to write this request's `abandoned` record if its invocation
   * dies: the attribution fields known once the route is chosen (kept on the in-flight item).
   */
  abandonedRecordFields(): Record<string, string | boolean> {
    const fields: Record<string, string | boolean> = { operation: this.operation, stream: this.stream };
    const t = this.tenant;
    if (t) {
      fields.tier = t.tier;
      if (t.keyId !== undefined) fields.keyId = t.keyId;
    }
    if (this.hints.workflow !== undefined) fields.workflow = this.hints.workflow;
    // The prompt version the gateway resolved (as in toUsageRecord), never the client's claim.
    if (this.prompt !== undefined) {
      fields.promptId = this.prompt.id;
      fields.promptVersion = String(this.prompt.version);
    }
    if (this.sensitivity !== undefined) fields.sensitivity = this.sensitivity;
    if (this.latencyClass !== undefined) fields.latencyClass = this.latencyClass;
    if (this.requestedModel !== undefined) fields.requestedModel = this.requestedModel;
    return fields;
  }

  /**
   * Marks the attempt that produced `answer` as failing validation; `charge` records its tokens as
   * waste on the attempt (an answer replaced by another one), otherwise the request's own usage
   * already counts them (the answer that was rejected). Answers are marked in the order they were
   * produced, and an answer is marked only once its replacement has answered (so the newest `ok`
   * attempt of the target may be the replacement's): the answer is the target's oldest attempt
   * still `ok`.
   */
  markFailedAnswer(candidate: Candidate, usage: TokenUsage, validator: string, charge: boolean): void {
    for (let i = 0; i < this.attempts.length; i++) {
      const a = this.attempts[i];
      if (a.targetId !== candidate.config.id || a.result !== 'ok') continue;
      const waste = charge ? {
        wasteInputTokens: usage.inputTokens + usage.cacheReadInputTokens + usage.cacheWriteInputTokens,
        wasteOutputTokens: usage.outputTokens,
        wasteUsd: costUsd(usage, candidate.price),
      } : {};
      this.attempts[i] = { ...a, result: VALIDATION_FAILED, validator, ...waste };
      return;
    }
  }

  /** The cost of the tokens recorded, at the serving (or last tried) target's price, and of the search. */
  cost(): number {
    return (this.candidate ? costUsd(this.usage, this.candidate.price) : 0) + (this.retrieval?.costUsd ?? 0);
  }

  /** The retrieval part of the record (document ids and scores, never passage text). */
  private retrievalUsage(): RetrievalUsage | undefined {
    const r = this.retrieval;
    if (!r) return undefined;
    return {
      source: r.sourceId,
      latencyMs: r.latencyMs,
      documents: r.passages.map((p) => ({ id: p.documentId, score: p.score })),
      dropped: r.dropped,
      refused: r.refused,
      contextTokens: r.contextTokens,
      costUsd: r.costUsd,
      ...(this.grounding ? { groundingScore: this.grounding.score, groundingPassed: this.grounding.passed } : {}),
    };
  }

  /**
   * Every attempt with the tokens it wasted: a failed attempt that reached the model is charged
   * the request's estimated input tokens (`inputTokensEstimate`, else the plan's bound) at its target's price (the provider reports no usage for
   * it). The last attempt is not, when the request's own usage already estimates it (a call the
   * client abandoned).
   */
  private attemptsWithWaste(): readonly AttemptRecord[] {
    const plan = this.plan;
    // The usual case, every attempt answered or spent nothing: the attempts as they are, no copy.
    if (!plan || !this.attempts.some((a) => a.result !== 'ok' && TOKEN_SPENDING_FAILURES.has(a.result))) return this.attempts;
    return this.attempts.map((a, i) => {
      if (!plan || a.result === 'ok' || !TOKEN_SPENDING_FAILURES.has(a.result)) return a;
      if (i === this.attempts.length - 1 && this.usageEstimated && this.usage.inputTokens > 0) return a;
      const price = [...plan.candidates, ...(this.escalationPlan?.candidates ?? [])].find((c) => c.config.id === a.targetId)?.price;
      if (!price) return a;
      const usage = { ...ZERO_USAGE, inputTokens: this.inputTokensEstimate?.() ?? plan.estimatedInputTokens };
      return { ...a, wasteInputTokens: usage.inputTokens, wasteOutputTokens: 0, wasteUsd: costUsd(usage, price) };
    });
  }

  toUsageRecord(now: number): UsageRecord {
    const c = this.candidate;
    const attempts = this.attemptsWithWaste();
    const own = this.cost();
    const ownWasted = WASTED_OUTCOMES.has(this.outcome) || this.validation?.outcome === ValidationOutcome.REJECTED;
    let wasteUsd = ownWasted ? own : 0;
    let wasteInputTokens = ownWasted ? this.usage.inputTokens + this.usage.cacheReadInputTokens + this.usage.cacheWriteInputTokens : 0;
    let wasteOutputTokens = ownWasted ? this.usage.outputTokens : 0;
    let attemptsUsd = 0;
    for (const a of attempts) {
      attemptsUsd += a.wasteUsd ?? 0;
      wasteInputTokens += a.wasteInputTokens ?? 0;
      wasteOutputTokens += a.wasteOutputTokens ?? 0;
    }
    wasteUsd += attemptsUsd;
    const restricted = this.sensitivity === Sensitivity.RESTRICTED;
    const t = this.tenant;
    const h = this.hints;
    return {
      requestId: this.requestId,
      timestamp: new Date(this.receivedAt).toISOString(),
      operation: this.operation,
      ...(t ? { tenantId: t.tenantId, tier: t.tier, ...(t.keyId !== undefined ? { keyId: t.keyId } : {}) } : {}),
      ...(h.workflow !== undefined ? { workflow: h.workflow } : {}),
      ...(this.prompt !== undefined ? { promptId: this.prompt.id, promptVersion: String(this.prompt.version) } : {}),
      ...(this.sensitivity !== undefined ? { sensitivity: this.sensitivity } : {}),
      ...(this.latencyClass !== undefined ? { latencyClass: this.latencyClass } : {}),
      ...(this.requestedModel !== undefined ? { requestedModel: this.requestedModel } : {}),
      ...(this.route !== undefined ? { route: this.route } : {}),
      ...(c ? {
        targetId: c.config.id,
        provider: c.target.kind === 'bedrock' ? 'aws.bedrock' : 'openai',
        priceModelId: c.config.priceModelId,
        ...(c.serviceTier !== undefined ? { serviceTier: c.serviceTier } : {}),
      } : {}),
      ...(this.servedModel !== undefined ? { servedModel: this.servedModel } : {}),
      stream: this.stream,
      status: this.status,
      outcome: this.outcome,
      ...(this.errorCode !== undefined ? { errorCode: this.errorCode } : {}),
      attempts: this.attempts.length,
      attemptDetails: attempts,
      fallback: this.fallback,
      inputTokens: this.usage.inputTokens,
      outputTokens: this.usage.outputTokens,
      cacheReadInputTokens: this.usage.cacheReadInputTokens,
      cacheWriteInputTokens: this.usage.cacheWriteInputTokens,
      usageEstimated: this.usageEstimated,
      costUsd: roundUsd(own + attemptsUsd),
      wasteUsd: roundUsd(wasteUsd),
      wasteInputTokens,
      wasteOutputTokens,
      ...(this.ttftMs !== undefined ? { ttftMs: this.ttftMs } : {}),
      latencyMs: Math.max(0, (this.endedAt ?? now) - this.receivedAt),
      ...(this.guardrailAction !== undefined ? { guardrailAction: this.guardrailAction } : {}),
      ...(this.redactedEntities !== undefined ? { redactedEntities: this.redactedEntities } : {}),
      ...(this.approval !== undefined ? { approval: approvalUsage(this.approval) } : {}),
      ...validationFields(this.validation),
      ...(this.errorDetail !== undefined && !restricted ? { errorDetail: this.errorDetail } : {}),
      ...(this.retrieval ? { retrieval: this.retrievalUsage() } : {}),
      ...(this.feedbackScore !== undefined ? { feedbackScore: this.feedbackScore } : {}),
      ...(this.spans.recording ? { traceId: this.spans.traceId, stageMs: this.spans.stageDurations() } : {}),
    };
  }
}
