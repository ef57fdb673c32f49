/** Retrieval fixtures: a configuration with knowledge sources, a corpus across tenants and clearances. */
import { GatewayConfig, Sensitivity } from '../../../lambda/shared/config';
import { KnowledgeSourceKind } from '../../../lambda/shared/config-retrieval';
import { ResolvedGatewayConfig } from '../../../lambda/shared/defaults';
import { LocalCorpusRetriever } from '../../../lambda/router/retrieval/local-corpus';
import { resolved, testConfig } from '../../helpers/router-config';

export const TENANTS = ['acme', 'globex', 'initech', 'everyone'] as const;
export const SENSITIVITIES = [Sensitivity.PUBLIC, Sensitivity.INTERNAL, Sensitivity.RESTRICTED] as const;
export const PRODUCTS = ['cards', 'loans', 'savings'] as const;

/** One document per tenant × sensitivity × product, all about refunds. */
export const CORPUS = TENANTS.flatMap((tenant) => SENSITIVITIES.flatMap((sensitivity) => PRODUCTS.map((product, i) => ({
  id: `${tenant}-${sensitivity}-${product}`,
  text: `Refund policy for ${product}: refunds take ${i + 3} days for ${tenant} customers.`,
  uri: `s3://docs/${tenant}/${product}-${sensitivity}.txt`,
  metadata: { tenant, sensitivity, product, year: 2020 + i, source: 'handbook', tags: [product, 'refunds'] },
}))));

export const CORPUS_JSONL = CORPUS.map((d) => JSON.stringify(d)).join('\n');

/** A retriever over the in-memory corpus. */
export const localRetriever = (): LocalCorpusRetriever => new LocalCorpusRetriever({ readFile: () => CORPUS_JSONL });

/**
 * The test configuration plus: `handbook` (local corpus, shared value `everyone`), `kb` (Bedrock
 * knowledge base at `kbEndpoint`), granted to acme and globex (not initech); routes `rag` (always
 * retrieves from handbook) and `grounded` (retrieves and checks grounding with the `pii` guardrail).
 */
export function retrievalConfig(options: { kbEndpoint?: string; maxContextTokens?: number; costPerQueryUsd?: number } = {}): GatewayConfig {
  const base = testConfig();
  return {
    ...base,
    tenants: base.tenants.map((t) => (t.id === 'initech' ? t : { ...t, allowedAliases: [...t.allowedAliases, 'rag', 'grounded'], allowedKnowledgeSources: ['handbook', 'kb'] })),
    routes: [
      ...base.routes,
      { alias: 'rag', targets: ['vllm'], retrieval: { source: 'handbook', topK: 3 } },
      { alias: 'grounded', targets: ['vllm'], retrieval: { source: 'handbook', grounding: { guardrail: 'pii', groundingThreshold: 0.7 } } },
    ],
    knowledgeSources: [
      {
        id: 'handbook', kind: KnowledgeSourceKind.LOCAL_CORPUS, corpusPath: 'corpus.jsonl', sharedTenantValue: 'everyone', maxResults: 10,
        ...(options.maxContextTokens !== undefined ? { maxContextTokens: options.maxContextTokens } : {}),
        ...(options.costPerQueryUsd !== undefined ? { costPerQueryUsd: options.costPerQueryUsd } : {}),
      },
      { id: 'kb', kind: KnowledgeSourceKind.BEDROCK_KNOWLEDGE_BASE, knowledgeBaseId: 'KB12345678', region: 'us-east-1', maxResults: 20, ...(options.kbEndpoint ? { endpoint: options.kbEndpoint } : {}) },
    ],
  };
}

export const retrievalResolved = (options: Parameters<typeof retrievalConfig>[0] = {}): ResolvedGatewayConfig => resolved(retrievalConfig(options));
