/**
 * The usage record: one per request, whatever happened (success, rejection, failure after tokens
 * were spent, a stream cut mid-way, a client that went away), written through a `UsageSink`.
 * The default sink (telemetry/log-sink.ts) writes it as the request's structured log line with
 * Embedded Metric Format metrics; a ledger sink (DynamoDB) can be added beside it.
 */
import type { BudgetReservation } from './budget';

/** How a request ended. */
export enum Outcome {
  /** Answered (also when a guardrail intervened). */
  SUCCESS = 'success',
  /** Refused before any model call (400, 401, 403, 404, 405, 408, 413, budget 429). */
  REJECTED = 'rejected',
  /** Every target failed, or the deadline passed, before an answer (429, 502, 503, 504). */
  UPSTREAM_ERROR = 'upstream_error',
  /** A stream that had started failed mid-way (ended with an error event, no `[DONE]`). */
  STREAM_ERROR = 'stream_error',
  /** The client went away before the answer was complete. */
  CLIENT_DISCONNECT = 'client_disconnect',
  /** A fault of the gateway itself (500). */
  INTERNAL_ERROR = 'internal_error',
  /**
   * The invocation died between reservation and settlement (timeout, out of memory, killed): the
   * usage sweeper wrote this record from the request's in-flight item, at its estimated cost.
   */
  ABANDONED = 'abandoned',
}

/** One model call attempt, for the trace. */
export interface AttemptRecord {
  readonly targetId: string;
  /** `ok`, or the upstream error code (`throttling`, `timeout`, ...). */
  readonly result: string;
  readonly upstreamStatus?: number;
  readonly durationMs: number;
  /**
   * Tokens this attempt spent without producing the answer (a failed attempt that reached the
   * model: timeouts, streams cut after tokens, calls abandoned by a client), estimated.
   */
  readonly wasteInputTokens?: number;
  readonly wasteOutputTokens?: number;
  /** Their cost at the attempt's target's price, in USD. */
  readonly wasteUsd?: number;
  /**
   * The validator an answer of this attempt failed (its `result` is then `validation_failed`).
   * @default - none
   */
  readonly validator?: string;
}

export interface UsageRecord {
  readonly requestId: string;
  /** ISO 8601 time the request arrived. */
  readonly timestamp: string;
  /** `chat.completions`, `models`, or `other` (unknown paths). */
  readonly operation: string;
  readonly tenantId?: string;
  readonly keyId?: string;
  readonly tier?: string;
  readonly workflow?: string;
  readonly promptId?: string;
  readonly promptVersion?: string;
  readonly sensitivity?: string;
  readonly latencyClass?: string;
  /** The `model` the client asked for, when it is `auto` or a configured alias (else absent). */
  readonly requestedModel?: string;
  /** The route alias that was chosen. */
  readonly route?: string;
  /** The target that served (or last failed). */
  readonly targetId?: string;
  /** `aws.bedrock` or `openai` (OpenTelemetry `gen_ai.system`). */
  readonly provider?: string;
  /** The model that served, as the provider names it. */
  readonly servedModel?: string;
  /** The price-table key the cost was computed with. */
  readonly priceModelId?: string;
  /** The service tier the serving target was called at (its price is that tier's); absent: default. */
  readonly serviceTier?: string;
  readonly stream: boolean;
  /** The HTTP status the client received (200 for streams that failed after starting). */
  readonly status: number;
  readonly outcome: Outcome;
  /** The error code the client received (`model_not_found`, `upstream_timeout`, ...). */
  readonly errorCode?: string;
  /** Model call attempts, across all targets. */
  readonly attempts: number;
  readonly attemptDetails: readonly AttemptRecord[];
  /** True when a target other than the route's first served (or was tried after a failure). */
  readonly fallback: boolean;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
  /** True when token counts are estimates (the provider reported none, or the stream was cut). */
  readonly usageEstimated: boolean;
  /** Everything the request cost, failed attempts included; what its budget is charged. */
  readonly costUsd: number;
  /**
   * The part of `costUsd` that bought no complete answer: failed attempts (retries, fallbacks),
   * streams cut after tokens, answers the client left before, abandoned invocations.
   * @default 0
   */
  readonly wasteUsd?: number;
  /** @default 0 */
  readonly wasteInputTokens?: number;
  /** @default 0 */
  readonly wasteOutputTokens?: number;
  /** Streams: arrival to the first content byte sent, in ms. */
  readonly ttftMs?: number;
  /** Arrival to the end of the answer, in ms. */
  readonly latencyMs: number;
  /** `NONE`, `INTERVENED`, or absent when no guardrail applied. */
  readonly guardrailAction?: string;
  /**
   * Routes with a `redactionGuardrail`: how many sensitive-information matches were masked in the
   * prompt before any target saw it (0 when none were found); absent when the route does not redact.
   * The `x-gateway-redacted` response header carries the same count.
   */
  readonly redactedEntities?: number;
  /** The approval that admitted a restricted request (with `restrictedData.requireApproval`). */
  readonly approval?: ApprovalUsage;
  /**
   * How response validation ended (`passed`, `repaired`, `escalated`, `flagged`, `rejected`);
   * absent when the request had nothing to validate.
   */
  readonly validationOutcome?: string;
  /** The validator of the last failure (`request_schema`, `forbidden_pattern`, `function`, ...). */
  readonly validator?: string;
  /** The rule of the last failure, in the configuration's words (`forbiddenPatterns[1]`). */
  readonly validationRule?: string;
  /** The policy that applied, such as `retry:1>escalate:strong>reject`. */
  readonly validationPolicy?: string;
  /** The answers validation asked for (1 + repairs + escalation). */
  readonly validationAnswers?: number;
  /** The alias whose answer was returned after an escalation. */
  readonly escalatedTo?: string;
  /**
   * The policy reached its escalation step and did not use it: why, as an error code
   * (`route_suspended` or `targets_suspended` by the operators' kill switch, `model_not_found`,
   * `route_not_cleared`, `guardrail_blocked`, `targets_unavailable`, …).
   */
  readonly escalationSkipped?: string;
  /**
   * For internal errors only, and never for restricted requests: the exception, for the operator.
   */
  readonly errorDetail?: string;
  /** What the retrieval stage did, for requests that retrieved. */
  readonly retrieval?: RetrievalUsage;
  /** A feedback request: the score it recorded (its workflow and prompt fields are the rated request's). */
  readonly feedbackScore?: number;
  /** The request's trace (32 hex digits, X-Ray `1-xxxxxxxx-…` without dashes), when it was traced. */
  readonly traceId?: string;
  /** When traced: milliseconds per pipeline stage (span name → time), for the log line only (not the ledger). */
  readonly stageMs?: Readonly<Record<string, number>>;
}

/**
 * The approval in force that admitted a restricted request: who granted it, on which ticket, and
 * which grant (its time) — never its reason nor any content of the request.
 */
export interface ApprovalUsage {
  /** The change or risk ticket recorded with the approval (`RISK-1234`). */
  readonly ticket: string;
  /** The approver's IAM identity (ARN), or `local:<user>` in local mode. */
  readonly approver: string;
  /** ISO 8601 time the approval was granted: with the tenant and workflow, it names the grant. */
  readonly grantedAt: string;
  /** ISO 8601 time the approval lapses. */
  readonly expiresAt: string;
}

/** One passage that entered the prompt: the document and its relevance score (never its text). */
export interface RetrievedDocument {
  readonly id: string;
  readonly score: number;
}

/** The retrieval part of a usage record. */
export interface RetrievalUsage {
  /** The knowledge source id searched. */
  readonly source: string;
  readonly latencyMs: number;
  /** The passages that entered the prompt, best first. */
  readonly documents: readonly RetrievedDocument[];
  /** Passages returned but dropped by the context budget (score, tokens, count). */
  readonly dropped: number;
  /** Passages returned outside the tenant or clearance, dropped by the gateway's check (expected 0). */
  readonly refused: number;
  /** Estimated tokens of the passages in the prompt. */
  readonly contextTokens: number;
  /** The search's price (`costPerQueryUsd`), part of `costUsd`. */
  readonly costUsd: number;
  /** The grounding check's score (the lower of grounding and relevance), when the route checks. */
  readonly groundingScore?: number;
  /** Whether the answer passed the grounding check, when the route checks. */
  readonly groundingPassed?: boolean;
}

/** Where usage records go. `record` must not throw; a failing sink logs its own failure. */
export interface UsageSink {
  /**
   * Records one request. `reservation` is the request's budget reservation, for a sink that
   * settles it in the same write as the record (the DynamoDB ledger); other sinks ignore it.
   */
  record(record: UsageRecord, reservation?: BudgetReservation): Promise<void>;
}

/** Writes each record to every sink, in parallel. */
export class FanOutUsageSink implements UsageSink {
  constructor(private readonly sinks: readonly UsageSink[]) {}

  async record(record: UsageRecord, reservation?: BudgetReservation): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.record(record, reservation)));
  }
}
