import fc from 'fast-check';
import { promptTextsOf as bedrockPromptTexts, JSON_OBJECT_INSTRUCTION } from '../../../lambda/router/providers/bedrock/mapping';
import { promptTextsOf as openAiPromptTexts } from '../../../lambda/router/providers/openai/mapping';
import { inputTokenBound, TOKENS_PER_REQUEST, TOKENS_PER_TEXT, utf8Bytes } from '../../../lambda/router/providers/token-bound';
import { BedrockTarget, OpenAiTarget } from '../../../lambda/router/providers/types';
import { PROFILE_ARN, providerRequest } from './helpers';

const bedrock: BedrockTarget = { kind: 'bedrock', id: 'b', modelId: PROFILE_ARN };
const openai: OpenAiTarget = { kind: 'openai', id: 'o', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' };

describe('utf8Bytes', () => {
  test('counts what Buffer encodes: ASCII 1, accented 2, CJK 3, astral 4, a lone surrogate 3 (U+FFFD)', () => {
    expect(utf8Bytes('héllo 世界 👋')).toBe(18);
    expect(utf8Bytes('\ud800')).toBe(3);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }), (a, b) => {
      expect(utf8Bytes(a)).toBe(Buffer.byteLength(a, 'utf8'));
      expect(utf8Bytes(b)).toBe(Buffer.byteLength(b, 'utf8'));
    }));
  });
});

describe('inputTokenBound', () => {
  test('bytes of every text plus framing per text and per request', () => {
    expect(inputTokenBound([])).toBe(TOKENS_PER_REQUEST);
    expect(inputTokenBound(['You are terse.', '世界'])).toBe(14 + 6 + 2 * TOKENS_PER_TEXT + TOKENS_PER_REQUEST);
  });
});

describe('promptTextsOf: what each adapter sends', () => {
  test('Bedrock: system prompts, the JSON instruction with the schema, merged turns', () => {
    const request = providerRequest({
      system: ['sys', ' '],
      messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }],
      responseFormat: { type: 'json_schema', name: 'r', schema: { type: 'object' } },
    });
    const texts = bedrockPromptTexts(bedrock, request);
    expect(texts[0]).toBe('sys');
    expect(texts[1]).toContain(JSON_OBJECT_INSTRUCTION);
    expect(texts[1]).toContain('{"type":"object"}');
    expect(texts[2]).toBe('a\n\nb');
    // A target with structured outputs gets the schema as outputConfig: counted too.
    expect(bedrockPromptTexts({ ...bedrock, structuredOutputs: true }, request)).toEqual(['sys', 'a\n\nb', 'r{"type":"object"}']);
  });

  test('OpenAI-compatible: one system message, the turns, the response_format as JSON', () => {
    const request = providerRequest({ system: ['s1', 's2'], responseFormat: { type: 'json_object' } });
    expect(openAiPromptTexts(openai, request)).toEqual(['s1\n\ns2', 'Summarise the ticket.', '{"type":"json_object"}']);
  });
});
