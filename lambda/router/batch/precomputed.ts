/**
 * Adapters that answer a batch line with what its batch job already produced, so the line is
 * settled through the gateway's own pipeline (route, budget, output guardrail, usage record at the
 * batch price) without calling the model again. A failed record fails over like a synchronous
 * call would, never retries: the record's answer does not change.
 */
import { UpstreamError } from '../errors';
import type { ProviderRegistry } from '../pipeline/invoke';
import type { BedrockTarget, Completion, EmbeddingRequest, Embeddings, OpenAiTarget, ProviderAdapter, ProviderRequest, StreamChunk, Target } from '../providers/types';

/** Reads the job's answer for the target the pipeline chose (throws the record's `UpstreamError`). */
export type RecordedAnswer = (target: Target, request: ProviderRequest) => Completion;

/** Reads the job's embeddings for an embeddings line (throws the record's `UpstreamError`). */
export type RecordedEmbeddings = (target: Target, request: EmbeddingRequest) => Embeddings;

/** A retryable failure of a record fails over instead: asking again gives the same record. */
function settled<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (error) {
    if (error instanceof UpstreamError && error.disposition === 'retryable') {
      return Promise.reject(new UpstreamError(error.message, { disposition: 'fallback', code: error.code, upstreamStatus: error.upstreamStatus, cause: error }));
    }
    return Promise.reject(error);
  }
}

class PrecomputedAdapter<T extends Target> implements ProviderAdapter<T> {
  readonly embed?: (target: T, request: EmbeddingRequest) => Promise<Embeddings>;

  constructor(readonly kind: T['kind'], private readonly answer: RecordedAnswer, embeddings?: RecordedEmbeddings) {
    if (embeddings) this.embed = (target, request) => settled(() => embeddings(target, request));
  }

  complete(target: T, request: ProviderRequest): Promise<Completion> {
    return settled(() => this.answer(target, request));
  }

  async *stream(): AsyncGenerator<StreamChunk, void, undefined> {
    throw new UpstreamError('batch lines are not streamed', { disposition: 'client', code: 'validation' });
  }
}

/** A provider registry whose every adapter returns `answer` (and, for embeddings lines, `embeddings`). */
export function recordedAnswers(answer: RecordedAnswer, embeddings?: RecordedEmbeddings): ProviderRegistry {
  return {
    bedrock: new PrecomputedAdapter<BedrockTarget>('bedrock', answer, embeddings),
    openai: new PrecomputedAdapter<OpenAiTarget>('openai', answer, embeddings),
  };
}
