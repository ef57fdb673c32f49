/**
 * One interface for every knowledge source: a Bedrock knowledge base (Retrieve) or a local corpus.
 * The stage (pipeline/retrieval.ts) builds the query and the filter; a retriever only searches.
 */
import { ResolvedKnowledgeSource } from '../../shared/retrieval-defaults';
import { CallOptions } from '../providers/types';
import { Metadata, RetrievalFilter } from './filter';

/** One retrieved passage. */
export interface Passage {
  /** A stable id of the document the passage comes from (its S3 URI, or the corpus id). */
  readonly documentId: string;
  readonly text: string;
  /** Relevance, 0 to 1 (higher is more relevant). */
  readonly score: number;
  /** The document's metadata attributes (tenant, sensitivity, source, …). */
  readonly metadata: Metadata;
  /** Where the document lives, for citations (an `s3://` URI or a URL). */
  readonly uri?: string;
}

/** A search of one source. */
export interface RetrievalQuery {
  readonly source: ResolvedKnowledgeSource;
  readonly text: string;
  readonly topK: number;
  /** The gateway's filter (tenant, clearance, client narrowing). */
  readonly filter: RetrievalFilter;
}

/** Searches a knowledge source. Failures are `UpstreamError`s. */
export interface Retriever {
  retrieve(query: RetrievalQuery, options: CallOptions): Promise<readonly Passage[]>;
}

/** The retrievers of one router, by source kind. */
export interface RetrieverRegistry {
  /** Bedrock knowledge bases (Retrieve). */
  readonly bedrock?: Retriever;
  /** Local JSONL corpora. */
  readonly local?: Retriever;
}
