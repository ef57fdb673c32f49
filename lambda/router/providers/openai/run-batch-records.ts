/**
 * `vllm run-batch` (pure): a self-hosted target's lines of a batch and back. run-batch reads and
 * writes OpenAI's batch format, so a line is `{custom_id, method: "POST", url, body}` with the body
 * a synchronous call to the target would send (`toChatCompletionsBody`: the served model name, the
 * plan's output limit), and its output line `{id, custom_id, response: {status_code, request_id,
 * body}, error}` is read as that call's answer (`fromChatCompletion`, or `classifyHttpStatus` for a failure). run-batch serves one model
 * per run and refuses streaming. Embeddings lines (`/v1/embeddings`, which run-batch serves for an
 * embedding model) carry the body of a synchronous embeddings call (`toEmbeddingsBody`) and are read
 * back with `fromEmbeddingsResponse`.
 */
import { UpstreamError } from '../../errors';
import type { Completion, EmbeddingRequest, Embeddings, OpenAiTarget, ProviderRequest } from '../types';
import { fromEmbeddingsResponse, toEmbeddingsBody } from './embeddings';
import { classifyHttpStatus } from './errors';
import { fromChatCompletion, toChatCompletionsBody } from './mapping';

/** The run-batch input line of one gateway line (`customId`: the gateway's own line id). */
export function toRunBatchLine(customId: string, target: OpenAiTarget, request: ProviderRequest): string {
  return JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: toChatCompletionsBody(target, request, false) });
}

/** The run-batch input line of one gateway embeddings line. */
export function toRunBatchEmbeddingsLine(customId: string, target: OpenAiTarget, request: EmbeddingRequest): string {
  return JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/embeddings', body: toEmbeddingsBody(target, request) });
}

/** A run-batch output line, read. */
export interface RunBatchOutput {
  readonly customId: string;
  readonly statusCode?: number;
  readonly body?: unknown;
  readonly error?: unknown;
}

/** Parses one run-batch output line. Throws on a line without a `custom_id`. */
export function parseRunBatchOutput(line: string): RunBatchOutput {
  const value = JSON.parse(line) as { custom_id?: unknown; response?: { status_code?: unknown; body?: unknown } | null; error?: unknown } | null;
  if (value === null || typeof value !== 'object' || typeof value.custom_id !== 'string') {
    throw new UpstreamError('a run-batch output line without a custom_id', { disposition: 'fallback', code: 'malformedResponse' });
  }
  const status = value.response?.status_code;
  return {
    customId: value.custom_id,
    ...(typeof status === 'number' ? { statusCode: status } : {}),
    ...(value.response?.body !== undefined ? { body: value.response.body } : {}),
    ...(value.error !== undefined && value.error !== null ? { error: value.error } : {}),
  };
}

/** The line's answer as a `Completion`, or the `UpstreamError` of a call failing the same way. */
export function fromRunBatchLine(target: OpenAiTarget, request: ProviderRequest, output: RunBatchOutput): Completion {
  return answerOf(output, (body) => fromChatCompletion(target, request, body));
}

/** An embeddings line's answer as `Embeddings`, or the `UpstreamError` of a call failing the same way. */
export function fromRunBatchEmbeddings(target: OpenAiTarget, request: EmbeddingRequest, output: RunBatchOutput): Embeddings {
  return answerOf(output, (body) => fromEmbeddingsResponse(target, request, body));
}

function answerOf<T>(output: RunBatchOutput, read: (body: string) => T): T {
  const status = output.statusCode ?? 500;
  if (output.error === undefined && status < 400 && output.body !== undefined) return read(JSON.stringify(output.body));
  // Classified exactly as the same answer to a synchronous call.
  throw classifyHttpStatus(status >= 400 ? status : 500, JSON.stringify(output.body ?? output.error ?? null), {});
}
