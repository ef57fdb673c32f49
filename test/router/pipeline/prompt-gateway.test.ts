import { Outcome } from '../../../lambda/router/usage/types';
import { resolved } from '../../helpers/router-config';
import { chatRequest, hello, send, Steps, testGateway } from '../../helpers/router-fakes';
import { promptConfig } from '../../prompts/fixtures';

const gateway = () => testGateway({ config: resolved(promptConfig()) });

describe('Gateway with prompts', () => {
  test('renders the resolved version, answers with x-gateway-prompt and records the resolved id and version', async () => {
    // Prepare
    const t = gateway();
    t.openai.enqueue(Steps.ok({ text: 'Refunded.', usage: { inputTokens: 40, outputTokens: 5 } }));

    // Act
    const res = await send(t.gateway, chatRequest({
      model: 'chat',
      prompt: { id: 'support-reply', version: 'prod', variables: { product: 'Acme Pay', ticket: 'Charged twice' } },
    }));

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers['x-gateway-prompt']).toBe('support-reply@1');
    const upstream = t.openai.calls[0].request;
    expect(upstream.system).toEqual(['You are the support agent of Acme Pay. Be brief.']);
    expect(upstream.messages).toEqual([{ role: 'user', content: 'Ticket:\nCharged twice' }]);
    expect(upstream.maxTokens).toBe(256);
    expect(upstream.metadata.prompt).toBe('support-reply@1');
    expect(t.usage.only()).toMatchObject({ promptId: 'support-reply', promptVersion: '1', outcome: Outcome.SUCCESS });
  });

  test('a canary label is recorded as the version it resolved to, never as the label the client sent', async () => {
    // Prepare
    const t = gateway();
    const seen = new Set<string>();

    // Act
    for (let i = 0; i < 60; i += 1) {
      const res = await send(t.gateway, chatRequest(hello('chat', { user: `user-${i}` }), {
        headers: { 'x-gateway-prompt': 'support-reply@canary', 'x-gateway-prompt-variables': '{"product":"P","ticket":"T","priority":1}' },
      }));
      seen.add(res.headers['x-gateway-prompt']);
    }

    // Assess
    expect([...seen].sort()).toEqual(['support-reply@1', 'support-reply@2']);
    expect(t.usage.records).toHaveLength(60);
    for (const r of t.usage.records) {
      expect(['1', '2']).toContain(r.promptVersion);
      expect(r.promptId).toBe('support-reply');
    }
  });

  test('the streamed answer carries the prompt header too', async () => {
    const t = gateway();
    const res = await send(t.gateway, chatRequest({ model: 'chat', stream: true, prompt: { id: 'classify', variables: { labels: 'a, b' } }, messages: [{ role: 'user', content: 'x' }] }));
    expect(res.status).toBe(200);
    expect(res.headers['x-gateway-prompt']).toBe('classify@1');
  });

  test('a claimed prompt the gateway does not know is refused and never recorded as a prompt', async () => {
    // Act
    const t = gateway();
    const res = await send(t.gateway, chatRequest(hello('chat', { metadata: { prompt: 'greet@4' } })));

    // Assess
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ error: { message: "The prompt 'greet' does not exist.", type: 'not_found_error', code: 'prompt_not_found', param: 'metadata.prompt' } });
    const record = t.usage.only();
    expect(record.promptId).toBeUndefined();
    expect(record.outcome).toBe(Outcome.REJECTED);
  });
});
