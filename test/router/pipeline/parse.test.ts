import fc from 'fast-check';
import { GatewayError, InvalidRequestError, PayloadTooLargeError, RequestTimeoutError } from '../../../lambda/router/errors';
import { BodyError } from '../../../lambda/router/http';
import { parseChatRequest } from '../../../lambda/router/pipeline/parse';
import { thrownBy } from '../../helpers/router-config';

const limits = { maxBodyBytes: 4096, maxMessages: 4, maxMessageChars: 200, maxTokensCap: 1000, maxImageBytes: 1024, maxImagesPerRequest: 2, maxImageBytesPerRequest: 1536 };
const bytes = (v: unknown): Uint8Array => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const parse = (v: unknown) => parseChatRequest(bytes(v), undefined, limits);
const base = { model: 'chat', messages: [{ role: 'user', content: 'Hi' }] };

const errorOf = (fn: () => unknown): GatewayError => thrownBy(GatewayError, fn);

describe('parseChatRequest', () => {
  test('parses a full request', () => {
    // Act
    const request = parseChatRequest(bytes({
      model: 'chat',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use English.' }] },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: [{ type: 'text', text: 'Summarise' }, { type: 'text', text: 'this' }] },
      ],
      max_completion_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      stop: 'END',
      stream: true,
      stream_options: { include_usage: true },
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      metadata: { workflow: 'support' },
      user: 'u-1',
      seed: 7,
      frequency_penalty: 0.5,
      future_field: { anything: true },
    }), undefined, { ...limits, maxMessages: 5 });

    // Assess
    expect(request).toEqual({
      model: 'chat',
      system: ['Be brief.', 'Use English.'],
      messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'Summarise\nthis' }],
      maxTokens: 100,
      temperature: 0.2,
      topP: 0.9,
      stop: ['END'],
      stream: true,
      includeUsage: true,
      responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true },
      metadata: { workflow: 'support' },
      user: 'u-1',
      seed: 7,
      frequencyPenalty: 0.5,
    });
  });

  test('merges consecutive turns of one role, so every target sees an alternating conversation', () => {
    const request = parse({ model: 'm', messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] });
    expect(request.messages).toEqual([{ role: 'user', content: 'a\n\nb' }]);
  });

  test('include_usage only applies to streams; null optional fields count as absent', () => {
    const request = parse({ ...base, stream: false, stream_options: { include_usage: true }, temperature: null, stop: null, max_tokens: null });
    expect(request).toEqual({ model: 'chat', system: [], messages: [{ role: 'user', content: 'Hi' }], stream: false, includeUsage: false, metadata: {} });
  });

  test.each<[string, unknown, string, string]>([
    ['not JSON', '{"model": "chat",', 'body', 'invalid_json'],
    ['JSON that is not an object', '[1,2]', 'body', 'invalid_type'],
    ['an empty body', '', 'body', 'missing_body'],
    ['no model', { messages: base.messages }, 'model', 'missing_required_parameter'],
    ['a numeric model', { ...base, model: 7 }, 'model', 'invalid_type'],
    ['no messages', { model: 'chat' }, 'messages', 'missing_required_parameter'],
    ['messages not an array', { ...base, messages: 'hi' }, 'messages', 'invalid_type'],
    ['too many messages', { ...base, messages: Array.from({ length: 5 }, () => ({ role: 'user', content: 'x' })) }, 'messages', 'too_many_messages'],
    ['an unknown role', { ...base, messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role', 'invalid_value'],
    ['a tool message answering no call', { ...base, messages: [{ role: 'tool', tool_call_id: 'c', content: 'x' }] }, 'messages[0].tool_call_id', 'invalid_conversation'],
    ['a malformed tool call', { ...base, messages: [...base.messages, { role: 'assistant', content: 'x', tool_calls: [{ id: '1' }] }, { role: 'user', content: 'y' }] }, 'messages[1].tool_calls[0].type', 'unsupported_parameter'],
    ['an image part that is not a URL', { ...base, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 'messages[0].content[0].image_url.url', 'invalid_image_url'],
    ['an image part in an assistant message', { ...base, messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: [{ type: 'image_url', image_url: { url: 'x' } }] }, { role: 'user', content: 'b' }] }, 'messages[1].content[0].type', 'unsupported_content'],
    ['n above 1', { ...base, n: 2 }, 'n', 'unsupported_parameter'],
    ['an unknown service tier', { ...base, service_tier: 'scale' }, 'service_tier', 'invalid_value'],
    ['a presence penalty out of range', { ...base, presence_penalty: 3 }, 'presence_penalty', 'invalid_value'],
    ['a message too long', { ...base, messages: [{ role: 'user', content: 'x'.repeat(201) }] }, 'messages[0].content', 'message_too_long'],
    ['empty user content', { ...base, messages: [{ role: 'user', content: '  ' }] }, 'messages[0].content', 'invalid_value'],
    ['missing content', { ...base, messages: [{ role: 'user' }] }, 'messages[0].content', 'missing_required_parameter'],
    ['only system messages', { ...base, messages: [{ role: 'system', content: 'x' }] }, 'messages', 'invalid_value'],
    ['assistant first', { ...base, messages: [{ role: 'assistant', content: 'x' }, { role: 'user', content: 'y' }] }, 'messages', 'invalid_conversation'],
    ['assistant last', { ...base, messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y' }] }, 'messages', 'invalid_conversation'],
    ['max_tokens above the cap', { ...base, max_tokens: 1001 }, 'max_tokens', 'max_tokens_too_large'],
    ['max_tokens zero', { ...base, max_tokens: 0 }, 'max_tokens', 'invalid_value'],
    ['max_tokens fractional', { ...base, max_tokens: 1.5 }, 'max_tokens', 'invalid_type'],
    ['disagreeing token limits', { ...base, max_tokens: 5, max_completion_tokens: 6 }, 'max_completion_tokens', 'invalid_value'],
    ['temperature out of range', { ...base, temperature: 3 }, 'temperature', 'invalid_value'],
    ['temperature as a string', { ...base, temperature: '0.5' }, 'temperature', 'invalid_type'],
    ['top_p out of range', { ...base, top_p: 1.5 }, 'top_p', 'invalid_value'],
    ['stream as a string', { ...base, stream: 'true' }, 'stream', 'invalid_type'],
    ['stream_options not an object', { ...base, stream: true, stream_options: true }, 'stream_options', 'invalid_type'],
    ['too many stop sequences', { ...base, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', 'invalid_value'],
    ['a stop sequence of the wrong type', { ...base, stop: [1] }, 'stop', 'invalid_type'],
    ['a tool without a function', { ...base, tools: [{ type: 'function' }] }, 'tools[0].function', 'invalid_type'],
    ['n above 1', { ...base, n: 2 }, 'n', 'unsupported_parameter'],
    ['logprobs as a string', { ...base, logprobs: 'yes' }, 'logprobs', 'invalid_type'],
    ['top_logprobs above 20', { ...base, logprobs: true, top_logprobs: 21 }, 'top_logprobs', 'invalid_value'],
    ['top_logprobs not an integer', { ...base, logprobs: true, top_logprobs: 1.5 }, 'top_logprobs', 'invalid_type'],
    ['top_logprobs without logprobs', { ...base, top_logprobs: 3 }, 'top_logprobs', 'invalid_value'],
    ['a seed of the wrong type', { ...base, seed: 'x' }, 'seed', 'invalid_type'],
    ['logit_bias not an object', { ...base, logit_bias: [] }, 'logit_bias', 'invalid_type'],
    ['an unknown response format', { ...base, response_format: { type: 'xml' } }, 'response_format.type', 'invalid_value'],
    ['a json_schema without a name', { ...base, response_format: { type: 'json_schema', json_schema: { schema: {} } } }, 'response_format.json_schema.name', 'invalid_value'],
    ['metadata with a number', { ...base, metadata: { a: 1 } }, 'metadata.a', 'invalid_type'],
    ['metadata with too many keys', { ...base, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata', 'invalid_value'],
    ['metadata value too long', { ...base, metadata: { a: 'x'.repeat(513) } }, 'metadata.a', 'invalid_value'],
    ['user too long', { ...base, user: 'x'.repeat(257) }, 'user', 'invalid_value'],
  ])('400 for %s, naming the field', (_name, body, param, code) => {
    const error = errorOf(() => parse(body));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect({ status: error.status, param: error.param, code: error.code }).toEqual({ status: 400, param, code });
  });

  test('accepts harmless values of unsupported fields (empty tools, n = 1, text modalities)', () => {
    expect(() => parse({ ...base, tools: [], n: 1, modalities: ['text'], logprobs: false, tool_choice: 'none' })).not.toThrow();
  });

  test('logprobs: true (with top_logprobs) asks for log probabilities; false or absent asks for none', () => {
    expect(parse({ ...base, logprobs: true, top_logprobs: 5 }).logprobs).toEqual({ topLogprobs: 5 });
    expect(parse({ ...base, logprobs: true }).logprobs).toEqual({ topLogprobs: 0 });
    expect(parse({ ...base, logprobs: false, top_logprobs: 0 }).logprobs).toBeUndefined();
    expect(parse(base).logprobs).toBeUndefined();
  });

  test('the JSON error names the position but never quotes the body', () => {
    const error = errorOf(() => parse('{"model": "chat", "secret-text": }'));
    // (Node 20's parser reports no position; later versions do.)
    expect(error.message).toMatch(/^The request body is not valid JSON( \(error at position \d+\))?\.$/);
    expect(error.message).not.toContain('secret');
  });

  test('413 when the body is larger than the limit, 408 when it did not arrive in time', () => {
    expect(errorOf(() => parseChatRequest(new Uint8Array(4097), undefined, limits))).toBeInstanceOf(PayloadTooLargeError);
    expect(errorOf(() => parseChatRequest(new Uint8Array(0), BodyError.TOO_LARGE, limits)).status).toBe(413);
    expect(errorOf(() => parseChatRequest(new Uint8Array(0), BodyError.TIMEOUT, limits))).toBeInstanceOf(RequestTimeoutError);
  });

  test('rejects invalid UTF-8', () => {
    expect(errorOf(() => parseChatRequest(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]), undefined, limits)).code).toBe('invalid_encoding');
  });

  test('a deeply nested json_schema is refused without exhausting the stack', () => {
    const schema = `${'{"properties":'.repeat(5000)}{}${'}'.repeat(5000)}`;
    const body = Buffer.from(`{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${schema}}}}`);
    const error = errorOf(() => parseChatRequest(body, undefined, { ...limits, maxBodyBytes: 1_000_000 }));
    expect(error.param).toBe('response_format.json_schema.schema');
  });

  test('a __proto__ key in metadata stays plain data', () => {
    const request = parseChatRequest(Buffer.from(`{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"__proto__":"polluted"}}`), undefined, limits);
    expect(Object.keys(request.metadata)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  describe('property: hostile input never escapes as anything but a 400/413 GatewayError', () => {
    const check = (body: Uint8Array): void => {
      try {
        parseChatRequest(body, undefined, limits);
      } catch (e) {
        expect(e).toBeInstanceOf(GatewayError);
        expect([400, 413]).toContain((e as GatewayError).status);
      }
    };

    test('arbitrary bytes', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => check(b)), { numRuns: 300 });
    });

    test('arbitrary JSON values', () => {
      fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => check(bytes(JSON.stringify(v) ?? 'null'))), { numRuns: 300 });
    });

    test('requests with hostile field values', () => {
      const anything = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string(), fc.constant(undefined));
      const message = fc.record({ role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool'), fc.string()), content: anything }, { requiredKeys: [] });
      const request = fc.record({
        model: anything,
        messages: fc.oneof(fc.array(message, { maxLength: 6 }), anything),
        max_tokens: anything,
        temperature: anything,
        stop: anything,
        stream: anything,
        stream_options: anything,
        response_format: anything,
        metadata: anything,
        tools: anything,
      }, { requiredKeys: [] });
      fc.assert(fc.property(request, (r) => check(bytes(r))), { numRuns: 500 });
    });
  });
});
