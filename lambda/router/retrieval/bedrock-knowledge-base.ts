/**
 * Searches an Amazon Bedrock Knowledge Base with the Retrieve API (Bedrock Agent Runtime,
 * `POST /knowledgebases/{id}/retrieve`), with the gateway's filter. Clients keep their connections
 * warm (the same keep-alive handler as the Bedrock Runtime clients) and never retry: the stage
 * has one deadline for the search.
 *
 * IAM: `bedrock:Retrieve` on the knowledge base.
 */
import { BedrockAgentRuntimeClient, RetrieveCommand, type BedrockAgentRuntimeClientConfig, type RetrievalFilter as SdkFilter } from '@aws-sdk/client-bedrock-agent-runtime';
import { UpstreamError } from '../errors';
import { CallGuard } from '../providers/call-guard';
import { createKeepAliveAgents, createKeepAliveHandler, KeepAliveAgents } from '../providers/bedrock/client';
import { classifyBedrockError } from '../providers/bedrock/errors';
import type { CallOptions } from '../providers/types';
import type { Metadata, MetadataValue } from './filter';
import type { Passage, RetrievalQuery, Retriever } from './types';

export interface BedrockKnowledgeBaseRetrieverOptions {
  /** @default the SDK's default provider chain */
  readonly credentials?: BedrockAgentRuntimeClientConfig['credentials'];
  /** @default process.env.AWS_REGION */
  readonly defaultRegion?: string;
}

/** Retrieve's metadata values (JSON documents) as the gateway's metadata values. */
function toMetadata(raw: Record<string, unknown> | undefined): Metadata {
  const out: Record<string, MetadataValue> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = v as string[];
  }
  return out;
}

/** The S3 (or web) location of a result, for citations. */
function locationUri(location: { s3Location?: { uri?: string }; webLocation?: { url?: string } } | undefined): string | undefined {
  return location?.s3Location?.uri ?? location?.webLocation?.url;
}

/**
 * @example
 * const passages = await new BedrockKnowledgeBaseRetriever().retrieve({ source, text: 'refund policy', topK: 5, filter }, options);
 */
export class BedrockKnowledgeBaseRetriever implements Retriever {
  private readonly clients = new Map<string, BedrockAgentRuntimeClient>();
  private readonly agents = new Map<string, KeepAliveAgents>();

  constructor(private readonly options: BedrockKnowledgeBaseRetrieverOptions = {}) {}

  private client(region: string | undefined, endpoint: string | undefined, connectTimeoutMs: number): BedrockAgentRuntimeClient {
    const resolved = region ?? this.options.defaultRegion ?? process.env.AWS_REGION;
    if (!resolved) throw new UpstreamError("no AWS Region for the knowledge base: set the source's region or AWS_REGION", { disposition: 'fallback', code: 'configuration' });
    const endpointKey = `${resolved}|${endpoint ?? ''}`;
    const key = `${endpointKey}|${connectTimeoutMs}`;
    let client = this.clients.get(key);
    if (client) return client;
    let agents = this.agents.get(endpointKey);
    if (!agents) {
      agents = createKeepAliveAgents();
      this.agents.set(endpointKey, agents);
    }
    client = new BedrockAgentRuntimeClient({
      region: resolved,
      ...(endpoint ? { endpoint } : {}),
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      maxAttempts: 1,
      requestHandler: createKeepAliveHandler({ connectTimeoutMs, agents }),
    });
    this.clients.set(key, client);
    return client;
  }

  async retrieve(query: RetrievalQuery, options: CallOptions): Promise<readonly Passage[]> {
    const { source } = query;
    const guard = new CallGuard(options);
    try {
      guard.throwIfStopped();
      const output = await this.client(source.region, source.endpoint, options.connectTimeoutMs).send(new RetrieveCommand({
        knowledgeBaseId: source.knowledgeBaseId,
        retrievalQuery: { text: query.text },
        retrievalConfiguration: {
          vectorSearchConfiguration: { numberOfResults: query.topK, filter: query.filter as SdkFilter },
        },
      }), { abortSignal: guard.signal });
      return (output.retrievalResults ?? []).flatMap((r, i): Passage[] => {
        const text = r.content?.text;
        if (text === undefined || text.length === 0) return [];
        const uri = locationUri(r.location);
        const metadata = toMetadata(r.metadata as Record<string, unknown> | undefined);
        const chunkId = metadata['x-amz-bedrock-kb-chunk-id'];
        return [{
          documentId: uri ?? (typeof chunkId === 'string' ? chunkId : `result-${i}`),
          text,
          score: typeof r.score === 'number' ? r.score : 0,
          metadata,
          ...(uri !== undefined ? { uri } : {}),
        }];
      });
    } catch (error) {
      throw guard.classify(error, classifyBedrockError);
    } finally {
      guard.release();
    }
  }
}
