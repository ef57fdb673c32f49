import { UpstreamError } from '../../../../lambda/router/errors';
import {
  finishReasonOf,
  fromConverseOutput,
  guardrailActionOf,
  JSON_OBJECT_INSTRUCTION,
  toConverseInput,
  toConverseStreamInput,
} from '../../../../lambda/router/providers/bedrock/mapping';
import { CONTINUATION_PROMPT } from '../../../../lambda/router/providers/conversation';
import { sanitiseRequestMetadata } from '../../../../lambda/router/providers/request-metadata';
import type { BedrockTarget } from '../../../../lambda/router/providers/types';
import { PROFILE_ARN, providerRequest } from '../helpers';

const target: BedrockTarget = { kind: 'bedrock', id: 'acme', modelId: PROFILE_ARN };
const schema = { type: 'object', properties: { sentiment: { enum: ['positive', 'negative'] } }, required: ['sentiment'] };

describe('toConverseInput', () => {
  test('a minimal request: modelId, one user turn, the system prompt, the output limit, the metadata; nothing else', () => {
    const input = toConverseInput(target, providerRequest());
    expect(input).toEqual({
      modelId: PROFILE_ARN,
      system: [{ text: 'You are terse.' }],
      messages: [{ role: 'user', content: [{ text: 'Summarise the ticket.' }] }],
      inferenceConfig: { maxTokens: 512 },
      requestMetadata: { tenant: 'acme', workflow: 'support-summary', promptVersion: 'summary@3', requestId: 'req-0001' },
    });
  });

  test('system prompts stay in order as separate blocks; blank ones are dropped; no system → no field', () => {
    expect(toConverseInput(target, providerRequest({ system: ['a', '  ', 'b'] })).system).toEqual([{ text: 'a' }, { text: 'b' }]);
    expect(toConverseInput(target, providerRequest({ system: [] })).system).toBeUndefined();
  });

  test('multi-turn: roles alternate as sent', () => {
    const input = toConverseInput(target, providerRequest({
      messages: [
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: 'a1' },
        { role: 'user', content: 'q2' },
      ],
    }));
    expect(input.messages).toEqual([
      { role: 'user', content: [{ text: 'q1' }] },
      { role: 'assistant', content: [{ text: 'a1' }] },
      { role: 'user', content: [{ text: 'q2' }] },
    ]);
  });

  test('consecutive same-role turns are merged, blank turns dropped, and a leading assistant turn gets a user turn first', () => {
    const input = toConverseInput(target, providerRequest({
      messages: [
        { role: 'assistant', content: 'Welcome back.' },
        { role: 'user', content: 'first' },
        { role: 'user', content: '   ' },
        { role: 'user', content: 'second' },
        { role: 'assistant', content: '' },
        { role: 'user', content: 'third' },
      ],
    }));
    expect(input.messages).toEqual([
      { role: 'user', content: [{ text: CONTINUATION_PROMPT }] },
      { role: 'assistant', content: [{ text: 'Welcome back.' }] },
      { role: 'user', content: [{ text: 'first\n\nsecond\n\nthird' }] },
    ]);
  });

  test('a request with only blank turns is rejected as a client error before any call', () => {
    expect(() => toConverseInput(target, providerRequest({ messages: [{ role: 'user', content: ' ' }] }))).toThrow(UpstreamError);
    expect(() => toConverseInput(target, providerRequest({ messages: [{ role: 'user', content: '' }] })))
      .toThrow(expect.objectContaining({ disposition: 'client', code: 'validation' }));
  });

  test('inferenceConfig always carries maxTokens, and the rest only when set', () => {
    expect(toConverseInput(target, providerRequest({ maxTokens: 100 })).inferenceConfig).toEqual({ maxTokens: 100 });
    expect(toConverseInput(target, providerRequest({ maxTokens: 9, temperature: 0, topP: 1, stop: ['\n\n', 'END'] })).inferenceConfig)
      .toEqual({ maxTokens: 9, temperature: 0, topP: 1, stopSequences: ['\n\n', 'END'] });
    expect(toConverseStreamInput(target, providerRequest({ maxTokens: 3, stop: [] })).inferenceConfig).toEqual({ maxTokens: 3 });
  });

  test('guardrailConfig with trace for Converse; synchronous stream processing for ConverseStream', () => {
    const guarded: BedrockTarget = { ...target, guardrail: { identifier: 'gr-1', version: 'DRAFT' } };
    expect(toConverseInput(guarded, providerRequest()).guardrailConfig)
      .toEqual({ guardrailIdentifier: 'gr-1', guardrailVersion: 'DRAFT', trace: 'enabled' });
    expect(toConverseStreamInput(guarded, providerRequest()).guardrailConfig)
      .toEqual({ guardrailIdentifier: 'gr-1', guardrailVersion: 'DRAFT', trace: 'enabled', streamProcessingMode: 'sync' });
    expect(toConverseInput(target, providerRequest()).guardrailConfig).toBeUndefined();
  });

  test('json_object → a system instruction after the system prompts', () => {
    const input = toConverseInput(target, providerRequest({ responseFormat: { type: 'json_object' } }));
    expect(input.system).toEqual([{ text: 'You are terse.' }, { text: JSON_OBJECT_INSTRUCTION }]);
    expect(input.outputConfig).toBeUndefined();
  });

  test('json_schema without native structured outputs → a forced tool whose input schema is the response schema', () => {
    const input = toConverseInput(target, providerRequest({ responseFormat: { type: 'json_schema', name: 'verdict', schema } }));
    expect(input.toolConfig?.tools?.[0]?.toolSpec).toMatchObject({ name: 'verdict', inputSchema: { json: schema } });
    expect(input.toolConfig?.toolChoice).toEqual({ tool: { name: 'verdict' } });
    expect(input.system).toEqual([{ text: 'You are terse.' }]);
    expect(input.outputConfig).toBeUndefined();
  });

  test('json_schema on a structured-outputs target → outputConfig.textFormat, no instruction', () => {
    const input = toConverseStreamInput({ ...target, structuredOutputs: true }, providerRequest({
      responseFormat: { type: 'json_schema', name: 'verdict', schema, strict: true },
    }));
    expect(input.outputConfig).toEqual({
      textFormat: { type: 'json_schema', structure: { jsonSchema: { name: 'verdict', schema: JSON.stringify(schema) } } },
    });
    expect(input.system).toEqual([{ text: 'You are terse.' }]);
  });

  test('text response format changes nothing', () => {
    expect(toConverseInput(target, providerRequest({ responseFormat: { type: 'text' } })))
      .toEqual(toConverseInput(target, providerRequest()));
  });
});

describe('sanitiseRequestMetadata', () => {
  test('keeps allowed characters as they are', () => {
    const ok = { tenant: 'acme-corp_1', 'prompt version': 'summary@3', path: 'a/b:c=d+e$f.g' };
    expect(sanitiseRequestMetadata(ok)).toEqual(ok);
  });

  test('replaces disallowed characters, cuts to 256, drops empty keys', () => {
    const out = sanitiseRequestMetadata({ 'ten#ant': 'ac"me<1>', long: 'x'.repeat(300), '': 'v', '###': 'w' });
    expect(out['ten_ant']).toBe('ac_me_1_');
    expect(out.long).toHaveLength(256);
    expect(out['']).toBeUndefined();
    expect(out['___']).toBe('w');
  });

  test('every sanitised key and value matches Bedrock\'s pattern', () => {
    const out = sanitiseRequestMetadata({ 'ключ': 'значение', emoji: '🙂 ok', tab: 'a\tb' });
    for (const [k, v] of Object.entries(out)) {
      expect(k).toMatch(/^[a-zA-Z0-9\s._:/=+$@-]{1,256}$/);
      expect(v).toMatch(/^[a-zA-Z0-9\s._:/=+$@-]{0,256}$/);
    }
  });
});

describe('fromConverseOutput', () => {
  const output = (over: Partial<Parameters<typeof fromConverseOutput>[2]> = {}): Parameters<typeof fromConverseOutput>[2] => ({
    output: { message: { role: 'assistant', content: [{ text: 'Hello ' }, { text: 'world' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 10, outputTokens: 2, totalTokens: 12 },
    ...over,
  });

  test('joins the text blocks; usage without cache fields has zero cache tokens', () => {
    expect(fromConverseOutput(target, providerRequest(), output())).toEqual({
      text: 'Hello world',
      finishReason: 'stop',
      usage: { inputTokens: 10, outputTokens: 2, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
      servedModel: PROFILE_ARN,
      guardrailAction: undefined,
    });
  });

  test('cache read and write tokens are reported', () => {
    const completion = fromConverseOutput(target, providerRequest(), output({
      usage: { inputTokens: 2000, outputTokens: 5, totalTokens: 2005, cacheReadInputTokens: 1800, cacheWriteInputTokens: 100 },
    }));
    expect(completion.usage).toEqual({ inputTokens: 2000, outputTokens: 5, cacheReadInputTokens: 1800, cacheWriteInputTokens: 100 });
  });

  test('the prompt router\'s invoked model is the served model', () => {
    const completion = fromConverseOutput(target, providerRequest(), output({ trace: { promptRouter: { invokedModelId: 'arn:aws:bedrock:us-east-1::foundation-model/x' } } }));
    expect(completion.servedModel).toBe('arn:aws:bedrock:us-east-1::foundation-model/x');
  });

  test('no output message → fallback malformedResponse', () => {
    expect(() => fromConverseOutput(target, providerRequest(), output({ output: undefined }))).toThrow(/without an output message/);
  });
});

describe('finishReasonOf / guardrailActionOf', () => {
  test.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['tool_use', 'stop'],
    [undefined, 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
  ])('%s → %s', (stopReason, finish) => {
    expect(finishReasonOf(stopReason)).toBe(finish);
  });

  test.each(['malformed_model_output', 'malformed_tool_use'])('%s → fallback malformedModelOutput', (stopReason) => {
    expect(() => finishReasonOf(stopReason)).toThrow(expect.objectContaining({ disposition: 'fallback', code: 'malformedModelOutput' }));
  });

  test('guardrail action: INTERVENED on guardrail_intervened (even an account-enforced guardrail), NONE with a guardrail, else undefined', () => {
    const guarded: BedrockTarget = { ...target, guardrail: { identifier: 'g', version: '1' } };
    expect(guardrailActionOf(guarded, 'guardrail_intervened')).toBe('INTERVENED');
    expect(guardrailActionOf(target, 'guardrail_intervened')).toBe('INTERVENED');
    expect(guardrailActionOf(guarded, 'end_turn')).toBe('NONE');
    expect(guardrailActionOf(target, 'end_turn')).toBeUndefined();
  });
});
