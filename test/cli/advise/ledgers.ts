/** Generated ledgers with known answers for the workload advisor's tests. */
import { Outcome, UsageRecord } from '../../../lambda/router/usage/types';
import { TargetCapacity, TokenPrice } from '../../../cli/advise/analyse';
import { ThroughputFigure } from '../../../cli/advise/catalogue';

export const MONTH = '2026-11';
const START = Date.parse('2026-11-01T00:00:00.000Z');
const HOUR = 3_600_000;

export const SONNET: TokenPrice = { inputUsdPer1K: 0.003, outputUsdPer1K: 0.015, cacheReadUsdPer1K: 0.0003 };
export const BEDROCK_PRICES = { 'anthropic.claude-sonnet-4': SONNET };

/** A benchmark of the operator's own for g6.xlarge (the catalogue has no published figure for it). */
export const G6_FIGURE: ThroughputFigure = {
  instanceType: 'g6.xlarge', outputTokensPerSecond: 900,
  source: { url: 'https://example.com/bench/g6-qwen3-8b', date: '2026-10-02', note: 'Qwen3-8B on vLLM, 64 concurrent requests' },
};

let n = 0;
function record(at: number, fields: Partial<UsageRecord>): UsageRecord {
  n += 1;
  const inputTokens = fields.inputTokens ?? 1000;
  const outputTokens = fields.outputTokens ?? 5;
  const bedrock = (fields.provider ?? 'aws.bedrock') === 'aws.bedrock';
  return {
    requestId: `r-${n}`, timestamp: new Date(at).toISOString(), operation: 'chat.completions', tenantId: 'acme', tier: 'standard',
    workflow: 'classify', latencyClass: 'standard', sensitivity: 'internal', route: 'classify', targetId: bedrock ? 'sonnet' : 'vllm',
    provider: bedrock ? 'aws.bedrock' : 'openai', priceModelId: bedrock ? 'anthropic.claude-sonnet-4' : 'qwen3-8b', stream: false, status: 200,
    outcome: Outcome.SUCCESS, attempts: 1, attemptDetails: [], fallback: false, inputTokens, outputTokens, cacheReadInputTokens: 0,
    cacheWriteInputTokens: 0, usageEstimated: false,
    costUsd: bedrock ? (inputTokens * SONNET.inputUsdPer1K + outputTokens * SONNET.outputUsdPer1K) / 1000 : (inputTokens + outputTokens) * 0.0001 / 1000,
    wasteUsd: 0, latencyMs: 300, ...fields,
  };
}

/**
 * A steady, high-volume classification workflow: 20 requests every hour of the month (weighted
 * as 100 each by their tokens: 100,000 input and 500 output tokens a request) on Bedrock Sonnet,
 * about 21,900 USD a month.
 */
export function steadyClassification(): UsageRecord[] {
  const out: UsageRecord[] = [];
  for (let h = 0; h < 720; h++) {
    for (let i = 0; i < 20 + (h % 3); i++) out.push(record(START + h * HOUR + i * 1000, { inputTokens: 100_000, outputTokens: 10 }));
  }
  return out;
}

/** A spiky, low-volume workflow: three bursts of 10 requests on three days. */
export function spikyAdhoc(): UsageRecord[] {
  const out: UsageRecord[] = [];
  for (const day of [2, 11, 23]) {
    for (let i = 0; i < 10; i++) out.push(record(START + day * 24 * HOUR + 14 * HOUR + i * 5000, { workflow: 'adhoc', route: 'chat', inputTokens: 800, outputTokens: 400, latencyClass: 'interactive' }));
  }
  return out;
}

/** A workflow on a self-hosted route whose GPU idles: a handful of requests a day. */
export function idleSelfHosted(): UsageRecord[] {
  const out: UsageRecord[] = [];
  for (let d = 0; d < 30; d++) {
    for (let i = 0; i < 3; i++) out.push(record(START + d * 24 * HOUR + 9 * HOUR + i * HOUR, { workflow: 'drafts', route: 'drafts', provider: 'openai', inputTokens: 600, outputTokens: 300 }));
  }
  return out;
}

/** The idle target's capacity: one g6e.xlarge all month, GPU at about 2 %. */
export function idleCapacity(): TargetCapacity {
  const utilization = [];
  for (let h = 0; h < 720; h++) utilization.push({ hour: new Date(START + h * HOUR).toISOString().slice(0, 13), gpuPercent: h % 24 >= 9 && h % 24 < 12 ? 6 : 1 });
  return { targetId: 'vllm', instanceType: 'g6e.xlarge', instances: 1, utilization };
}

/** A failed, retried request of a workflow (token waste). */
export function wasteful(): UsageRecord {
  return record(START + 5 * HOUR, { workflow: 'adhoc', route: 'chat', outcome: Outcome.UPSTREAM_ERROR, attempts: 3, fallback: true, wasteUsd: 0.02, costUsd: 0.02 });
}
