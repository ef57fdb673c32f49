/** The mappings of images, cache points, service tiers, seed and penalties, on both providers (pure). */
import { cachePointAfterTools, toConverseInput } from '../../../lambda/router/providers/bedrock/mapping';
import { toChatCompletionsBody } from '../../../lambda/router/providers/openai/mapping';
import { inputTokenBound, requestTokenBound } from '../../../lambda/router/providers/token-bound';
import type { BedrockTarget, ChatTurn, OpenAiTarget } from '../../../lambda/router/providers/types';
import { estimateInputTokens } from '../../../lambda/router/providers/usage';
import { PROMPT_PREFIX_MIN_CHARS } from '../../../lambda/shared/capability-defaults';
import { ServiceTier } from '../../../lambda/shared/config-surface';
import { pngBytes } from '../../helpers/images';
import { PROFILE_ARN, providerRequest } from './helpers';

const bedrock: BedrockTarget = { kind: 'bedrock', id: 'b', modelId: PROFILE_ARN };
const openai: OpenAiTarget = { kind: 'openai', id: 'o', baseUrl: 'http://127.0.0.1:9/v1', model: 'qwen2.5-vl' };
const PNG = pngBytes(750, 100); // 100 tokens by the estimate
const withImage: ChatTurn = {
  role: 'user', content: 'Describe', parts: [{ type: 'text', text: 'Describe' }, { type: 'text', text: '  ' }, { type: 'image', format: 'png', bytes: PNG, width: 750, height: 100 }],
};
const conversation: ChatTurn[] = [{ role: 'user', content: 'doc' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'q' }];

describe('images', () => {
  test('Bedrock: one block per part, image bytes as sent, blank texts dropped', () => {
    expect(toConverseInput(bedrock, providerRequest({ messages: [withImage] })).messages).toEqual([{
      role: 'user', content: [{ text: 'Describe' }, { image: { format: 'png', source: { bytes: PNG } } }],
    }]);
  });

  test('OpenAI-compatible: parts, the image as a base64 data URL', () => {
    const body = toChatCompletionsBody(openai, providerRequest({ system: [], messages: [withImage] }), false);
    expect(body.messages).toEqual([{
      role: 'user',
      content: [{ type: 'text', text: 'Describe' }, { type: 'text', text: '  ' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } }],
    }]);
  });

  test('an image-only turn is not blank: it is sent', () => {
    const turn: ChatTurn = { role: 'user', content: '', parts: [{ type: 'image', format: 'png', bytes: PNG, width: 750, height: 100 }] };
    expect(toConverseInput(bedrock, providerRequest({ messages: [turn] })).messages).toHaveLength(1);
  });

  test('images count in the input-token bound and in the usage estimate', () => {
    const text = providerRequest({ system: [], messages: [{ role: 'user', content: 'Describe' }] });
    const image = providerRequest({ system: [], messages: [withImage] });
    expect(requestTokenBound(image) - requestTokenBound(text)).toBe(100 + 8);
    expect(inputTokenBound(image, []) - inputTokenBound(text, [])).toBe(108);
    expect(estimateInputTokens(image) - estimateInputTokens(text)).toBe(100);
  });

  test('a URL that reached an adapter unfetched is refused, never sent', () => {
    const remote: ChatTurn = { role: 'user', content: 'x', parts: [{ type: 'remote_image', url: 'https://x/y.png', param: 'p' }] };
    expect(() => toConverseInput(bedrock, providerRequest({ messages: [remote] }))).toThrow('unfetched');
    expect(() => toChatCompletionsBody(openai, providerRequest({ messages: [remote] }), false)).toThrow('unfetched');
  });
});

describe('cache points (Bedrock)', () => {
  test('after the system prompt', () => {
    const input = toConverseInput(bedrock, providerRequest({ cache: { afterSystem: true, afterTools: false } }));
    expect(input.system).toEqual([{ text: 'You are terse.' }, { cachePoint: { type: 'default' } }]);
  });

  test('after the first N turns, only when the conversation goes on past them', () => {
    const after = (n: number) => toConverseInput(bedrock, providerRequest({ messages: conversation, cache: { afterSystem: false, afterTools: false, afterTurns: n } })).messages;
    expect(after(1)![0].content).toEqual([{ text: 'doc' }, { cachePoint: { type: 'default' } }]);
    expect(after(1)![1].content).toEqual([{ text: 'ok' }]);
    expect(after(3)!.flatMap((m) => m.content)).not.toContainEqual({ cachePoint: { type: 'default' } });
  });

  describe('after a registry prompt\'s stable prefix', () => {
    const PREFIX = 'Policy: refunds within 30 days. '.repeat(130); // over PROMPT_PREFIX_MIN_CHARS
    const place = (system: string[], stablePrefix: string | undefined, afterSystem = false) => toConverseInput(bedrock, providerRequest({
      system, ...(stablePrefix !== undefined ? { stablePrefix } : {}), cache: { afterSystem, afterTools: false, afterPromptPrefix: true },
    })).system;
    const POINT = { cachePoint: { type: 'default' } };

    test('the first system block split around the point: the model reads the same text', () => {
      expect(PREFIX.length).toBeGreaterThanOrEqual(PROMPT_PREFIX_MIN_CHARS);
      const system = place([`${PREFIX}Customer: Ada`, 'Client rules'], PREFIX, true);
      expect(system).toEqual([{ text: PREFIX }, POINT, { text: 'Customer: Ada' }, { text: 'Client rules' }, POINT]);
    });

    test('a wholly static system block: the point right after it, never twice in a row', () => {
      expect(place([PREFIX, 'Client rules'], PREFIX)).toEqual([{ text: PREFIX }, POINT, { text: 'Client rules' }]);
      expect(place([PREFIX], PREFIX, true)).toEqual([{ text: PREFIX }, POINT]);
    });

    test('none for a short prefix, a first block that does not start with it, or no prefix', () => {
      expect(place(['Short prefix. Customer: Ada'], 'Short prefix. ')).toEqual([{ text: 'Short prefix. Customer: Ada' }]);
      expect(place([`[masked]${PREFIX}`], PREFIX)).toEqual([{ text: `[masked]${PREFIX}` }]);
      expect(place([PREFIX], undefined)).toEqual([{ text: PREFIX }]);
    });
  });

  test('none without a placement; the tools cache point follows afterTools', () => {
    const input = toConverseInput(bedrock, providerRequest());
    expect(JSON.stringify(input)).not.toContain('cachePoint');
    expect(cachePointAfterTools(providerRequest({ cache: { afterSystem: false, afterTools: true } }))).toBe(true);
    expect(cachePointAfterTools(providerRequest())).toBe(false);
  });
});

describe('service tiers', () => {
  test.each([
    [ServiceTier.FLEX, { serviceTier: { type: 'flex' } }],
    [ServiceTier.PRIORITY, { serviceTier: { type: 'priority' } }],
    [ServiceTier.LATENCY_OPTIMIZED, { performanceConfig: { latency: 'optimized' } }],
  ])('Bedrock %s', (tier, fields) => {
    expect(toConverseInput(bedrock, providerRequest({ serviceTier: tier }))).toMatchObject(fields);
  });

  test('Bedrock default: neither field', () => {
    const input = toConverseInput(bedrock, providerRequest({ serviceTier: ServiceTier.DEFAULT }));
    expect(input.serviceTier).toBeUndefined();
    expect(input.performanceConfig).toBeUndefined();
  });

  test('OpenAI-compatible: service_tier for flex and priority only', () => {
    expect(toChatCompletionsBody(openai, providerRequest({ serviceTier: ServiceTier.PRIORITY }), false).service_tier).toBe('priority');
    expect(toChatCompletionsBody(openai, providerRequest({ serviceTier: ServiceTier.DEFAULT }), false).service_tier).toBeUndefined();
  });
});

test('seed and penalties: passed to OpenAI-compatible targets, not to Converse (no equivalent)', () => {
  const request = providerRequest({ seed: 7, presencePenalty: 0.5, frequencyPenalty: -1 });
  expect(toChatCompletionsBody(openai, request, false)).toMatchObject({ seed: 7, presence_penalty: 0.5, frequency_penalty: -1 });
  expect(JSON.stringify(toConverseInput(bedrock, request))).not.toMatch(/seed|penalty/i);
});
