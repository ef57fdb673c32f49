/**
 * Stage: the usage record. A `RequestTrace` collects what each stage learned about the request;
 * `toUsageRecord()` turns it into the one record the request produces, whatever happened.
 */
import { LatencyClass, Sensitivity } from '../../shared/config';
import { AUTO_ALIAS } from '../../shared/schema';
import { ResolvedGatewayConfig } from '../../shared/defaults';
import { TokenUsage } from '../providers/types';
import { costUsd, ZERO_USAGE } from '../usage/cost';
import { AttemptRecord, Outcome, UsageRecord } from '../usage/types';
import { Candidate, ResolvedPromptRef, RoutingHints, TenantContext } from './types';

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

  constructor(readonly requestId: string, readonly receivedAt: number) {}

  /** Records the `model` the client asked for, if it is one the configuration knows (never free text). */
  setRequestedModel(model: string, config: ResolvedGatewayConfig): void {
    if (model === AUTO_ALIAS || config.routes.has(model)) this.requestedModel = model;
  }

  /** The cost of the tokens recorded, at the serving (or last tried) target's price. */
  cost(): number {
    return this.candidate ? costUsd(this.usage, this.candidate.price) : 0;
  }

  toUsageRecord(now: number): UsageRecord {
    const c = this.candidate;
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
      } : {}),
      ...(this.servedModel !== undefined ? { servedModel: this.servedModel } : {}),
      stream: this.stream,
      status: this.status,
      outcome: this.outcome,
      ...(this.errorCode !== undefined ? { errorCode: this.errorCode } : {}),
      attempts: this.attempts.length,
      attemptDetails: [...this.attempts],
      fallback: this.fallback,
      inputTokens: this.usage.inputTokens,
      outputTokens: this.usage.outputTokens,
      cacheReadInputTokens: this.usage.cacheReadInputTokens,
      cacheWriteInputTokens: this.usage.cacheWriteInputTokens,
      usageEstimated: this.usageEstimated,
      costUsd: this.cost(),
      ...(this.ttftMs !== undefined ? { ttftMs: this.ttftMs } : {}),
      latencyMs: Math.max(0, (this.endedAt ?? now) - this.receivedAt),
      ...(this.guardrailAction !== undefined ? { guardrailAction: this.guardrailAction } : {}),
      ...(this.errorDetail !== undefined && !restricted ? { errorDetail: this.errorDetail } : {}),
    };
  }
}
