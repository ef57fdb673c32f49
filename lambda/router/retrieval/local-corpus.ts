/**
 * A local knowledge source for `cdk-ai-gateway serve` and tests: a JSONL corpus behind the same
 * `Retriever` interface as a Bedrock knowledge base, with the same filter grammar applied before
 * ranking (as the vector store filters before it ranks). Searched lexically with BM25 (scores
 * mapped to 0–1 by s / (s + 1)), or, when the source has `embeddings`, by the cosine similarity of
 * the query's embedding to each passage's (negative similarities score 0), the embeddings made by
 * an OpenAI-compatible `/v1/embeddings` endpoint (./corpus-embeddings.ts).
 *
 * Each line: `{"id": "refunds-1", "text": "…", "uri"?: "https://…", "metadata": {"tenant": "acme",
 * "sensitivity": "internal", "source": "handbook"}, "embedding"?: [0.12, …]}`. A passage without an
 * `embedding` is embedded once, at the source's first search.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { LocalCorpusEmbeddingsConfig } from '../../shared/config-retrieval';
import { UpstreamError } from '../errors';
import type { CallOptions } from '../providers/types';
import { matchesFilter, Metadata, MetadataValue } from './filter';
import type { Passage, RetrievalQuery, Retriever } from './types';

/** A document of the corpus. */
export interface CorpusDocument {
  readonly id: string;
  readonly text: string;
  readonly metadata: Metadata;
  readonly uri?: string;
  /** The passage's own embedding, when the corpus carries one. */
  readonly embedding?: readonly number[];
}

/** Embeds texts for a corpus searched by embeddings (the query, and passages without their own). */
export interface CorpusEmbedder {
  /** One vector per input, in input order. Failures are `UpstreamError`s. */
  embed(config: LocalCorpusEmbeddingsConfig, inputs: readonly string[], options: CallOptions): Promise<readonly (readonly number[])[]>;
}

const K1 = 1.2;
const B = 0.75;

/** Lower-case word tokens (letters and digits of any script). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function toMetadata(value: unknown): Metadata {
  const out: Record<string, MetadataValue> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = v as string[];
  }
  return out;
}

/**
 * Parses a JSONL corpus; throws naming the line of a malformed document.
 *
 * @example
 * parseCorpus('{"id":"a","text":"Refunds take 5 days","metadata":{"tenant":"acme","sensitivity":"public"}}')
 */
export function parseCorpus(text: string, name = 'corpus'): CorpusDocument[] {
  const docs: CorpusDocument[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`${name} line ${i + 1}: not JSON`);
    }
    const doc = value as Record<string, unknown>;
    if (typeof doc.id !== 'string' || typeof doc.text !== 'string') throw new Error(`${name} line ${i + 1}: a document needs a string id and text`);
    const embedding = doc.embedding;
    if (embedding !== undefined && !(Array.isArray(embedding) && embedding.length > 0 && embedding.every((x) => typeof x === 'number' && Number.isFinite(x)))) {
      throw new Error(`${name} line ${i + 1}: "embedding" must be a non-empty list of numbers`);
    }
    docs.push({
      id: doc.id, text: doc.text, metadata: toMetadata(doc.metadata),
      ...(typeof doc.uri === 'string' ? { uri: doc.uri } : {}),
      ...(embedding !== undefined ? { embedding: embedding as number[] } : {}),
    });
  });
  return docs;
}

/** An in-memory BM25 index of a corpus. */
export class Bm25Index {
  private readonly terms: Map<string, number>[];
  private readonly lengths: number[];
  private readonly documentFrequency = new Map<string, number>();
  private readonly averageLength: number;

  constructor(readonly documents: readonly CorpusDocument[]) {
    this.terms = documents.map((d) => {
      const counts = new Map<string, number>();
      for (const t of tokenize(d.text)) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const t of counts.keys()) this.documentFrequency.set(t, (this.documentFrequency.get(t) ?? 0) + 1);
      return counts;
    });
    this.lengths = this.terms.map((c) => [...c.values()].reduce((a, b) => a + b, 0));
    this.averageLength = this.lengths.reduce((a, b) => a + b, 0) / Math.max(1, documents.length);
  }

  /** The `topK` best documents for `text` among those `keep` accepts, best first; only documents sharing a term. */
  search(text: string, topK: number, keep: (doc: CorpusDocument) => boolean): { doc: CorpusDocument; score: number }[] {
    const query = [...new Set(tokenize(text))];
    const n = this.documents.length;
    const hits: { doc: CorpusDocument; score: number }[] = [];
    this.documents.forEach((doc, i) => {
      if (!keep(doc)) return;
      let score = 0;
      for (const term of query) {
        const tf = this.terms[i].get(term);
        if (tf === undefined) continue;
        const df = this.documentFrequency.get(term) ?? 0;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        score += idf * (tf * (K1 + 1)) / (tf + K1 * (1 - B + B * this.lengths[i] / (this.averageLength || 1)));
      }
      if (score > 0) hits.push({ doc, score });
    });
    return hits.sort((a, b) => b.score - a.score || a.doc.id.localeCompare(b.doc.id)).slice(0, topK);
  }
}

/** The cosine similarity of two vectors of the same length; 0 when either is all zeros. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** The most passages embedded in one call when a corpus is embedded at load. */
export const EMBEDDING_BATCH = 64;

/** An in-memory vector index of a corpus: every passage with its embedding. */
export class VectorIndex {
  private constructor(readonly documents: readonly CorpusDocument[], private readonly vectors: readonly (readonly number[])[]) {}

  /**
   * Embeds the passages that carry no embedding (in batches of `EMBEDDING_BATCH`) and checks that
   * every vector has the same size.
   */
  static async build(
    documents: readonly CorpusDocument[], embed: (inputs: readonly string[]) => Promise<readonly (readonly number[])[]>, name: string,
  ): Promise<VectorIndex> {
    const missing = documents.filter((d) => d.embedding === undefined);
    const made = new Map<CorpusDocument, readonly number[]>();
    for (let i = 0; i < missing.length; i += EMBEDDING_BATCH) {
      const batch = missing.slice(i, i + EMBEDDING_BATCH);
      const vectors = await embed(batch.map((d) => d.text));
      batch.forEach((d, k) => made.set(d, vectors[k]));
    }
    const vectors = documents.map((d) => d.embedding ?? made.get(d)!);
    const size = vectors[0]?.length;
    const odd = vectors.findIndex((v) => v.length !== size);
    if (odd >= 0) {
      throw new UpstreamError(`the local corpus ${name}: document '${documents[odd].id}' has an embedding of ${vectors[odd].length} values, the others ${size}`,
        { disposition: 'fallback', code: 'configuration' });
    }
    return new VectorIndex(documents, vectors);
  }

  /** The `topK` documents most similar to `query` among those `keep` accepts, best first. */
  search(query: readonly number[], topK: number, keep: (doc: CorpusDocument) => boolean): { doc: CorpusDocument; score: number }[] {
    const size = this.vectors[0]?.length;
    if (size !== undefined && query.length !== size) {
      throw new UpstreamError(`the query's embedding has ${query.length} values, the corpus's ${size}: embed both with the same model and dimensions`,
        { disposition: 'fallback', code: 'configuration' });
    }
    const hits: { doc: CorpusDocument; score: number }[] = [];
    this.documents.forEach((doc, i) => {
      if (keep(doc)) hits.push({ doc, score: cosineSimilarity(query, this.vectors[i]) });
    });
    return hits.sort((a, b) => b.score - a.score || a.doc.id.localeCompare(b.doc.id)).slice(0, topK);
  }
}

export interface LocalCorpusRetrieverOptions {
  /** The directory relative corpus paths resolve from. @default process.cwd() */
  readonly baseDir?: string;
  /** Reads a corpus file. @default fs.readFileSync as UTF-8 */
  readonly readFile?: (path: string) => string;
  /** Embeds queries and passages of sources with `embeddings`. @default none: such sources cannot be searched */
  readonly embedder?: CorpusEmbedder;
}

/**
 * @example
 * const retriever = new LocalCorpusRetriever({ baseDir: dirname(configFile) });
 * await retriever.retrieve({ source, text: 'refunds', topK: 3, filter }, options);
 */
export class LocalCorpusRetriever implements Retriever {
  private readonly indexes = new Map<string, Bm25Index>();
  /** Vector indexes by corpus path and embedding settings; a failed build is forgotten, so a later search tries again. */
  private readonly vectorIndexes = new Map<string, Promise<VectorIndex>>();

  constructor(private readonly options: LocalCorpusRetrieverOptions = {}) {}

  private path(corpusPath: string): string {
    return isAbsolute(corpusPath) ? corpusPath : resolve(this.options.baseDir ?? process.cwd(), corpusPath);
  }

  private documents(corpusPath: string): CorpusDocument[] {
    let text: string;
    try {
      text = (this.options.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(this.path(corpusPath));
    } catch (error) {
      throw new UpstreamError(`the local corpus ${corpusPath} could not be read`, { disposition: 'fallback', code: 'configuration', cause: error });
    }
    return parseCorpus(text, corpusPath);
  }

  private index(corpusPath: string): Bm25Index {
    const path = this.path(corpusPath);
    let index = this.indexes.get(path);
    if (!index) {
      index = new Bm25Index(this.documents(corpusPath));
      this.indexes.set(path, index);
    }
    return index;
  }

  private vectorIndex(corpusPath: string, config: LocalCorpusEmbeddingsConfig, embedder: CorpusEmbedder, options: CallOptions): Promise<VectorIndex> {
    const key = JSON.stringify([this.path(corpusPath), config.baseUrl, config.model, config.dimensions ?? null]);
    let index = this.vectorIndexes.get(key);
    if (!index) {
      index = Promise.resolve().then(() => VectorIndex.build(this.documents(corpusPath), (inputs) => embedder.embed(config, inputs, options), corpusPath));
      this.vectorIndexes.set(key, index);
      index.catch(() => this.vectorIndexes.delete(key));
    }
    return index;
  }

  async retrieve(query: RetrievalQuery, options: CallOptions): Promise<readonly Passage[]> {
    if (options.signal.aborted) throw new UpstreamError('the search was aborted', { disposition: 'client', code: 'aborted' });
    const { source } = query;
    const keep = (doc: CorpusDocument): boolean => matchesFilter(query.filter, doc.metadata);
    const embeddings = source.embeddings;
    let hits: { doc: CorpusDocument; score: number }[];
    if (embeddings === undefined) {
      hits = this.index(source.corpusPath!).search(query.text, query.topK, keep).map(({ doc, score }) => ({ doc, score: score / (score + 1) }));
    } else {
      const embedder = this.options.embedder;
      if (!embedder) throw new UpstreamError(`the local corpus ${source.corpusPath} needs an embeddings client`, { disposition: 'fallback', code: 'configuration' });
      // The corpus first (once; a failed load is forgotten before this search fails), then the query.
      const index = await this.vectorIndex(source.corpusPath!, embeddings, embedder, options);
      const [vector] = await embedder.embed(embeddings, [query.text], options);
      hits = index.search(vector, query.topK, keep).map(({ doc, score }) => ({ doc, score: Math.max(0, score) }));
    }
    return hits.map(({ doc, score }) => ({
      documentId: doc.id,
      text: doc.text,
      score,
      metadata: doc.metadata,
      ...(doc.uri !== undefined ? { uri: doc.uri } : {}),
    }));
  }
}
