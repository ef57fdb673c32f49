/** `vllm run-batch` records: the synchronous call's body in, its answer (or failure) out. */
import { fromRunBatchEmbeddings, fromRunBatchLine, parseRunBatchOutput, toRunBatchEmbeddingsLine, toRunBatchLine } from '../../../lambda/router/providers/openai/run-batch-records';
import { toEmbeddingsBody } from '../../../lambda/router/providers/openai/embeddings';
import { toChatCompletionsBody } from '../../../lambda/router/providers/openai/mapping';
import { UpstreamError } from '../../../lambda/router/errors';
import { thrownBy } from '../../helpers/router-config';
import type { EmbeddingRequest, OpenAiTarget, ProviderRequest } from '../../../lambda/router/providers/types';

const target: OpenAiTarget = { kind: 'openai', id: 'vllm', baseUrl: 'http://vllm:8000/v1', model: 'qwen3-8b' };
const request: ProviderRequest = {
  requestId: 'batch_abc.1', system: ['Classify.'], messages: [{ role: 'user', content: 'Late parcel.' }], metadata: {}, maxTokens: 8,
};

test('a line carries the synchronous body (served model, output limit), never a stream', () => {
  const line = JSON.parse(toRunBatchLine('batch_abc.1', target, request)) as Record<string, unknown>;
  expect(line).toEqual({ custom_id: 'batch_abc.1', method: 'POST', url: '/v1/chat/completions', body: toChatCompletionsBody(target, request, false) });
  expect(line.body).toMatchObject({ model: 'qwen3-8b', max_tokens: 8 });
  expect(line.body).not.toHaveProperty('stream');
});

test('an output line is read as the synchronous answer', () => {
  const out = parseRunBatchOutput(JSON.stringify({
    id: 'vllm-1', custom_id: 'batch_abc.1', error: null,
    response: { status_code: 200, request_id: 'r', body: { model: 'qwen3-8b', choices: [{ message: { content: 'delivery' }, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 1 } } },
  }));
  expect(fromRunBatchLine(target, request, out)).toMatchObject({ text: 'delivery', finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 1 } });
});

test.each([
  [400, 'client'],
  [500, 'retryable'],
])('a failed line (%s) is classified as the same synchronous answer (%s)', (status, disposition) => {
  const out = parseRunBatchOutput(JSON.stringify({ custom_id: 'x', response: { status_code: status, body: { error: { message: 'no', type: 'x', code: null } } }, error: null }));
  expect(thrownBy(UpstreamError, () => fromRunBatchLine(target, request, out)).disposition).toBe(disposition);
});

test('a line without custom_id is refused', () => {
  expect(() => parseRunBatchOutput('{"response":null}')).toThrow(UpstreamError);
});

describe('embeddings lines', () => {
  const embedder: OpenAiTarget = { kind: 'openai', id: 'vllm-embed', baseUrl: 'http://vllm-embed:8000/v1', model: 'bge-m3' };
  const call: EmbeddingRequest = { requestId: 'batch_abc.2', inputs: ['late parcel', 'refund'], dimensions: 4 };

  test('a line carries the synchronous embeddings body to /v1/embeddings', () => {
    expect(JSON.parse(toRunBatchEmbeddingsLine('batch_abc.2', embedder, call))).toEqual({
      custom_id: 'batch_abc.2', method: 'POST', url: '/v1/embeddings', body: toEmbeddingsBody(embedder, call),
    });
  });

  test('an output line is read as the synchronous answer: vectors in input order, the reported tokens', () => {
    const out = parseRunBatchOutput(JSON.stringify({
      id: 'vllm-2', custom_id: 'batch_abc.2', error: null,
      response: { status_code: 200, request_id: 'r', body: { model: 'bge-m3', data: [{ index: 1, embedding: [0, 1] }, { index: 0, embedding: [1, 0] }], usage: { prompt_tokens: 5 } } },
    }));
    expect(fromRunBatchEmbeddings(embedder, call, out)).toEqual({ vectors: [[1, 0], [0, 1]], inputTokens: 5, servedModel: 'bge-m3' });
  });

  test('a failed embeddings line is classified as the same synchronous answer', () => {
    const out = parseRunBatchOutput(JSON.stringify({ custom_id: 'x', response: { status_code: 400, body: { error: { message: 'too long' } } }, error: null }));
    expect(thrownBy(UpstreamError, () => fromRunBatchEmbeddings(embedder, call, out)).disposition).toBe('client');
  });
});
