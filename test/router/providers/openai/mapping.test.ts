import { fromChatCompletion, logprobsOf, parseStreamEvent, toChatCompletionsBody } from '../../../../lambda/router/providers/openai/mapping';
import type { OpenAiTarget } from '../../../../lambda/router/providers/types';
import { providerRequest } from '../helpers';

const target: OpenAiTarget = { kind: 'openai', id: 'vllm', baseUrl: 'http://vllm.internal:8000/v1', model: 'qwen3-8b' };
const schema = { type: 'object', properties: { label: { type: 'string' } } };

describe('toChatCompletionsBody', () => {
  test('minimal: model, messages with the system message first, and the output limit; nothing unset', () => {
    expect(toChatCompletionsBody(target, providerRequest(), false)).toEqual({
      model: 'qwen3-8b',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Summarise the ticket.' },
      ],
      max_tokens: 512,
    });
  });

  test('several system prompts become one system message; consecutive same-role turns are merged', () => {
    const body = toChatCompletionsBody(target, providerRequest({
      system: ['a', ' ', 'b'],
      messages: [
        { role: 'user', content: 'q1' },
        { role: 'user', content: 'q1b' },
        { role: 'assistant', content: 'a1' },
        { role: 'user', content: 'q2' },
      ],
    }), false);
    expect(body.messages).toEqual([
      { role: 'system', content: 'a\n\nb' },
      { role: 'user', content: 'q1\n\nq1b' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'q2' },
    ]);
  });

  test('no system prompt → no system message', () => {
    expect(toChatCompletionsBody(target, providerRequest({ system: [] }), false).messages).toEqual([{ role: 'user', content: 'Summarise the ticket.' }]);
  });

  test('sampling parameters and stop', () => {
    expect(toChatCompletionsBody(target, providerRequest({ maxTokens: 64, temperature: 0, topP: 0.5, stop: ['END'] }), false)).toMatchObject({
      max_tokens: 64,
      temperature: 0,
      top_p: 0.5,
      stop: ['END'],
    });
  });

  test('response_format is passed through', () => {
    expect(toChatCompletionsBody(target, providerRequest({ responseFormat: { type: 'json_object' } }), false).response_format)
      .toEqual({ type: 'json_object' });
    expect(toChatCompletionsBody(target, providerRequest({ responseFormat: { type: 'json_schema', name: 'x', schema, strict: true } }), false).response_format)
      .toEqual({ type: 'json_schema', json_schema: { name: 'x', schema, strict: true } });
    expect(toChatCompletionsBody(target, providerRequest({ responseFormat: { type: 'text' } }), false).response_format).toBeUndefined();
  });

  test('streams ask for usage', () => {
    expect(toChatCompletionsBody(target, providerRequest(), true)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(toChatCompletionsBody(target, providerRequest(), false).stream).toBeUndefined();
  });
});

describe('fromChatCompletion', () => {
  const body = (over: Record<string, unknown> = {}): string => JSON.stringify({
    id: 'c1',
    model: 'qwen3-8b-served',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'length' }],
    usage: { prompt_tokens: 20, completion_tokens: 1, total_tokens: 21, prompt_tokens_details: { cached_tokens: 16 } },
    ...over,
  });

  test('text, finish reason, usage with cached tokens as cache reads, served model', () => {
    expect(fromChatCompletion(target, providerRequest(), body())).toEqual({
      text: 'Hi',
      finishReason: 'length',
      usage: { inputTokens: 20, outputTokens: 1, cacheReadInputTokens: 16, cacheWriteInputTokens: 0 },
      servedModel: 'qwen3-8b-served',
    });
  });

  test('finish reasons: content_filter and tool_calls kept, unknown → stop', () => {
    const reason = (r: unknown) => fromChatCompletion(target, providerRequest(), body({ choices: [{ message: { content: 'x' }, finish_reason: r }] })).finishReason;
    expect(reason('content_filter')).toBe('content_filter');
    expect(reason('tool_calls')).toBe('tool_calls');
    expect(reason(null)).toBe('stop');
  });

  test('no usage → estimated and marked; null content is an empty answer; no model → target model', () => {
    const completion = fromChatCompletion(target, providerRequest(), JSON.stringify({ choices: [{ message: { content: null }, finish_reason: 'stop' }] }));
    expect(completion.text).toBe('');
    expect(completion.usageEstimated).toBe(true);
    expect(completion.servedModel).toBe('qwen3-8b');
  });

  test.each([
    ['not JSON', '{"choices": ['],
    ['not an object', '[1,2]'],
    ['no choices', '{"id":"x"}'],
    ['empty choices', '{"choices":[]}'],
    ['no message', '{"choices":[{"delta":{}}]}'],
    ['content not a string', '{"choices":[{"message":{"content":42}}]}'],
  ])('%s → fallback malformedResponse', (_label, raw) => {
    expect(() => fromChatCompletion(target, providerRequest(), raw)).toThrow(expect.objectContaining({ disposition: 'fallback', code: 'malformedResponse' }));
  });
});

describe('parseStreamEvent', () => {
  test('[DONE]', () => {
    expect(parseStreamEvent('[DONE]')).toEqual({ done: true });
  });

  test('a content delta; the role chunk carries no text', () => {
    expect(parseStreamEvent('{"model":"m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}')).toEqual({ done: false, text: 'Hel', model: 'm' });
    expect(parseStreamEvent('{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}')).toEqual({ done: false });
  });

  test('finish reason and the usage chunk', () => {
    expect(parseStreamEvent('{"choices":[{"delta":{},"finish_reason":"length"}],"usage":null}')).toEqual({ done: false, finishReason: 'length' });
    expect(parseStreamEvent('{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}'))
      .toEqual({ done: false, usage: { inputTokens: 5, outputTokens: 2, cacheReadInputTokens: undefined } });
  });

  test('an error object (OpenAI envelope and vLLM flat shape)', () => {
    expect(parseStreamEvent('{"error":{"message":"boom","type":"server_error","code":500}}')).toEqual({
      done: false,
      error: { message: 'boom', type: 'server_error', code: 500 },
    });
    expect(parseStreamEvent('{"object":"error","message":"bad","type":"BadRequestError","code":400}').error)
      .toEqual({ message: 'bad', type: 'BadRequestError', code: 400 });
  });

  test('data that is not JSON → fallback malformedResponse', () => {
    expect(() => parseStreamEvent('{not json}')).toThrow(expect.objectContaining({ disposition: 'fallback', code: 'malformedResponse' }));
  });
});

describe('logprobs', () => {
  const token = { token: 'Hi', logprob: -0.25, bytes: [72, 105], top_logprobs: [{ token: 'Hey', logprob: -1.5, bytes: [72, 101, 121] }] };

  test('asked for: logprobs and top_logprobs in the body; not asked: neither', () => {
    expect(toChatCompletionsBody(target, { ...providerRequest(), logprobs: { topLogprobs: 3 } }, false)).toMatchObject({ logprobs: true, top_logprobs: 3 });
    expect(toChatCompletionsBody(target, { ...providerRequest(), logprobs: { topLogprobs: 0 } }, false)).not.toHaveProperty('top_logprobs');
    expect(toChatCompletionsBody(target, providerRequest(), false)).not.toHaveProperty('logprobs');
  });

  test('the JSON answer\'s and a chunk\'s logprobs.content are carried, rebuilt from the checked fields', () => {
    const withExtra = { ...token, extra: 'dropped' };
    const json = JSON.stringify({ choices: [{ message: { content: 'Hi' }, logprobs: { content: [withExtra] }, finish_reason: 'stop' }] });
    expect(fromChatCompletion(target, { ...providerRequest(), logprobs: { topLogprobs: 1 } }, json).logprobs).toEqual([token]);
    expect(fromChatCompletion(target, providerRequest(), json).logprobs).toBeUndefined();
    const chunk = JSON.stringify({ choices: [{ delta: { content: 'Hi' }, logprobs: { content: [token] } }] });
    expect(parseStreamEvent(chunk, true)).toMatchObject({ text: 'Hi', logprobs: [token] });
    expect(parseStreamEvent(chunk)).not.toHaveProperty('logprobs');
  });

  test.each([
    ['a token without its logprob', { content: [{ token: 'Hi' }] }],
    ['bytes that are not bytes', { content: [{ ...token, bytes: [256] }] }],
    ['top_logprobs that is not a list', { content: [{ ...token, top_logprobs: {} }] }],
    ['an alternative of the wrong shape', { content: [{ ...token, top_logprobs: [{ token: 1, logprob: 0 }] }] }],
  ])('%s → fallback malformedResponse', (_name, logprobs) => {
    expect(() => logprobsOf(logprobs)).toThrow(expect.objectContaining({ disposition: 'fallback', code: 'malformedResponse' }));
  });

  test('no logprobs object, or content null: none', () => {
    expect(logprobsOf(null)).toBeUndefined();
    expect(logprobsOf({ content: null })).toBeUndefined();
  });
});
