/**
 * The retrieval settings with their defaults applied, as the router uses them, and their
 * cross-reference checks (sources granted and named exist, grounding guardrails exist).
 */
import { GatewayConfig } from './config';
import { GroundingCheckConfig, KnowledgeSourceConfig, KnowledgeSourceKind } from './config-retrieval';
import { RETRIEVAL_DEFAULTS } from './schema-retrieval';

/** The prompt template slot the retrieval stage fills with the passages: `{{context}}`. */
export const CONTEXT_SLOT = 'context';

/** A knowledge source with every default applied. */
export interface ResolvedKnowledgeSource extends KnowledgeSourceConfig {
  readonly tenantKey: string;
  readonly sensitivityKey: string;
  readonly maxResults: number;
  readonly minScore: number;
  readonly maxContextTokens: number;
  readonly costPerQueryUsd: number;
  readonly budgetSharePercent: number;
}

/** A grounding check with its thresholds. */
export interface ResolvedGroundingCheck extends GroundingCheckConfig {
  readonly groundingThreshold: number;
  readonly relevanceThreshold: number;
}

/** Applies the defaults of one knowledge source. */
export function resolveKnowledgeSource(s: KnowledgeSourceConfig): ResolvedKnowledgeSource {
  return {
    ...s,
    tenantKey: s.tenantKey ?? RETRIEVAL_DEFAULTS.tenantKey,
    sensitivityKey: s.sensitivityKey ?? RETRIEVAL_DEFAULTS.sensitivityKey,
    maxResults: s.maxResults ?? RETRIEVAL_DEFAULTS.maxResults,
    minScore: s.minScore ?? RETRIEVAL_DEFAULTS.minScore,
    maxContextTokens: s.maxContextTokens ?? RETRIEVAL_DEFAULTS.maxContextTokens,
    costPerQueryUsd: s.costPerQueryUsd ?? RETRIEVAL_DEFAULTS.costPerQueryUsd,
    budgetSharePercent: s.budgetSharePercent ?? RETRIEVAL_DEFAULTS.budgetSharePercent,
  };
}

/** Applies the thresholds' defaults of a grounding check. */
export function resolveGroundingCheck(g: GroundingCheckConfig): ResolvedGroundingCheck {
  return {
    ...g,
    groundingThreshold: g.groundingThreshold ?? RETRIEVAL_DEFAULTS.groundingThreshold,
    relevanceThreshold: g.relevanceThreshold ?? RETRIEVAL_DEFAULTS.relevanceThreshold,
  };
}

/** Appends one message per retrieval cross-reference problem of a shape-valid configuration. */
export function crossCheckRetrieval(config: GatewayConfig, issues: string[]): void {
  const sources = config.knowledgeSources ?? [];
  const ids = sources.map((s) => s.id);
  const knownIds = ids.length ? `known knowledge sources: ${ids.join(', ')}` : 'no knowledgeSources are configured';
  const seen = new Set<string>();
  sources.forEach((s, i) => {
    if (seen.has(s.id)) issues.push(`knowledgeSources[${i}].id: duplicate knowledge source id '${s.id}'`);
    seen.add(s.id);
    if (s.sharedTenantValue !== undefined && config.tenants.some((t) => t.id === s.sharedTenantValue)) {
      issues.push(`knowledgeSources[${i}].sharedTenantValue: '${s.sharedTenantValue}' is a tenant id; shared documents need a value no tenant has`);
    }
    if (s.kind === KnowledgeSourceKind.BEDROCK_KNOWLEDGE_BASE && s.tenantKey === s.sensitivityKey && s.tenantKey !== undefined) {
      issues.push(`knowledgeSources[${i}].sensitivityKey: it must differ from tenantKey '${s.tenantKey}'`);
    }
  });
  config.tenants.forEach((t, i) => (t.allowedKnowledgeSources ?? []).forEach((id, k) => {
    if (!ids.includes(id)) issues.push(`tenants[${i}].allowedKnowledgeSources[${k}]: unknown knowledge source '${id}'; ${knownIds}`);
  }));
  const guardrails = Object.keys(config.guardrails ?? {});
  config.routes.forEach((r, i) => {
    const retrieval = r.retrieval;
    if (retrieval === undefined) return;
    const source = sources.find((s) => s.id === retrieval.source);
    if (!source) issues.push(`routes[${i}].retrieval.source: unknown knowledge source '${retrieval.source}'; ${knownIds}`);
    const max = source?.maxResults ?? RETRIEVAL_DEFAULTS.maxResults;
    if (source && retrieval.topK !== undefined && retrieval.topK > max) {
      issues.push(`routes[${i}].retrieval.topK: ${retrieval.topK} exceeds the source's maxResults ${max}`);
    }
    const g = retrieval.grounding;
    if (g !== undefined && !guardrails.includes(g.guardrail)) {
      issues.push(`routes[${i}].retrieval.grounding.guardrail: unknown guardrail '${g.guardrail}'; ${guardrails.length ? `known guardrails: ${guardrails.join(', ')}` : 'no guardrails are configured'}`);
    }
  });
}
