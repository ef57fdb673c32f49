import { ServiceUnavailableError } from '../../../lambda/router/errors';
import { applyInputGuardrail } from '../../../lambda/router/pipeline/input-guardrail';
import { applyOutputGuardrail } from '../../../lambda/router/pipeline/output-guardrail';
import { ChosenGuardrail } from '../../../lambda/router/pipeline/types';
import { CallOptions, Completion, ProviderRequest } from '../../../lambda/router/providers/types';
import { FakeGuardrails, Upstream } from '../../helpers/router-fakes';

const guardrail: ChosenGuardrail = { id: 'pii', identifier: 'gr1abc', version: '2' };
const options: CallOptions = { signal: new AbortController().signal, connectTimeoutMs: 100, timeoutMs: 1000 };
const request: ProviderRequest = {
  requestId: 'r', system: ['sys'], metadata: {}, maxTokens: 100,
  messages: [{ role: 'user', content: 'first' }, { role: 'assistant', content: 'reply' }, { role: 'user', content: 'card 4111 1111 1111 1111' }],
};
const completion: Completion = { text: 'answer', finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 }, servedModel: 'm' };

describe('applyInputGuardrail', () => {
  test('checks the latest user turn only; NONE passes the request unchanged', async () => {
    const g = new FakeGuardrails();
    expect(await applyInputGuardrail(g, guardrail, request, options)).toEqual({ kind: 'pass', request, intervened: false });
    expect(g.calls).toEqual([{ source: 'INPUT', text: 'card 4111 1111 1111 1111', identifier: 'gr1abc' }]);
  });

  test('masked: the latest turn is replaced, earlier turns stay', async () => {
    const g = new FakeGuardrails();
    g.verdicts.push({ action: 'INTERVENED', blocked: false, text: 'card {CARD}' });
    const result = await applyInputGuardrail(g, guardrail, request, options);
    expect(result).toEqual({ kind: 'pass', intervened: true, request: { ...request, messages: [request.messages[0], request.messages[1], { role: 'user', content: 'card {CARD}' }] } });
  });

  test('tool results of the latest turn are checked with it; masking them blocks (fail closed)', async () => {
    const g = new FakeGuardrails();
    g.verdicts.push({ action: 'NONE', blocked: false }, { action: 'INTERVENED', blocked: false, text: '{EMAIL} thanks' });
    const withResults: ProviderRequest = {
      ...request,
      messages: [request.messages[0], { role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }] },
        { role: 'user', content: 'thanks', toolResults: [{ toolCallId: 'c', content: 'a@b.c' }] }],
    };
    expect(await applyInputGuardrail(g, guardrail, withResults, options)).toMatchObject({ kind: 'pass', intervened: false });
    expect(g.calls[0].text).toBe('a@b.c\n\nthanks');
    expect(await applyInputGuardrail(g, guardrail, withResults, options)).toEqual({ kind: 'blocked', text: 'This request was blocked by a guardrail.' });
  });

  test('blocked: the guardrail message, or a default one', async () => {
    const g = new FakeGuardrails();
    g.verdicts.push({ action: 'INTERVENED', blocked: true, text: 'No.' }, { action: 'INTERVENED', blocked: true });
    expect(await applyInputGuardrail(g, guardrail, request, options)).toEqual({ kind: 'blocked', text: 'No.' });
    expect(await applyInputGuardrail(g, guardrail, request, options)).toEqual({ kind: 'blocked', text: 'This request was blocked by a guardrail.' });
  });

  test('fails closed with a 503 when the guardrail cannot be applied', async () => {
    const g = new FakeGuardrails();
    g.verdicts.push(Upstream.throttling(4000));
    const e = await applyInputGuardrail(g, guardrail, request, options).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect((e as ServiceUnavailableError).headers()).toEqual({ 'retry-after': '4' });
  });
});

describe('applyOutputGuardrail', () => {
  test('NONE keeps the answer and records the action', async () => {
    expect(await applyOutputGuardrail(new FakeGuardrails(), guardrail, completion, options)).toEqual({ ...completion, guardrailAction: 'NONE' });
  });

  test('blocked replaces the answer and the finish reason; masked replaces the text only', async () => {
    const g = new FakeGuardrails();
    g.verdicts.push({ action: 'INTERVENED', blocked: true }, { action: 'INTERVENED', blocked: false, text: 'masked' });
    expect(await applyOutputGuardrail(g, guardrail, completion, options)).toMatchObject({ text: 'This answer was blocked by a guardrail.', finishReason: 'content_filter', guardrailAction: 'INTERVENED' });
    expect(await applyOutputGuardrail(g, guardrail, completion, options)).toMatchObject({ text: 'masked', finishReason: 'stop', guardrailAction: 'INTERVENED' });
    expect(g.calls.map((c) => c.source)).toEqual(['OUTPUT', 'OUTPUT']);
  });

  test('an intervention drops the token log probabilities, which would spell out the masked text', async () => {
    const g = new FakeGuardrails();
    g.verdicts.push({ action: 'INTERVENED', blocked: false, text: 'masked' }, { action: 'NONE', blocked: false });
    const logprobs = [{ token: 'a@b.c', logprob: -0.1, bytes: null, top_logprobs: [] }];
    expect(await applyOutputGuardrail(g, guardrail, { ...completion, logprobs }, options)).not.toHaveProperty('logprobs');
    expect(await applyOutputGuardrail(g, guardrail, { ...completion, logprobs }, options)).toHaveProperty('logprobs', logprobs);
  });

  test('fails closed', async () => {
    const g = new FakeGuardrails();
    g.verdicts.push(new Error('network'));
    await expect(applyOutputGuardrail(g, guardrail, completion, options)).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});
