import { GatewayError } from '../../../lambda/router/errors';
import { readRoutingHints } from '../../../lambda/router/pipeline/hints';
import { parseChatRequest } from '../../../lambda/router/pipeline/parse';
import { applyPrompt, resolvePromptVersion } from '../../../lambda/router/pipeline/prompt';
import { resolveTenant } from '../../../lambda/router/pipeline/tenant';
import { ChatRequest } from '../../../lambda/router/pipeline/types';
import { resolved, thrownBy } from '../../helpers/router-config';
import { promptConfig } from '../../prompts/fixtures';

const config = resolved(promptConfig());
const tenant = (id = 'acme') => resolveTenant({ kind: 'authorizer', context: { tenantId: id } }, {}, config);

function run(body: Record<string, unknown>, options: { headers?: Record<string, string>; tenantId?: string; requestId?: string } = {}): ChatRequest {
  const headers = options.headers ?? {};
  const chat = parseChatRequest(Buffer.from(JSON.stringify({ model: 'chat', ...body })), undefined, config.limits, headers);
  const hints = readRoutingHints(headers, chat.metadata);
  return applyPrompt({ chat, hints, tenant: tenant(options.tenantId), requestId: options.requestId ?? 'req-1', config });
}

const failure = (fn: () => unknown): { status: number; code: string; param: string | null; message: string } => {
  const e = thrownBy(GatewayError, fn);
  return { status: e.status, code: e.code, param: e.param ?? null, message: e.message };
};

const support = (version: string, variables: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  ({ prompt: { id: 'support-reply', version, variables }, ...extra });

describe('applyPrompt', () => {
  test('renders the version in front of the client\'s messages and applies its inference defaults', () => {
    // Act
    const chat = run({
      ...support('1', { product: 'Acme Pay', ticket: 'Charged twice' }),
      messages: [{ role: 'system', content: 'Client system' }, { role: 'user', content: 'Please hurry' }],
    });

    // Assess
    expect(chat.system).toEqual(['You are the support agent of Acme Pay. Be brief.', 'Client system']);
    expect(chat.messages).toEqual([{ role: 'user', content: 'Ticket:\nCharged twice\n\nPlease hurry' }]);
    expect(chat.prompt).toEqual({ id: 'support-reply', version: 1 });
    expect({ maxTokens: chat.maxTokens, temperature: chat.temperature }).toEqual({ maxTokens: 256, temperature: 0.2 });
  });

  test('the request\'s own inference parameters win over the version\'s defaults', () => {
    const chat = run({ ...support('2', { product: 'P', ticket: 'T', priority: 2 }), max_tokens: 100, temperature: 1, stop: ['X'] });
    expect({ maxTokens: chat.maxTokens, temperature: chat.temperature, stop: chat.stop }).toEqual({ maxTokens: 100, temperature: 1, stop: ['X'] });
    expect(run(support('2', { product: 'P', ticket: 'T', priority: 2 })).stop).toEqual(['END']);
  });

  test('messages may be left out: the template\'s turns are the conversation; optional variables get their default', () => {
    const chat = run(support('2', { product: 'P', ticket: 'T', priority: '3' }));
    expect(chat.system).toEqual(['You are the support agent of P. Answer in friendly tone.']);
    expect(chat.messages).toEqual([
      { role: 'user', content: 'Ticket:\nT' },
      { role: 'assistant', content: 'Understood.' },
      { role: 'user', content: 'Priority 3.' },
    ]);
  });

  test('no version: the prod label; a label: its version; a number: that version', () => {
    expect(run({ prompt: { id: 'support-reply', variables: { product: 'P', ticket: 'T' } } }).prompt).toEqual({ id: 'support-reply', version: 1, label: 'prod' });
    expect(run(support('prod', { product: 'P', ticket: 'T' })).prompt).toEqual({ id: 'support-reply', version: 1, label: 'prod' });
    expect(run({ prompt: { id: 'classify', variables: { labels: 'a, b' } }, messages: [{ role: 'user', content: 'x' }] }).prompt)
      .toEqual({ id: 'classify', version: 1 });
  });

  test('header and metadata forms for clients that cannot add body fields', () => {
    const headers = { 'x-gateway-prompt': 'support-reply@1', 'x-gateway-prompt-variables': '{"product":"P","ticket":"T"}' };
    expect(run({}, { headers }).prompt).toEqual({ id: 'support-reply', version: 1 });
    const viaMetadata = run({ metadata: { prompt: 'support-reply@prod', prompt_variables: '{"product":"P","ticket":"T"}' } });
    expect(viaMetadata.prompt).toEqual({ id: 'support-reply', version: 1, label: 'prod' });
  });

  test('with a label, variables of the prompt\'s other versions are ignored; with a number they are refused', () => {
    expect(run(support('prod', { product: 'P', ticket: 'T', priority: 1 })).prompt).toEqual({ id: 'support-reply', version: 1, label: 'prod' });
    expect(failure(() => run(support('1', { product: 'P', ticket: 'T', priority: 1 })))).toMatchObject({ code: 'unknown_prompt_variable' });
  });

  test('model "auto" becomes the first route of the version the tenant may call', () => {
    expect(run({ ...support('2', { product: 'P', ticket: 'T', priority: 1 }), model: 'auto' }).model).toBe('chat');
  });

  test('a value containing {{slot}} syntax stays literal: no recursive expansion', () => {
    const chat = run(support('1', { product: '{{ticket}}', ticket: '{{product}} {{constructor}}' }));
    expect(chat.system[0]).toBe('You are the support agent of {{ticket}}. Be brief.');
    expect(chat.messages[0].content).toBe('Ticket:\n{{product}} {{constructor}}');
  });

  test.each<[string, Record<string, unknown>, { headers?: Record<string, string>; tenantId?: string }, Partial<ReturnType<typeof failure>>]>([
    ['an unknown prompt', { prompt: { id: 'ghost' } }, {}, { status: 404, code: 'prompt_not_found', param: 'prompt.id' }],
    ['a prompt the tenant may not use', support('1', { product: 'P', ticket: 'T' }), { tenantId: 'initech' },
      { status: 403, code: 'prompt_not_allowed', param: 'prompt.id', message: "This tenant may not use the prompt 'support-reply'." }],
    ['a missing version', support('9', {}), {}, { status: 404, code: 'prompt_version_not_found', message: "Prompt 'support-reply' has no version 9; versions: 1, 2." }],
    ['a missing label', support('beta', {}), {}, { status: 404, code: 'prompt_version_not_found', message: "Prompt 'support-reply' has no label 'beta'; labels: prod, canary." }],
    ['a route the version is not meant for', { ...support('1', { product: 'P', ticket: 'T' }), model: 'summary' }, {},
      { status: 400, code: 'prompt_route_mismatch', param: 'model' }],
    ['a missing required variable', support('1', { product: 'P' }), {},
      { status: 400, code: 'missing_prompt_variable', param: 'prompt.variables.ticket', message: "The prompt variable 'ticket' is required." }],
    ['an unknown variable', support('1', { product: 'P', ticket: 'T', extra: 'x' }), {},
      { status: 400, code: 'unknown_prompt_variable', param: 'prompt.variables.extra', message: "Unknown prompt variable 'extra'; this version declares product, ticket." }],
    ['a variable of another version when a label chose', support('prod', { product: 'P', ticket: 'T', nope: 1 }), {},
      { status: 400, code: 'unknown_prompt_variable', param: 'prompt.variables.nope' }],
    ['a mistyped variable', support('2', { product: 'P', ticket: 'T', priority: 'high' }), {},
      { status: 400, code: 'invalid_prompt_variable', param: 'prompt.variables.priority', message: "The prompt variable 'priority' must be a integer." }],
    ['a value not allowed', support('2', { product: 'P', ticket: 'T', priority: 1, tone: 'rude' }), {},
      { status: 400, code: 'invalid_prompt_variable', param: 'prompt.variables.tone', message: "The prompt variable 'tone' must be one of: friendly, formal." }],
    ['a value too long', support('1', { product: 'x'.repeat(101), ticket: 'T' }), {},
      { status: 400, code: 'prompt_variable_too_long', param: 'prompt.variables.product', message: "The prompt variable 'product' is 101 characters; at most 100 are allowed." }],
    ['an object value', support('1', { product: { a: 1 }, ticket: 'T' }), {}, { status: 400, code: 'invalid_prompt_variable', param: 'prompt.variables.product' }],
    ['a header variable', {}, { headers: { 'x-gateway-prompt': 'support-reply@1', 'x-gateway-prompt-variables': '{"product":"P"}' } },
      { status: 400, code: 'missing_prompt_variable', param: 'x-gateway-prompt-variables.ticket' }],
    ['both body and header naming a prompt', support('1', { product: 'P', ticket: 'T' }), { headers: { 'x-gateway-prompt': 'classify' } },
      { status: 400, code: 'conflicting_hints', param: 'prompt' }],
    ['a conversation ending with the assistant', { ...support('1', { product: 'P', ticket: 'T' }), messages: [{ role: 'assistant', content: 'ok' }] }, {},
      { status: 400, code: 'invalid_conversation', param: 'messages' }],
    ['variables without a prompt', { messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-gateway-prompt-variables': '{}' } },
      { status: 400, code: 'missing_prompt', param: 'prompt' }],
  ])('%s is refused with a clear code', (_name, body, options, expected) => {
    expect(failure(() => run(body, options))).toMatchObject(expected);
  });

  test('a request without a prompt is returned unchanged', () => {
    const chat = parseChatRequest(Buffer.from('{"model":"chat","messages":[{"role":"user","content":"hi"}]}'), undefined, config.limits);
    expect(applyPrompt({ chat, hints: {}, tenant: tenant(), requestId: 'r', config })).toBe(chat);
  });

  test('without a prompt, messages stay required', () => {
    expect(failure(() => parseChatRequest(Buffer.from('{"model":"chat"}'), undefined, config.limits))).toMatchObject({ code: 'missing_required_parameter' });
  });
});

describe('resolvePromptVersion: sticky canary split', () => {
  const prompt = config.prompts.get('support-reply')!;

  test('the same user always gets the same version', () => {
    const first = resolvePromptVersion(prompt, 'canary', 'user-42').version;
    for (let i = 0; i < 20; i += 1) expect(resolvePromptVersion(prompt, 'canary', 'user-42').version).toBe(first);
  });

  test('10,000 users split 90/10 within ±2 %', () => {
    // Act
    let canary = 0;
    for (let i = 0; i < 10_000; i += 1) {
      if (resolvePromptVersion(prompt, 'canary', `user-${i}`).version === 2) canary += 1;
    }

    // Assess
    expect(canary / 10_000).toBeGreaterThanOrEqual(0.08);
    expect(canary / 10_000).toBeLessThanOrEqual(0.12);
  });

  test('a request without a user is split per request id', () => {
    const byRequest = new Set<number>();
    for (let i = 0; i < 200; i += 1) byRequest.add(run(support('canary', { product: 'P', ticket: 'T', priority: 1 }), { requestId: `req-${i}` }).prompt!.version);
    expect([...byRequest].sort()).toEqual([1, 2]);
  });

  test('a request with a user sticks to the user\'s version whatever its request id', () => {
    const versions = new Set<number>();
    for (let i = 0; i < 50; i += 1) {
      versions.add(run({ ...support('canary', { product: 'P', ticket: 'T', priority: 1 }), user: 'alice' }, { requestId: `req-${i}` }).prompt!.version);
    }
    expect(versions.size).toBe(1);
  });
});
