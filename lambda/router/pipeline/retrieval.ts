/**
 * Stage: retrieval. A request that names a knowledge source (`"retrieval": {"source", "query",
 * "top_k", "filter"}` in the body), or asks a route that always retrieves, gets passages from the
 * source — only ever the caller's tenant's documents at a sensitivity at most the request's:
 *
 * 1. The source must exist and be granted to the tenant (else 404 `knowledge_source_not_found`, the
 *    same answer for both, so a tenant cannot probe other tenants' sources).
 * 2. The filter is the gateway's: tenant AND sensitivity ≤ the request's, AND the client's filter
 *    (grammar-checked, never naming those keys): a client narrows, never widens.
 * 3. Every passage the source returns is checked against the gateway's clauses again (a
 *    misconfigured store cannot leak), then the context budget applies: passages below `minScore`
 *    are dropped, then the lowest-scored until the passages fit `maxContextTokens` (and the source's
 *    share of the request's input); a single passage longer than the budget is cut to it.
 * 4. The passages, numbered `[1]…[n]`, become the prompt's `{{context}}` or a system block, and the
 *    answer's `citations`.
 */
import { Sensitivity } from '../../shared/config';
import { ResolvedGatewayConfig } from '../../shared/defaults';
import { resolveGroundingCheck, ResolvedGroundingCheck, ResolvedKnowledgeSource } from '../../shared/retrieval-defaults';
import { KnowledgeSourceKind } from '../../shared/config-retrieval';
import { InvalidRequestError, NotFoundError, ServiceUnavailableError, UpstreamError } from '../errors';
import { estimateTokens } from '../providers/usage';
import { CallOptions, ChatTurn } from '../providers/types';
import { gatewayFilter, matchesFilter, ownedClauses, parseClientFilter, RetrievalFilter } from '../retrieval/filter';
import { MAX_QUERY_CHARS } from '../retrieval/request';
import { Passage, RetrieverRegistry } from '../retrieval/types';
import { ChatRequest, TenantContext } from './types';

/** A passage that entered the prompt, with its citation number. */
export interface ContextPassage extends Passage {
  /** 1-based: the `[n]` the prompt and the answer cite it by. */
  readonly index: number;
  /** Estimated tokens of its text as it entered the prompt. */
  readonly tokens: number;
  /** True when the passage was cut to fit the budget. */
  readonly truncated: boolean;
}

/** What the retrieval stage found and kept. */
export interface RetrievedContext {
  readonly sourceId: string;
  readonly query: string;
  /** The filter sent to the source. */
  readonly filter: RetrievalFilter;
  readonly passages: readonly ContextPassage[];
  /** Passages the source returned that the budget dropped (score, tokens, count). */
  readonly dropped: number;
  /** Passages the source returned outside the tenant or clearance (never expected; dropped). */
  readonly refused: number;
  readonly contextTokens: number;
  readonly costUsd: number;
  readonly latencyMs: number;
  /** The route's grounding check, if it has one. */
  readonly grounding?: ResolvedGroundingCheck;
}

export interface RetrievalStageInput {
  readonly chat: ChatRequest;
  readonly tenant: TenantContext;
  /** The request's sensitivity (policy.ts): the highest a passage may have. */
  readonly sensitivity: Sensitivity;
  readonly config: ResolvedGatewayConfig;
  readonly retrievers: RetrieverRegistry;
  readonly options: CallOptions;
  readonly now: () => number;
}

function lastUserText(messages: readonly ChatTurn[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return messages[i].content;
  return undefined;
}

function sourceFor(input: RetrievalStageInput, requested: string | undefined): ResolvedKnowledgeSource {
  const id = requested ?? input.config.routes.get(input.chat.model)?.retrieval?.source;
  if (id === undefined) throw new InvalidRequestError("'retrieval.source' is required: name a knowledge source.", 'missing_required_parameter', 'retrieval.source');
  const source = input.config.knowledgeSources.get(id);
  const granted = input.config.tenants.get(input.tenant.tenantId)?.allowedKnowledgeSources ?? [];
  if (!source || !granted.includes(id)) {
    throw new NotFoundError(`The knowledge source '${id.slice(0, 64)}' does not exist or you do not have access to it.`, 'knowledge_source_not_found', 'retrieval.source');
  }
  return source;
}

/**
 * The context budget: passages at or above `minScore`, best first, at most `topK`, within
 * `maxTokens` — the lowest-scored dropped first; a top passage longer than the whole budget is cut.
 *
 * @example
 * fitContext(passages, { topK: 5, minScore: 0.3, maxTokens: 1000 })
 */
export function fitContext(
  passages: readonly Passage[], budget: { readonly topK: number; readonly minScore: number; readonly maxTokens: number },
): ContextPassage[] {
  const ranked = passages.filter((p) => p.score >= budget.minScore).sort((a, b) => b.score - a.score).slice(0, budget.topK);
  const kept: ContextPassage[] = [];
  let used = 0;
  for (const p of ranked) {
    const tokens = estimateTokens(p.text);
    if (used + tokens <= budget.maxTokens) {
      kept.push({ ...p, index: kept.length + 1, tokens, truncated: false });
      used += tokens;
      continue;
    }
    if (kept.length === 0) {
      const text = p.text.slice(0, budget.maxTokens * 4);
      kept.push({ ...p, text, index: 1, tokens: estimateTokens(text), truncated: true });
    }
    break;
  }
  return kept;
}

/**
 * The most context tokens the source's share of the request's input allows: with `share` percent,
 * context ≤ share / (100 − share) × the rest of the input.
 */
export function shareCap(source: ResolvedKnowledgeSource, otherInputTokens: number): number {
  const share = source.budgetSharePercent;
  if (share >= 100) return source.maxContextTokens;
  return Math.min(source.maxContextTokens, Math.floor(share / (100 - share) * otherInputTokens));
}

function inputTokens(chat: ChatRequest): number {
  return estimateTokens([...chat.system, ...chat.messages.map((m) => m.content)].join('\n'));
}

/** Whether a request retrieves: it names a source, or its route always retrieves. */
export function retrieves(chat: ChatRequest, config: ResolvedGatewayConfig): boolean {
  return chat.retrieval !== undefined || config.routes.get(chat.model)?.retrieval !== undefined;
}

/**
 * Runs retrieval for a request that asks for it (or whose route always retrieves); `undefined`
 * otherwise.
 *
 * @example
 * const context = await retrieveContext({ chat, tenant, sensitivity, config, retrievers, options, now });
 */
export async function retrieveContext(input: RetrievalStageInput): Promise<RetrievedContext | undefined> {
  const { chat, config } = input;
  const route = config.routes.get(chat.model)?.retrieval;
  if (!retrieves(chat, config)) return undefined;
  const asked = chat.retrieval ?? {};
  const source = sourceFor(input, asked.source);
  const routeOwnsSource = route !== undefined && route.source === source.id;
  const query = (asked.query ?? lastUserText(chat.messages) ?? '').slice(0, MAX_QUERY_CHARS);
  if (query.trim() === '') throw new InvalidRequestError("'retrieval.query' is required when the request has no user message.", 'missing_required_parameter', 'retrieval.query');
  const topK = asked.topK ?? (routeOwnsSource ? route.topK : undefined) ?? source.maxResults;
  if (topK > source.maxResults) {
    throw new InvalidRequestError(`'retrieval.top_k' is ${topK}; the source '${source.id}' allows at most ${source.maxResults}.`, 'invalid_value', 'retrieval.top_k');
  }
  const owned = new Set([source.tenantKey, source.sensitivityKey]);
  const client = asked.filter !== undefined ? parseClientFilter(asked.filter, owned, 'retrieval.filter') : undefined;
  const filter = gatewayFilter(source, input.tenant.tenantId, input.sensitivity, client);
  const retriever = source.kind === KnowledgeSourceKind.LOCAL_CORPUS ? input.retrievers.local : input.retrievers.bedrock;
  if (!retriever) throw new ServiceUnavailableError(`The knowledge source '${source.id}' cannot be searched by this gateway.`, 'retrieval_unavailable');

  const started = input.now();
  let found: readonly Passage[];
  try {
    found = await retriever.retrieve({ source, text: query, topK, filter }, input.options);
  } catch (error) {
    if (error instanceof UpstreamError && error.disposition === 'client' && error.code === 'aborted') throw error;
    throw new ServiceUnavailableError(`The knowledge source '${source.id}' could not be searched; retry later.`, 'retrieval_unavailable', 1);
  }
  const latencyMs = input.now() - started;
  const fence: RetrievalFilter = { andAll: ownedClauses(source, input.tenant.tenantId, input.sensitivity) };
  const allowed = found.filter((p) => matchesFilter(fence, p.metadata));
  const maxTokens = shareCap(source, inputTokens(chat));
  const passages = fitContext(allowed, { topK, minScore: source.minScore, maxTokens });
  return {
    sourceId: source.id,
    query,
    filter,
    passages,
    dropped: allowed.length - passages.length,
    refused: found.length - allowed.length,
    contextTokens: passages.reduce((a, p) => a + p.tokens, 0),
    costUsd: source.costPerQueryUsd,
    latencyMs,
    ...(routeOwnsSource && route.grounding !== undefined ? { grounding: resolveGroundingCheck(route.grounding) } : {}),
  };
}

/** The passages as the prompt shows them: `[n] (source document)` then the text. */
export function contextText(context: RetrievedContext): string {
  return context.passages.map((p) => `[${p.index}] (${p.uri ?? p.documentId})\n${p.text}`).join('\n\n');
}

/** The system block a request gets when its prompt has no `{{context}}` slot. */
export function defaultContextBlock(text: string): string {
  return 'Answer from the passages below when they are relevant, and cite them by their numbers, as in [1]. '
    + 'If they do not contain the answer, say so.\n\n<passages>\n' + text + '\n</passages>';
}

/**
 * Puts the passages into the request: in place of the prompt's `{{context}}` marker when the
 * template has the slot, else as a system block after the other system prompts. A request without
 * retrieval gets its marker replaced by nothing.
 *
 * @example
 * const withContext = assembleContext(chat, context);
 */
export function assembleContext(chat: ChatRequest, context: RetrievedContext | undefined): ChatRequest {
  const text = context && context.passages.length > 0 ? contextText(context) : '';
  const marker = chat.contextMarker;
  if (marker !== undefined) {
    const fill = (s: string): string => s.split(marker).join(text);
    return { ...chat, system: chat.system.map(fill), messages: chat.messages.map((m) => ({ ...m, content: fill(m.content) })) };
  }
  if (text === '') return chat;
  return { ...chat, system: [...chat.system, defaultContextBlock(text)] };
}
