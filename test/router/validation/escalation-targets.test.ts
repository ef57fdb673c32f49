/**
 * The escalation of a validation policy is a request of its own: the official `openai` client →
 * local mode → the real OpenAI-compatible adapter → two loopback fake vLLMs, one per route, each
 * recording every byte it receives.
 *
 * - The operators' kill switch applies to the escalation as to the first route: a suspended
 *   escalation route or target is never called; the policy goes to its final action and the usage
 *   record says why (`escalationSkipped`).
 * - The escalation route's own redaction and input guardrail run before its target sees the prompt.
 */
import OpenAI from 'openai';
import { CachedControls, ControlEntry } from '../../../lambda/router/pipeline/controls';
import { MemoryControlsLoader } from '../../../lambda/router/incident/file-controls';
import { LocalServer, startLocalServer } from '../../../lambda/router/local/server';
import { PatternRedactor } from '../../../lambda/router/local/pattern-redactor';
import { GuardrailApplier, GuardrailVerdict } from '../../../lambda/router/pipeline/guardrail-types';
import { createGateway } from '../../../lambda/router/runtime';
import { UsageRecord } from '../../../lambda/router/usage/types';
import { GatewayConfig, TargetKind } from '../../../lambda/shared/config';
import { ValidationFinalAction } from '../../../lambda/shared/config-validation';
import { ControlKind } from '../../../lambda/shared/incident-controls-schema';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { InMemoryUsageSink } from '../../helpers/in-memory-usage-sink';
import { GLOBEX_KEY, resolved, testConfig } from '../../helpers/router-config';

const EMAIL = 'jane.doe@example.com';
const PLACE = 'Zanzibar';
const PROMPT = `Summarise the ticket of ${EMAIL}, who lives in ${PLACE}.`;

function config(weak: string, strong: string): GatewayConfig {
  const base = testConfig({ openai: weak });
  const aliases = ['answer', 'answer-flag', 'stronger'];
  return {
    ...base,
    tenants: base.tenants.map((t) => (t.id === 'globex' ? { ...t, allowedAliases: [...t.allowedAliases, ...aliases] } : t)),
    targets: [
      ...base.targets,
      { id: 'vllm-strong', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: strong, model: 'qwen3-32b' },
      { id: 'vllm-strong-2', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: strong, model: 'qwen3-32b-2' },
    ],
    prices: {
      ...base.prices,
      'qwen3-32b': { inputUsdPer1K: 0.001, outputUsdPer1K: 0.002 },
      'qwen3-32b-2': { inputUsdPer1K: 0.001, outputUsdPer1K: 0.002 },
    },
    guardrails: {
      ...base.guardrails,
      loose: { identifier: 'grloose', version: '1', region: 'us-east-1' },
      strict: { identifier: 'grstrict', version: '4', region: 'us-east-1' },
    },
    routes: [
      ...base.routes,
      // The first route: no redaction, a loose input guardrail.
      { alias: 'answer', targets: ['vllm'], guardrail: 'loose', validation: { requiredPatterns: ['^OK'], retries: 1, escalateTo: 'stronger', onFailure: ValidationFinalAction.REJECT } },
      { alias: 'answer-flag', targets: ['vllm'], validation: { requiredPatterns: ['^OK'], escalateTo: 'stronger', onFailure: ValidationFinalAction.FLAG } },
      // The escalation: its own redaction and its own (strict) input guardrail.
      { alias: 'stronger', targets: ['vllm-strong', 'vllm-strong-2'], redactionGuardrail: 'pii', guardrail: 'strict' },
    ],
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5 },
  };
}

/** The gateway-side guardrail: records every check; `grstrict` blocks a forbidden topic and masks the place name, `grloose` passes everything. */
class RecordingGuardrails implements GuardrailApplier {
  readonly calls: { identifier: string; source: string; text: string }[] = [];

  async apply(guardrail: { identifier: string }, source: 'INPUT' | 'OUTPUT', text: string): Promise<GuardrailVerdict> {
    this.calls.push({ identifier: guardrail.identifier, source, text });
    if (guardrail.identifier === 'grstrict' && source === 'INPUT' && text.includes('forbidden topic')) {
      return { action: 'INTERVENED', text: 'Blocked by the strict guardrail.', blocked: true };
    }
    if (guardrail.identifier === 'grstrict' && source === 'INPUT' && text.includes(PLACE)) {
      return { action: 'INTERVENED', text: text.split(PLACE).join('{ADDRESS}'), blocked: false };
    }
    return { action: 'NONE', blocked: false };
  }
}

const control = (kind: ControlKind, subject: string): ControlEntry => ({
  kind, subject, reason: 'INC-9 escalation target misbehaving', actor: 'local:operator', at: '2026-12-07T00:00:00.000Z',
});

describe('escalation as a request of its own (kill switch, redaction, guardrail)', () => {
  let weak: FakeOpenAiUpstream;
  let strong: FakeOpenAiUpstream;
  let server: LocalServer;
  const usage = new InMemoryUsageSink();
  const controls = new MemoryControlsLoader();
  const guardrails = new RecordingGuardrails();
  const client = (): OpenAI => new OpenAI({ baseURL: server.baseUrl, apiKey: GLOBEX_KEY, maxRetries: 0, timeout: 10_000 });

  const record = (): Promise<UsageRecord> => usage.awaitOnly();

  async function status(p: Promise<unknown>): Promise<number | undefined> {
    try {
      await p;
      return 200;
    } catch (e) {
      if (e instanceof OpenAI.APIError) return e.status;
      throw e;
    }
  }

  beforeAll(async () => {
    weak = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
    strong = await startFakeOpenAiUpstream({ models: ['qwen3-32b', 'qwen3-32b-2'] });
    const gateway = createGateway(resolved(config(weak.baseUrl, strong.baseUrl)), {
      usageSink: usage, guardrails, redactor: new PatternRedactor(),
      // cacheMs 0: every request reads the controls, so a test's control is in force at once.
      controls: new CachedControls(controls, { cacheMs: 0 }),
    });
    server = await startLocalServer({ gateway, port: 0 });
  });

  afterAll(async () => {
    await server.close();
    await weak.close();
    await strong.close();
  });

  beforeEach(() => {
    weak.reset();
    strong.reset();
    usage.clear();
    controls.entries.length = 0;
    guardrails.calls.length = 0;
  });

  test('control case: the escalation is served, with its own request', async () => {
    weak.enqueue(OpenAiBehaviours.success({ text: 'no' }), OpenAiBehaviours.success({ text: 'still no' }));
    strong.enqueue(OpenAiBehaviours.success({ text: 'OK: done' }));

    const raw = await client().chat.completions.create({ model: 'answer', messages: [{ role: 'user', content: PROMPT }] }).withResponse();

    expect(raw.data.choices[0].message.content).toBe('OK: done');
    expect(strong.requests).toHaveLength(1);
    expect(await record()).toMatchObject({ validationOutcome: 'escalated', escalatedTo: 'stronger', targetId: 'vllm-strong' });
  });

  test('a suspended escalation route is never called: the policy rejects, and the record says why', async () => {
    controls.entries.push(control('route', 'stronger'));
    weak.enqueue(OpenAiBehaviours.success({ text: 'no' }), OpenAiBehaviours.success({ text: 'still no' }));

    expect(await status(client().chat.completions.create({ model: 'answer', messages: [{ role: 'user', content: PROMPT }] }))).toBe(422);

    expect(strong.requests).toHaveLength(0);
    const r = await record();
    expect(r).toMatchObject({ validationOutcome: 'rejected', escalationSkipped: 'route_suspended', validationAnswers: 2, attempts: 2 });
    expect(r.escalatedTo).toBeUndefined();
    expect(r.attemptDetails.map((a) => a.targetId)).toEqual(['vllm', 'vllm']);
  });

  test('every escalation target suspended: flag policy flags the first answer, record says targets_suspended', async () => {
    controls.entries.push(control('target', 'vllm-strong'), control('target', 'vllm-strong-2'));
    weak.enqueue(OpenAiBehaviours.success({ text: 'not ok' }));

    const raw = await client().chat.completions.create({ model: 'answer-flag', messages: [{ role: 'user', content: 'hi' }] }).withResponse();

    expect(raw.data.choices[0].message.content).toBe('not ok');
    expect(raw.response.headers.get('x-gateway-validation')).toBe('flagged; validator=required_pattern; rule=requiredPatterns[0]');
    expect(strong.requests).toHaveLength(0);
    expect(await record()).toMatchObject({ validationOutcome: 'flagged', escalationSkipped: 'targets_suspended', validationAnswers: 1 });
  });

  test('one escalation target suspended: the escalation goes to the next one, never to the suspended one', async () => {
    controls.entries.push(control('target', 'vllm-strong'));
    weak.enqueue(OpenAiBehaviours.success({ text: 'no' }), OpenAiBehaviours.success({ text: 'still no' }));
    strong.enqueue(OpenAiBehaviours.success({ text: 'OK: from the second' }));

    await client().chat.completions.create({ model: 'answer', messages: [{ role: 'user', content: PROMPT }] });

    expect(strong.requests.map((r) => (r.body as { model: string }).model)).toEqual(['qwen3-32b-2']);
    expect(await record()).toMatchObject({ validationOutcome: 'escalated', targetId: 'vllm-strong-2' });
  });

  test('the escalated target receives its route\'s redacted, guardrail-checked prompt; the first route\'s target the original', async () => {
    weak.enqueue(OpenAiBehaviours.success({ text: 'no' }), OpenAiBehaviours.success({ text: 'still no' }));
    strong.enqueue(OpenAiBehaviours.success({ text: 'OK: done' }));

    const raw = await client().chat.completions.create({ model: 'answer', messages: [{ role: 'user', content: PROMPT }] }).withResponse();

    // The first route neither redacts nor masks: its target gets the prompt as sent (the control case).
    expect(weak.requests[0].rawBody).toContain(EMAIL);
    // The escalation's target: masked by its redaction ({EMAIL}) and by its own guardrail ({ADDRESS}).
    const seen = strong.requests[0].rawBody;
    expect(seen).not.toContain(EMAIL);
    expect(seen).not.toContain(PLACE);
    expect(seen).toContain('{EMAIL}');
    expect(seen).toContain('{ADDRESS}');
    // Its own shape: its own model and no repair turns of the first route.
    const body = strong.requests[0].body as { model: string; messages: { content: string }[] };
    expect(body.model).toBe('qwen3-32b');
    expect(body.messages).toHaveLength(1);
    // Each route's guardrail ran on its own prompt: the loose one once (not again for the repair), the strict one once.
    expect(guardrails.calls.filter((c) => c.source === 'INPUT').map((c) => c.identifier)).toEqual(['grloose', 'grstrict']);
    expect(guardrails.calls.find((c) => c.identifier === 'grstrict')?.text).toContain('{EMAIL}');
    // One redacted entity (the e-mail address, by the escalation's redaction), in the header and the record.
    expect(raw.response.headers.get('x-gateway-redacted')).toBe('1');
    expect(await record()).toMatchObject({ redactedEntities: 1, validationOutcome: 'escalated' });
  });

  test('the escalation\'s own guardrail blocks its prompt: its target is never called, the policy rejects, the record says guardrail_blocked', async () => {
    weak.enqueue(OpenAiBehaviours.success({ text: 'no' }), OpenAiBehaviours.success({ text: 'still no' }));

    expect(await status(client().chat.completions.create({ model: 'answer', messages: [{ role: 'user', content: 'About the forbidden topic.' }] }))).toBe(422);

    expect(strong.requests).toHaveLength(0);
    expect(await record()).toMatchObject({ validationOutcome: 'rejected', escalationSkipped: 'guardrail_blocked', validationAnswers: 2 });
  });

  test('a repair on a guardrailed self-hosted route keeps its repair turns (the guardrail\'s result does not replace them)', async () => {
    weak.enqueue(OpenAiBehaviours.success({ text: 'no' }), OpenAiBehaviours.success({ text: 'OK: repaired' }));

    await client().chat.completions.create({ model: 'answer', messages: [{ role: 'user', content: PROMPT }] });

    const repair = weak.requests[1].body as { messages: { role: string; content: string }[] };
    expect(repair.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(repair.messages[2].content).toMatch(/failed validation \(required_pattern/);
    expect(await record()).toMatchObject({ validationOutcome: 'repaired' });
  });
});
