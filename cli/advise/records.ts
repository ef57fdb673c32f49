/**
 * What the workload advisor reads of each request: the usage record's fields it needs, from the
 * ledger's raw records (deployed) or from the router's JSON log lines (local mode's stdout, or a
 * CloudWatch Logs export).
 */

export interface AdvisorRecord {
  /** Epoch ms of arrival. */
  readonly at: number;
  readonly tenantId: string;
  /** `-` when the request named none. */
  readonly workflow: string;
  readonly route?: string;
  readonly targetId?: string;
  /** `aws.bedrock` or `openai` (self-hosted and other OpenAI-compatible servers). */
  readonly provider?: string;
  readonly priceModelId?: string;
  readonly promptId?: string;
  readonly latencyClass?: string;
  readonly sensitivity?: string;
  readonly outcome: string;
  readonly attempts: number;
  readonly fallback: boolean;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
  readonly costUsd: number;
  readonly wasteUsd: number;
  readonly latencyMs: number;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** A ledger raw record item (`TENANT#<t>` / `REQ#<id>`), or undefined when it is not a chat request. */
export function fromLedgerItem(item: Readonly<Record<string, unknown>>): AdvisorRecord | undefined {
  const at = typeof item.timestamp === 'string' ? Date.parse(item.timestamp) : NaN;
  const tenantId = str(item.tenantId);
  if (Number.isNaN(at) || tenantId === undefined || item.operation !== 'chat.completions') return undefined;
  return {
    at, tenantId, workflow: str(item.workflow) ?? '-', route: str(item.route), targetId: str(item.targetId), provider: str(item.provider),
    priceModelId: str(item.priceModelId), promptId: str(item.promptId), latencyClass: str(item.latencyClass), sensitivity: str(item.sensitivity),
    outcome: str(item.outcome) ?? 'unknown', attempts: num(item.attempts), fallback: item.fallback === true,
    inputTokens: num(item.inputTokens), outputTokens: num(item.outputTokens), cacheReadInputTokens: num(item.cacheReadInputTokens),
    cacheWriteInputTokens: num(item.cacheWriteInputTokens), costUsd: num(item.costUsd), wasteUsd: num(item.wasteUsd), latencyMs: num(item.latencyMs),
  };
}

/** A router log line (`toLogLine` of lambda/router/telemetry/log-sink.ts), or undefined when it is not a chat request's. */
export function fromLogLine(line: Readonly<Record<string, unknown>>): AdvisorRecord | undefined {
  const at = typeof line.timestamp === 'string' ? Date.parse(line.timestamp) : NaN;
  const tenantId = str(line['gateway.tenant.id']);
  if (Number.isNaN(at) || tenantId === undefined || line['gen_ai.operation.name'] !== 'chat' || line['gateway.usage.unrecorded'] === true) return undefined;
  const cacheRead = num(line['gen_ai.usage.cache_read.input_tokens']);
  const cacheWrite = num(line['gen_ai.usage.cache_creation.input_tokens']);
  return {
    at, tenantId, workflow: str(line['gateway.workflow']) ?? '-', route: str(line['gateway.route']), targetId: str(line['gateway.target.id']),
    provider: str(line['gen_ai.system']), priceModelId: str(line['gateway.price_model_id']), promptId: str(line['gateway.prompt.id']),
    latencyClass: str(line['gateway.latency_class']), sensitivity: str(line['gateway.sensitivity']),
    outcome: str(line['gateway.outcome']) ?? 'unknown', attempts: num(line['gateway.attempts']), fallback: line['gateway.fallback'] === true,
    inputTokens: num(line['gateway.usage.uncached_input_tokens']), outputTokens: num(line['gen_ai.usage.output_tokens']),
    cacheReadInputTokens: cacheRead, cacheWriteInputTokens: cacheWrite, costUsd: num(line['gateway.cost_usd']),
    wasteUsd: num(line['gateway.waste_usd']), latencyMs: num(line['gateway.latency_ms']),
  };
}
