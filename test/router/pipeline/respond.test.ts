import fc from 'fast-check';
import { RateLimitError } from '../../../lambda/router/errors';
import { formatUsd, SseWriter, writeCompletion, writeError } from '../../../lambda/router/pipeline/respond';
import { MemorySink } from '../../helpers/router-fakes';

const meta = { requestId: 'req-1', alias: 'chat', modelLabel: 'qwen3-8b', attempts: 2, fallback: true, created: 1700000000 };
const usage = { inputTokens: 5, outputTokens: 7, cacheReadInputTokens: 3, cacheWriteInputTokens: 0 };

describe('respond', () => {
  test('formatUsd: no exponent, no trailing zeros', () => {
    expect([0, 0.0000014, 0.5, 12, 1e-10].map(formatUsd)).toEqual(['0', '0.0000014', '0.5', '12', '0']);
  });

  test('writeCompletion: a chat.completion with the gateway headers', async () => {
    const sink = new MemorySink();
    await writeCompletion(sink, meta, { text: 'hi', finishReason: 'length', usage, costUsd: 0.25, guardrailAction: 'NONE' });
    expect(sink.headers).toEqual({
      'content-type': 'application/json', 'cache-control': 'no-store', 'x-request-id': 'req-1', 'x-gateway-route': 'chat',
      'x-gateway-model': 'qwen3-8b', 'x-gateway-attempts': '2', 'x-gateway-fallback': 'true', 'x-gateway-cost-usd': '0.25', 'x-gateway-guardrail-action': 'NONE',
    });
    expect(sink.json()).toEqual({
      id: 'chatcmpl-req-1', object: 'chat.completion', created: 1700000000, model: 'chat',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi', refusal: null }, logprobs: null, finish_reason: 'length' }],
      usage: { prompt_tokens: 8, completion_tokens: 7, total_tokens: 15, prompt_tokens_details: { cached_tokens: 3 } },
    });
    expect(sink.ended).toBe(true);
  });

  test('writeError: the status, its headers and the envelope', async () => {
    const sink = new MemorySink();
    await writeError(sink, new RateLimitError('slow down', 'upstream_throttled', 2.2), { 'x-request-id': 'r' });
    expect(sink.status).toBe(429);
    expect(sink.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'no-store', 'x-request-id': 'r', 'retry-after': '3' });
    expect(sink.json()).toEqual({ error: { message: 'slow down', type: 'rate_limit_error', code: 'upstream_throttled', param: null } });
  });

  test('SseWriter: an empty answer still carries the role; fail() ends without [DONE]', async () => {
    const ok = new MemorySink();
    await new SseWriter(ok, meta).finish('stop', undefined, { costUsd: 0 });
    expect(ok.events()).toEqual([
      { id: 'chatcmpl-req-1', object: 'chat.completion.chunk', created: 1700000000, model: 'chat', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: 'stop' }] },
      '[DONE]',
    ]);
    const failed = new MemorySink();
    const sse = new SseWriter(failed, meta);
    await sse.text('par');
    await sse.fail(new RateLimitError('later', 'upstream_throttled', 1));
    expect(failed.events()).toEqual([expect.objectContaining({ object: 'chat.completion.chunk' }), { error: { message: 'later', type: 'rate_limit_error', code: 'upstream_throttled', param: null } }]);
    expect(failed.body.endsWith('\n\n')).toBe(true);
    expect(failed.ended).toBe(true);
  });

  test('SseWriter: each content delta is byte for byte the JSON.stringify of the whole chunk', async () => {
    // The envelope is serialised once per stream; the bytes must not differ from serialising it each time.
    const reference = (m: typeof meta, delta: Record<string, string>): string => `data: ${JSON.stringify({
      id: `chatcmpl-${m.requestId}`, object: 'chat.completion.chunk', created: m.created, model: m.alias,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: null }],
    })}\n\n`;
    await fc.assert(fc.asyncProperty(
      fc.record({ requestId: fc.string(), alias: fc.string(), created: fc.integer({ min: 0, max: 2 ** 40 }) }),
      fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 4 }),
      async (ids, texts) => {
        const m = { ...meta, ...ids };
        const sink = new MemorySink();
        const sse = new SseWriter(sink, m);
        for (const text of texts) await sse.text(text);
        expect(sink.chunks).toEqual(texts.map((text, i) => reference(m, i === 0 ? { role: 'assistant', content: text } : { content: text })));
      },
    ), { numRuns: 200 });
  });
});
