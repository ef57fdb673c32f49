/**
 * A local knowledge source for `cdk-ai-gateway serve` and tests: a JSONL corpus searched lexically
 * with BM25, behind the same `Retriever` interface as a Bedrock knowledge base, with the same
 * filter grammar applied before ranking (as the vector store filters before it ranks).
 *
 * Each line: `{"id": "refunds-1", "text": "…", "uri"?: "https://…", "metadata": {"tenant": "acme",
 * "sensitivity": "internal", "source": "handbook"}}`. Scores are BM25 mapped to 0–1 by s / (s + 1).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
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
    docs.push({ id: doc.id, text: doc.text, metadata: toMetadata(doc.metadata), ...(typeof doc.uri === 'string' ? { uri: doc.uri } : {}) });
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

export interface LocalCorpusRetrieverOptions {
  /** The directory relative corpus paths resolve from. @default process.cwd() */
  readonly baseDir?: string;
  /** Reads a corpus file. @default fs.readFileSync as UTF-8 */
  readonly readFile?: (path: string) => string;
}

/**
 * @example
 * const retriever = new LocalCorpusRetriever({ baseDir: dirname(configFile) });
 * await retriever.retrieve({ source, text: 'refunds', topK: 3, filter }, options);
 */
export class LocalCorpusRetriever implements Retriever {
  private readonly indexes = new Map<string, Bm25Index>();

  constructor(private readonly options: LocalCorpusRetrieverOptions = {}) {}

  private index(corpusPath: string): Bm25Index {
    const path = isAbsolute(corpusPath) ? corpusPath : resolve(this.options.baseDir ?? process.cwd(), corpusPath);
    let index = this.indexes.get(path);
    if (!index) {
      let text: string;
      try {
        text = (this.options.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(path);
      } catch (error) {
        throw new UpstreamError(`the local corpus ${corpusPath} could not be read`, { disposition: 'fallback', code: 'configuration', cause: error });
      }
      index = new Bm25Index(parseCorpus(text, corpusPath));
      this.indexes.set(path, index);
    }
    return index;
  }

  retrieve(query: RetrievalQuery, options: CallOptions): Promise<readonly Passage[]> {
    if (options.signal.aborted) return Promise.reject(new UpstreamError('the search was aborted', { disposition: 'client', code: 'aborted' }));
    const hits = this.index(query.source.corpusPath!).search(query.text, query.topK, (doc) => matchesFilter(query.filter, doc.metadata));
    return Promise.resolve(hits.map(({ doc, score }) => ({
      documentId: doc.id,
      text: doc.text,
      score: score / (score + 1),
      metadata: doc.metadata,
      ...(doc.uri !== undefined ? { uri: doc.uri } : {}),
    })));
  }
}
