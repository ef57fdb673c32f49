import { bedrockSupportsToolUse, resolveCapabilities } from '../../lambda/shared/capability-defaults';
import { TargetKind } from '../../lambda/shared/config';

describe('target capabilities', () => {
  test.each([
    ['anthropic.claude-3-5-haiku-20241022-v1:0', true],
    ['us.anthropic.claude-sonnet-4-20250514-v1:0', true],
    ['global.anthropic.claude-haiku-4-5-20251001-v1:0', true],
    ['amazon.nova-lite-v1:0', true],
    ['arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-70b-instruct-v1:0', true],
    ['amazon.titan-text-express-v1', false],
    ['meta.llama3-8b-instruct-v1:0', false],
    ['anthropic.claude-v2:1', false],
  ])('Bedrock tool use by model family: %s → %s', (modelId, expected) => {
    expect(bedrockSupportsToolUse(modelId)).toBe(expected);
  });

  test('defaults: Bedrock by family (structured output through the forced tool), OpenAI-compatible tools off and guided decoding on', () => {
    expect(resolveCapabilities(TargetKind.BEDROCK, 'amazon.nova-pro-v1:0', undefined)).toEqual({ tools: true, structuredOutputs: true, nativeStructuredOutputs: false, logprobs: false });
    expect(resolveCapabilities(TargetKind.BEDROCK, 'amazon.titan-text-express-v1', undefined)).toEqual({ tools: false, structuredOutputs: false, nativeStructuredOutputs: false, logprobs: false });
    expect(resolveCapabilities(TargetKind.OPENAI_COMPATIBLE, 'qwen3-8b', undefined)).toEqual({ tools: false, structuredOutputs: true, nativeStructuredOutputs: false, logprobs: true });
  });

  test('overrides win; a Bedrock target cannot enforce a schema without tool use or native structured output', () => {
    expect(resolveCapabilities(TargetKind.OPENAI_COMPATIBLE, 'q', { tools: true, structuredOutputs: false }).tools).toBe(true);
    expect(resolveCapabilities(TargetKind.BEDROCK, 'amazon.nova-pro-v1:0', { tools: false, structuredOutputs: true }).structuredOutputs).toBe(false);
    expect(resolveCapabilities(TargetKind.OPENAI_COMPATIBLE, 'q', { logprobs: false }).logprobs).toBe(false);
    expect(resolveCapabilities(TargetKind.BEDROCK, 'x.model', { nativeStructuredOutputs: true })).toEqual({ tools: false, structuredOutputs: true, nativeStructuredOutputs: true, logprobs: false });
  });
});
