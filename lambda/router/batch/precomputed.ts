/**
 * Adapters that answer a batch line with what its batch job already produced, so the line is
 * settled through the gateway's own pipeline (route, budget, output guardrail, usage record at the
 * batch price) without calling the model again. A failed record fails over like a synchronous
 * call would, never retries: the record's answer does not change.
 */
import { UpstreamError } from '../errors';
import type { ProviderRegistry } from '../pipeline/invoke';
import type { BedrockTarget, Completion, OpenAiTarget, ProviderAdapter, ProviderRequest, StreamChunk, Target } from '../providers/types';

/** Reads the job's answer for the target the pipeline chose (throws the record's `UpstreamError`). */
export type RecordedAnswer = (target: Target, request: ProviderRequest) => Completion;

class PrecomputedAdapter<T extends Target> implements ProviderAdapter<T> {
  constructor(readonly kind: T['kind'], private readonly answer: RecordedAnswer) {}

  complete(target: T, request: ProviderRequest): Promise<Completion> {
    try {
      return Promise.resolve(this.answer(target, request));
    } catch (error) {
      if (error instanceof UpstreamError && error.disposition === 'retryable') {
        return Promise.reject(new UpstreamError(error.message, { disposition: 'fallback', code: error.code, upstreamStatus: error.upstreamStatus, cause: error }));
      }
      return Promise.reject(error);
    }
  }

  async *stream(): AsyncGenerator<StreamChunk, void, undefined> {
    throw new UpstreamError('batch lines are not streamed', { disposition: 'client', code: 'validation' });
  }
}

/** A provider registry whose every adapter returns `answer`. */
export function recordedAnswers(answer: RecordedAnswer): ProviderRegistry {
  return {
    bedrock: new PrecomputedAdapter<BedrockTarget>('bedrock', answer),
    openai: new PrecomputedAdapter<OpenAiTarget>('openai', answer),
  };
}
