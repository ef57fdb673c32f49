/** ApplyGuardrail with the real SDK client against the loopback Bedrock Runtime. */
import { BedrockAdapter } from '../../../../lambda/router/providers/bedrock/adapter';
import { BedrockGuardrailClient, toGuardrailCheck } from '../../../../lambda/router/providers/bedrock/apply-guardrail';
import { BedrockBehaviours as B, startFakeBedrockRuntime, type FakeBedrockRuntime } from '../../../helpers/fake-bedrock-runtime';
import { callOptions, FAKE_CREDENTIALS, PROFILE_ARN, providerRequest, REGION, timed, upstreamErrorOf } from '../helpers';

let fake: FakeBedrockRuntime;
let guardrails: BedrockGuardrailClient;
const ref = () => ({ identifier: 'arn:aws:bedrock:us-east-1:111122223333:guardrail/gr-abc123', version: '4', endpoint: fake.endpoint });

beforeAll(async () => {
  fake = await startFakeBedrockRuntime();
  guardrails = new BedrockGuardrailClient({ credentials: FAKE_CREDENTIALS, defaultRegion: REGION });
});
afterEach(() => fake.reset());
afterAll(async () => {
  guardrails.pool.destroy();
  await fake.close();
});

test('sends ApplyGuardrail to /guardrail/{id}/version/{v}/apply with the source and the text', async () => {
  await guardrails.apply(ref(), 'OUTPUT', 'The answer text.', callOptions());
  const req = fake.lastRequest();
  expect(req.operation).toBe('applyGuardrail');
  expect(req.path).toBe(`/guardrail/${encodeURIComponent(ref().identifier)}/version/4/apply`);
  expect(req.guardrailIdentifier).toBe(ref().identifier);
  expect(req.body).toEqual({ source: 'OUTPUT', content: [{ text: { text: 'The answer text.' } }] });
});

test('NONE: no text, not blocked, usage units', async () => {
  fake.enqueue(B.guardrail('NONE', { usage: { contentPolicyUnits: 2, topicPolicyUnits: 1 } }));
  const check = await guardrails.apply(ref(), 'INPUT', 'hello', callOptions());
  expect(check).toEqual({ action: 'NONE', blocked: false, usage: { contentPolicyUnits: 2, topicPolicyUnits: 1 } });
});

test('INTERVENED with a BLOCKED policy: the blocked message, blocked true', async () => {
  fake.enqueue(B.guardrail('GUARDRAIL_INTERVENED', { outputs: ['Sorry, the model cannot answer this question.'] }));
  const check = await guardrails.apply(ref(), 'INPUT', 'how do I ...', callOptions());
  expect(check).toMatchObject({
    action: 'INTERVENED',
    text: 'Sorry, the model cannot answer this question.',
    blocked: true,
    actionReason: 'Guardrail blocked.',
  });
});

test('INTERVENED only to mask PII: the masked text, blocked false', async () => {
  fake.enqueue(B.guardrail('GUARDRAIL_INTERVENED', {
    outputs: ['Call me at {PHONE}.'],
    assessments: [{ sensitiveInformationPolicy: { piiEntities: [{ match: '555-0100', type: 'PHONE', action: 'ANONYMIZED', detected: true }] } }],
  }));
  const check = await guardrails.apply(ref(), 'OUTPUT', 'Call me at 555-0100.', callOptions());
  expect(check).toMatchObject({ action: 'INTERVENED', text: 'Call me at {PHONE}.', blocked: false, maskedEntities: 1 });
});

test('maskedEntities counts every ANONYMIZED match, PII entities and regexes; none on NONE', () => {
  const check = toGuardrailCheck({
    action: 'GUARDRAIL_INTERVENED',
    usage: undefined,
    outputs: [{ text: '{EMAIL} and {EMAIL}, account {ACCOUNT}' }],
    assessments: [{
      sensitiveInformationPolicy: {
        piiEntities: [
          { match: 'a@example.com', type: 'EMAIL', action: 'ANONYMIZED', detected: true },
          { match: 'b@example.com', type: 'EMAIL', action: 'ANONYMIZED', detected: true },
        ],
        regexes: [{ name: 'account', match: 'ACC-1', regex: 'ACC-\\d+', action: 'ANONYMIZED', detected: true }],
      },
    }],
  });
  expect(check.maskedEntities).toBe(3);
  expect(toGuardrailCheck({ action: 'NONE', outputs: [], assessments: [], usage: undefined }).maskedEntities).toBeUndefined();
});

test('errors are classified like model calls; a hang ends at the deadline', async () => {
  fake.enqueue(B.error('ThrottlingException'));
  expect(await upstreamErrorOf(guardrails.apply(ref(), 'INPUT', 'x', callOptions()))).toMatchObject({ disposition: 'retryable', code: 'throttling' });
  fake.enqueue(B.error('ResourceNotFoundException'));
  expect(await upstreamErrorOf(guardrails.apply(ref(), 'INPUT', 'x', callOptions()))).toMatchObject({ disposition: 'client', code: 'resourceNotFound' });
  fake.enqueue(B.hang());
  const { value, ms } = await timed(() => upstreamErrorOf(guardrails.apply(ref(), 'INPUT', 'x', callOptions({ timeoutMs: 250 }))));
  expect(value).toMatchObject({ disposition: 'retryable', code: 'timeout', message: expect.stringMatching(/within 250 ms/) });
  expect(ms).toBeGreaterThanOrEqual(200);
});

test('sharing the Bedrock adapter\'s pool: model calls and guardrail checks share one connection', async () => {
  const bedrock = new BedrockAdapter({ credentials: FAKE_CREDENTIALS, defaultRegion: REGION });
  const shared = new BedrockGuardrailClient({ pool: bedrock.pool });
  fake.reset();
  try {
    for (let i = 0; i < 10; i++) {
      await shared.apply(ref(), 'INPUT', 'q', callOptions());
      await bedrock.complete({ kind: 'bedrock', id: 'a', modelId: PROFILE_ARN, endpoint: fake.endpoint }, providerRequest(), callOptions());
    }
    expect(fake.requests).toHaveLength(20);
    expect(fake.connectionCount).toBe(1);
  } finally {
    bedrock.pool.destroy();
  }
});

test('toGuardrailCheck: an unknown action is a malformed answer', () => {
  expect(() => toGuardrailCheck({ action: undefined, outputs: [], assessments: [], usage: undefined }))
    .toThrow(expect.objectContaining({ disposition: 'fallback', code: 'malformedResponse' }));
});
