/**
 * The shape of the retrieval settings (knowledge sources, a route's retrieval, its grounding check),
 * built from the patterns of ./schema.ts, which places them in the configuration document.
 */
import { KnowledgeSourceKind } from './config-retrieval';
import { ObjectNode, SchemaNode, StringNode } from './schema-dsl';

/** Defaults of the retrieval settings. */
export const RETRIEVAL_DEFAULTS = {
  tenantKey: 'tenant',
  sensitivityKey: 'sensitivity',
  maxResults: 5,
  minScore: 0,
  maxContextTokens: 2000,
  costPerQueryUsd: 0,
  budgetSharePercent: 100,
  groundingThreshold: 0.7,
  relevanceThreshold: 0.5,
} as const;

/** The most passages one search may return (the Retrieve API's `numberOfResults` limit). */
export const MAX_RETRIEVAL_RESULTS = 100;

/** Metadata keys: what the Retrieve filter grammar and the `.metadata.json` sidecar accept. */
export const METADATA_KEY_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]{0,99}$';

/** Bedrock knowledge base ids. */
export const KNOWLEDGE_BASE_ID_PATTERN = '^[0-9a-zA-Z]{10}$';

/** The building blocks ./schema.ts shares with this module. */
export interface RetrievalSchemaParts {
  readonly id: (description: string) => StringNode;
  readonly region: StringNode;
  readonly url: StringNode;
  readonly description: StringNode;
}

const metadataKey = (desc: string, dflt: string): StringNode => ({
  type: 'string', description: desc, pattern: METADATA_KEY_PATTERN, patternHint: "a metadata key: a letter or '_', then letters, digits, '_', '.' or '-'", default: dflt,
});
const score = (desc: string, dflt: number): SchemaNode => ({ type: 'number', description: desc, minimum: 0, maximum: 0.99, default: dflt });

/** The schema of one knowledge source. */
export function knowledgeSourceNode(parts: RetrievalSchemaParts): ObjectNode {
  return {
    type: 'object',
    description: 'A knowledge source requests may search: a Bedrock knowledge base (knowledgeBaseId) or a local JSONL corpus (corpusPath).',
    required: ['id', 'kind'],
    properties: {
      id: parts.id('The source id requests and routes name.'),
      kind: { type: 'string', enum: Object.values(KnowledgeSourceKind), description: 'The kind of source.' },
      knowledgeBaseId: { type: 'string', pattern: KNOWLEDGE_BASE_ID_PATTERN, patternHint: 'a knowledge base id (10 letters and digits)', description: 'Bedrock: the knowledge base id.' },
      region: { ...parts.region, description: "Bedrock: the Region of the Agent Runtime endpoint. Default: the router's Region." },
      endpoint: { ...parts.url, description: 'Bedrock: an endpoint URL override (VPC endpoint).' },
      corpusPath: { type: 'string', minLength: 1, maxLength: 1024, description: "Local: the JSONL corpus file (relative to the configuration file's directory)." },
      embeddings: {
        type: 'object',
        description: 'Local: rank by the cosine similarity of embeddings from an OpenAI-compatible /v1/embeddings endpoint instead of BM25.',
        required: ['baseUrl', 'model'],
        properties: {
          baseUrl: { ...parts.url, description: 'The base URL up to and including /v1.' },
          model: { type: 'string', minLength: 1, maxLength: 256, description: 'The embedding model sent as model.' },
          apiKeyEnv: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]{0,127}$', patternHint: 'an environment variable name such as EMBEDDINGS_API_KEY', description: "The environment variable holding the endpoint's bearer token. Default: none." },
          dimensions: { type: 'integer', minimum: 1, maximum: 16384, description: "The vector size asked for. Default: the model's own." },
        },
      },
      tenantKey: metadataKey("The metadata key holding a document's tenant id.", RETRIEVAL_DEFAULTS.tenantKey),
      sharedTenantValue: { type: 'string', minLength: 1, maxLength: 64, description: 'The tenantKey value of documents shared by every tenant granted the source. Default: none.' },
      sensitivityKey: metadataKey("The metadata key holding a document's sensitivity.", RETRIEVAL_DEFAULTS.sensitivityKey),
      maxResults: { type: 'integer', minimum: 1, maximum: MAX_RETRIEVAL_RESULTS, default: RETRIEVAL_DEFAULTS.maxResults, description: 'The most passages per request, and the default top_k.' },
      minScore: { type: 'number', minimum: 0, maximum: 1, default: RETRIEVAL_DEFAULTS.minScore, description: 'Passages scoring below are dropped.' },
      maxContextTokens: { type: 'integer', minimum: 1, maximum: 1_000_000, default: RETRIEVAL_DEFAULTS.maxContextTokens, description: 'The most passage tokens in the prompt; lowest-scored passages are dropped first.' },
      costPerQueryUsd: { type: 'number', minimum: 0, maximum: 100, default: RETRIEVAL_DEFAULTS.costPerQueryUsd, description: 'USD one search costs, reserved and charged per request.' },
      budgetSharePercent: { type: 'integer', minimum: 1, maximum: 100, default: RETRIEVAL_DEFAULTS.budgetSharePercent, description: "The most percent of the request's reservation retrieval may take." },
      description: parts.description,
    },
    variants: {
      discriminator: 'kind',
      rules: {
        [KnowledgeSourceKind.BEDROCK_KNOWLEDGE_BASE]: { required: ['knowledgeBaseId'], forbidden: ['corpusPath', 'embeddings'] },
        [KnowledgeSourceKind.LOCAL_CORPUS]: { required: ['corpusPath'], forbidden: ['knowledgeBaseId', 'region', 'endpoint'] },
      },
    },
  };
}

/** The schema of a route's `retrieval`. */
export function routeRetrievalNode(parts: RetrievalSchemaParts): ObjectNode {
  return {
    type: 'object',
    description: 'Retrieval on every request to the route.',
    required: ['source'],
    properties: {
      source: parts.id('A knowledge source id.'),
      topK: { type: 'integer', minimum: 1, maximum: MAX_RETRIEVAL_RESULTS, description: "Passages asked for when the request does not say. Default: the source's maxResults." },
      grounding: {
        type: 'object',
        description: "Check answers against the passages with a guardrail's contextual grounding; under the route's validation block a failure is the validator grounding and follows its policy, else a 502 grounding_failed.",
        required: ['guardrail'],
        properties: {
          guardrail: parts.id('A guardrail id (a key of guardrails) with a contextual grounding policy.'),
          groundingThreshold: score('The least grounding score an answer must reach.', RETRIEVAL_DEFAULTS.groundingThreshold),
          relevanceThreshold: score('The least relevance score an answer must reach.', RETRIEVAL_DEFAULTS.relevanceThreshold),
        },
      },
    },
  };
}
