/**
 * Retrieval governance in the gateway configuration: the knowledge sources the router may search,
 * granted per tenant (`TenantConfig.allowedKnowledgeSources`), and a route's own retrieval
 * (`RouteConfig.retrieval`). The router builds every search filter itself: the caller's tenant AND
 * a sensitivity at most the request's, AND the client's filter (a client narrows, never widens).
 */

/** Where a knowledge source's passages come from. */
export enum KnowledgeSourceKind {
  /** An Amazon Bedrock Knowledge Base, searched with the Retrieve API. */
  BEDROCK_KNOWLEDGE_BASE = 'bedrock-knowledge-base',
  /**
   * A JSONL corpus on the router's file system, searched lexically (BM25), or by the cosine
   * similarity of embeddings when the source has `embeddings`: for local mode and tests. Each line
   * is `{"id", "text", "metadata": {"tenant", "sensitivity", "source", …}, "embedding"?: [...]}`.
   */
  LOCAL_CORPUS = 'local-corpus',
}

/**
 * A local corpus searched by embeddings: an OpenAI-compatible `POST {baseUrl}/embeddings` embeds the
 * query (and, once, at the first search, every passage that carries no `embedding` of its own).
 */
export interface LocalCorpusEmbeddingsConfig {
  /**
   * The base URL up to and including `/v1`: a vLLM or Ollama server, or the local mode's own
   * gateway (`http://127.0.0.1:8787/v1`, with an embeddings route alias as `model`).
   */
  readonly baseUrl: string;

  /** The embedding model sent as `model` (the same one the corpus's own `embedding`s were made with). */
  readonly model: string;

  /**
   * The name of an environment variable of the router that holds the endpoint's bearer token (for
   * the local mode's own gateway: a local key).
   * @default - no Authorization header
   */
  readonly apiKeyEnv?: string;

  /**
   * The vector size asked for (OpenAI `dimensions`), for models that can shorten their vectors.
   * @default - the model's own
   */
  readonly dimensions?: number;
}

/** A searchable knowledge source. */
export interface KnowledgeSourceConfig {
  /** The source id that requests and routes name (`retrieval.source`). */
  readonly id: string;

  /** The kind of source. */
  readonly kind: KnowledgeSourceKind;

  /** Bedrock knowledge bases: the knowledge base id (10 upper-case letters and digits). */
  readonly knowledgeBaseId?: string;

  /**
   * Bedrock knowledge bases: the Region of the Bedrock Agent Runtime endpoint.
   * @default - the router's Region
   */
  readonly region?: string;

  /**
   * Bedrock knowledge bases: an endpoint URL override (a VPC interface endpoint, or a loopback fake).
   * @default - the public Regional endpoint
   */
  readonly endpoint?: string;

  /** Local corpora: the path of the JSONL file (relative paths resolve from the configuration file's directory). */
  readonly corpusPath?: string;

  /**
   * Local corpora: rank passages by the cosine similarity of their embeddings to the query's,
   * made by this OpenAI-compatible embeddings endpoint, instead of lexically (BM25). The tenant and
   * sensitivity filter and the context budget are the same.
   * @default - lexical search (BM25)
   */
  readonly embeddings?: LocalCorpusEmbeddingsConfig;

  /**
   * The metadata key that holds a document's tenant id. A document matches a tenant when this key
   * equals the tenant id, or equals `sharedTenantValue` when that is set.
   * @default "tenant"
   */
  readonly tenantKey?: string;

  /**
   * The value of `tenantKey` that marks documents every tenant granted the source may read.
   * @default - none: every document belongs to exactly one tenant
   */
  readonly sharedTenantValue?: string;

  /**
   * The metadata key that holds a document's sensitivity (`public`, `internal` or `restricted`).
   * A document without it never matches.
   * @default "sensitivity"
   */
  readonly sensitivityKey?: string;

  /**
   * The most passages a request may receive (and the default `top_k`).
   * @default 5
   */
  readonly maxResults?: number;

  /**
   * Passages scoring below this relevance score (0–1) are dropped.
   * @default 0
   */
  readonly minScore?: number;

  /**
   * The most tokens of passages that enter the prompt; the lowest-scored passages are dropped
   * first to stay within it.
   * @default 2000
   */
  readonly maxContextTokens?: number;

  /**
   * What one search costs in USD (embedding the query and the vector store read), added to the
   * request's budget reservation and cost.
   * @default 0
   */
  readonly costPerQueryUsd?: number;

  /**
   * The most percent of the request's budget reservation that retrieval (the search and the
   * context tokens at the route's input price) may take. A request whose context would need more
   * gets fewer passages.
   * @default 100
   */
  readonly budgetSharePercent?: number;

  /** A description for operators. @default - none */
  readonly description?: string;
}

/** What a route does with the answer's grounding in its passages. */
export interface GroundingCheckConfig {
  /** A guardrail id (a key of `guardrails`) with a contextual grounding policy. */
  readonly guardrail: string;

  /**
   * The least grounding score (0–0.99) an answer must reach against the passages.
   * @default 0.7
   */
  readonly groundingThreshold?: number;

  /**
   * The least relevance score (0–0.99) an answer must reach against the query.
   * @default 0.5
   */
  readonly relevanceThreshold?: number;
}

/** A route that always retrieves. */
export interface RouteRetrievalConfig {
  /** The knowledge source id searched for every request to this route that names none itself. */
  readonly source: string;

  /**
   * The number of passages asked for when the request does not say.
   * @default - the source's maxResults
   */
  readonly topK?: number;

  /**
   * Check every answer against the passages with the guardrail's contextual grounding. On a route
   * (or prompt version) with a `validation` block, a failed check is a validation failure of the
   * validator `grounding` and the block's policy applies (retry, escalate, reject with 422
   * `validation_failed`, or flag); without one the request fails with 502 `grounding_failed`.
   * @default - no grounding check
   */
  readonly grounding?: GroundingCheckConfig;
}
