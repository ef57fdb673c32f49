import fc from 'fast-check';
import { addedPromptTexts as bedrockAdded, JSON_OBJECT_INSTRUCTION, toConverseInput } from '../../../lambda/router/providers/bedrock/mapping';
import { addedPromptTexts as openAiAdded } from '../../../lambda/router/providers/openai/mapping';
import { inputTokenBound, requestTokenBound, SEPARATOR_BYTES, TOKENS_PER_REQUEST, TOKENS_PER_TEXT, utf8Bytes } from '../../../lambda/router/providers/token-bound';
import { CONTINUATION_PROMPT } from '../../../lambda/router/providers/conversation';
import { BedrockTarget } from '../../../lambda/router/providers/types';
import { PROFILE_ARN, providerRequest } from './helpers';

const bedrock: BedrockTarget = { kind: 'bedrock', id: 'b', modelId: PROFILE_ARN };

const ENCODER = new TextEncoder();

describe('utf8Bytes', () => {
  test('counts UTF-8 bytes: ASCII 1, accented 2, CJK 3, astral 4, a lone surrogate 3 (U+FFFD)', () => {
    expect(utf8Bytes('héllo 世界 👋')).toBe(18);
    expect(utf8Bytes('\ud800')).toBe(3);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }), (a, b) => {
      // An independent encoder: TextEncoder also replaces lone surrogates by U+FFFD.
      expect(utf8Bytes(a)).toBe(ENCODER.encode(a).length);
      expect(utf8Bytes(b)).toBe(ENCODER.encode(b).length);
    }));
  });
});

describe('inputTokenBound', () => {
  test('bytes of every system prompt, turn and added text, plus a separator and framing each, plus framing per request', () => {
    const per = SEPARATOR_BYTES + TOKENS_PER_TEXT;
    expect(inputTokenBound({ system: [], messages: [] }, [])).toBe(TOKENS_PER_REQUEST);
    expect(requestTokenBound({ system: ['ab'], messages: [] })).toBe(2 + per + TOKENS_PER_REQUEST);
    expect(inputTokenBound({ system: ['You are terse.'], messages: [{ role: 'user', content: '世界' }] }, ['{}']))
      .toBe(14 + 6 + 2 + 3 * per + TOKENS_PER_REQUEST);
  });
});

describe('addedPromptTexts: what each adapter adds to the request', () => {
  test('Bedrock: the continuation prompt, the JSON instruction, the forced response tool; with structured outputs the schema and its name', () => {
    const request = providerRequest({ responseFormat: { type: 'json_schema', name: 'r', schema: { type: 'object' } } });
    const texts = bedrockAdded(bedrock, request);
    expect(texts).toEqual([JSON.stringify(toConverseInput(bedrock, request).toolConfig?.tools?.[0]?.toolSpec)]);
    expect(bedrockAdded({ ...bedrock, structuredOutputs: true }, request)).toEqual(['r{"type":"object"}']);
    expect(bedrockAdded(bedrock, providerRequest({ responseFormat: { type: 'json_object' } }))).toEqual([JSON_OBJECT_INSTRUCTION]);
    // What Converse receives is inside it: every system block is one of the request's, or added.
    expect(toConverseInput(bedrock, request).system?.map((b) => b.text)).toEqual(['You are terse.']);
    // A conversation that starts with the assistant (after blank turns) gets the continuation prompt.
    const assistantFirst = providerRequest({ messages: [{ role: 'user', content: ' ' }, { role: 'assistant', content: 'a' }, { role: 'user', content: 'b' }] });
    expect(bedrockAdded(bedrock, assistantFirst)).toEqual([CONTINUATION_PROMPT]);
  });

  test('OpenAI-compatible: the response_format as JSON, nothing for plain text', () => {
    expect(openAiAdded(providerRequest({ responseFormat: { type: 'json_object' } }))).toEqual(['{"type":"json_object"}']);
    expect(openAiAdded(providerRequest({ responseFormat: { type: 'text' } }))).toEqual([]);
    expect(openAiAdded(providerRequest())).toEqual([]);
  });
});
