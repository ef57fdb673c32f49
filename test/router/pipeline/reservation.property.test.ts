/**
 * Property: the reservation is a true upper bound. For any request — any Unicode text (CJK, emoji,
 * lone surrogates), system prompts, `response_format` schemas, with or without `max_tokens`, on a
 * self-hosted route, a Bedrock route, a fallback, or behind a gateway-side guardrail that masks the
 * input into longer text — every model call the gateway makes:
 * - carries an output limit no larger than the one reserved (the client's value, else the cap);
 * - costs, counted by a conservative tokenizer (one token per UTF-8 byte of every text the adapter
 *   puts on the wire, plus chat-template framing) at the highest input price and the whole output
 *   limit, no more than the amount the budget reserved.
 */
import fc from 'fast-check';
import { toConverseInput } from '../../../lambda/router/providers/bedrock/mapping';
import { toChatCompletionsBody } from '../../../lambda/router/providers/openai/mapping';
import { BedrockTarget, OpenAiTarget, ProviderRequest } from '../../../lambda/router/providers/types';
import { BudgetGuard, BudgetReservation, BudgetRequest } from '../../../lambda/router/usage/budget';
import { ResolvedPrice } from '../../../lambda/shared/defaults';
import { resolved, testConfig } from '../../helpers/router-config';
import { chatRequest, RecordedCall, send, Steps, testGateway, Upstream } from '../../helpers/router-fakes';

class RecordingBudget implements BudgetGuard {
  readonly reserved: BudgetRequest[] = [];
  async reserve(request: BudgetRequest): Promise<BudgetReservation> {
    this.reserved.push(request);
    return { requestId: request.requestId, tenantId: request.tenantId, reservedUsd: request.estimatedCostUsd };
  }
  async settle(): Promise<void> {
    // nothing to settle
  }
}

/** Chat-template framing a conservative tokenizer adds (ChatML and Llama 3 use 5 per message, about 3 per request). */
const FRAMING_PER_TEXT = 5;
const FRAMING_PER_REQUEST = 3;

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** One token per UTF-8 byte of every text on the wire, plus framing: what no tokenizer exceeds. */
function conservativeInputTokens(call: RecordedCall): number {
  const texts: string[] = [];
  if (call.target.kind === 'bedrock') {
    const input = toConverseInput(call.target as BedrockTarget, call.request);
    for (const block of input.system ?? []) texts.push(block.text ?? '');
    for (const m of input.messages ?? []) for (const block of m.content ?? []) texts.push(block.text ?? '');
    const schema = input.outputConfig?.textFormat?.structure;
    if (schema && 'jsonSchema' in schema) texts.push(String(schema.jsonSchema?.schema ?? ''));
  } else {
    const body = toChatCompletionsBody(call.target as OpenAiTarget, call.request, call.stream);
    for (const m of body.messages as { content: string }[]) texts.push(m.content);
    if (body.response_format !== undefined) texts.push(JSON.stringify(body.response_format));
  }
  return texts.reduce((sum, t) => sum + bytes(t) + FRAMING_PER_TEXT, FRAMING_PER_REQUEST);
}

function maxCost(inputTokens: number, request: ProviderRequest, price: ResolvedPrice): number {
  const inputPrice = Math.max(price.inputUsdPer1K, price.cacheReadUsdPer1K, price.cacheWriteUsdPer1K);
  return (inputTokens * inputPrice + request.maxTokens * price.outputUsdPer1K) / 1000;
}

const text = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
  fc.string({ unit: fc.constantFrom('世', '界', '𠜎', '👩‍👩‍👧‍👦', '🚀', 'é', 'a', ' ', '\n', '\ud800'), minLength: 1, maxLength: 80 }),
);
const userText = text.filter((t) => t.trim().length > 0);
const schema = fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
const responseFormat = fc.oneof(
  fc.constant(undefined),
  fc.constant({ type: 'json_object' }),
  fc.record({ type: fc.constant('json_schema'), json_schema: fc.record({ name: fc.constantFrom('report', 'a_b-1'), schema }) }),
);

const scenario = fc.record({
  model: fc.constantFrom('chat', 'summary', 'guarded'),
  system: fc.array(text, { maxLength: 3 }),
  turns: fc.array(userText, { minLength: 1, maxLength: 3 }),
  responseFormat,
  maxTokens: fc.option(fc.integer({ min: 1, max: 8192 }), { nil: undefined }),
  stream: fc.boolean(),
  firstTargetFails: fc.boolean(),
  /** A masked input: the latest turn replaced by a longer text (placeholders longer than what they mask). */
  masked: fc.option(fc.array(fc.constantFrom('{EMAIL}', '{US_SOCIAL_SECURITY_NUMBER}', '{名前}', '🔒'), { minLength: 1, maxLength: 40 }), { nil: undefined }),
});

test('every model call stays within the limit and the amount reserved for it', async () => {
  // bedrock-nova's model takes at most 2,000 output tokens: calls to it are capped lower.
  const base = testConfig();
  const config = resolved({ ...base, targets: base.targets.map((t) => (t.id === 'bedrock-nova' ? { ...t, maxOutputTokens: 2000 } : t)) });
  await fc.assert(fc.asyncProperty(scenario, async (s) => {
    const budget = new RecordingBudget();
    const t = testGateway({ config, budget });
    // Only `chat` has a fallback (vllm → bedrock-nova).
    if (s.firstTargetFails && s.model === 'chat') t.openai.enqueue(Steps.error(Upstream.modelError()));
    if (s.masked) t.guardrails.verdicts.push({ action: 'INTERVENED', blocked: false, text: s.masked.join(' ') });
    const messages = [
      ...s.system.map((content) => ({ role: 'system', content })),
      ...s.turns.flatMap((content, i) => (i === 0 ? [{ role: 'user', content }] : [{ role: 'assistant', content: 'ok' }, { role: 'user', content }])),
    ];
    const sink = await send(t.gateway, chatRequest({
      model: s.model, messages, stream: s.stream,
      ...(s.maxTokens !== undefined ? { max_tokens: s.maxTokens } : {}),
      ...(s.responseFormat !== undefined ? { response_format: s.responseFormat } : {}),
    }));

    const calls = [...t.openai.calls, ...t.bedrock.calls];
    if (budget.reserved.length === 0) {
      // A generated schema the router cannot check is refused when the request is parsed.
      expect(sink.json()).toMatchObject({ error: { code: 'unsupported_schema', param: 'response_format.json_schema.schema' } });
      expect(calls).toHaveLength(0);
      return;
    }
    expect(budget.reserved).toHaveLength(1);
    const reserved = budget.reserved[0].estimatedCostUsd;
    const limit = s.maxTokens ?? config.limits.maxTokensCap;
    // The fakes' answers are not JSON: a JSON response format ends in 422 after the call.
    if (sink.status !== 200 && sink.status !== 422) {
      // Only a masked input that leaves not one output token within the reservation is refused, before any call.
      expect(s.masked).toBeDefined();
      expect(sink.json()).toMatchObject({ error: { code: 'upstream_rejected_request' } });
      expect(calls).toHaveLength(0);
      return;
    }
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      const target = config.targets.get(call.target.id)!;
      const targetLimit = Math.min(limit, target.maxOutputTokens ?? limit);
      expect(call.request.maxTokens).toBeGreaterThanOrEqual(1);
      expect(call.request.maxTokens).toBeLessThanOrEqual(targetLimit);
      if (!s.masked) expect(call.request.maxTokens).toBe(targetLimit);
      const price = config.prices.get(target.priceModelId)!;
      expect(maxCost(conservativeInputTokens(call), call.request, price)).toBeLessThanOrEqual(reserved);
    }
  }), { numRuns: 300 });
});
