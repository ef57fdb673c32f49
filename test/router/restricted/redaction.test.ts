/**
 * Redaction before any target: the openai client → the local gateway → the real adapters →
 * loopback upstreams (fake Bedrock Runtime, fake vLLM), for routes with a `redactionGuardrail`.
 * The upstreams record every byte they receive; the PII must not be among them.
 */
import OpenAI from 'openai';
import { LocalServer, startLocalServer } from '../../../lambda/router/local/server';
import { luhnValid, PatternRedactor, redactPatterns } from '../../../lambda/router/local/pattern-redactor';
import { createGateway } from '../../../lambda/router/runtime';
import { GatewayConfig, TargetKind } from '../../../lambda/shared/config';
import { resolveGatewayConfig } from '../../../lambda/shared/defaults';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { BedrockBehaviours, FakeBedrockRuntime, startFakeBedrockRuntime } from '../../helpers/fake-bedrock-runtime';
import { FakeOpenAiUpstream, startFakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { ACME_KEY, FAKE_AWS_ENV, setEnv, testConfig } from '../../helpers/router-config';
import { GuardrailApplier } from '../../../lambda/router/pipeline/guardrail-types';

const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';
const IBAN = 'DE89 3704 0044 0532 0130 00';
const PROMPT = `Refund ${CARD} for ${EMAIL}, IBAN ${IBAN}.`;
const PII = [EMAIL, CARD, CARD.replace(/ /g, ''), IBAN, IBAN.replace(/ /g, '')];

function redactedConfig(bedrock: string, vllm: string): GatewayConfig {
  const base = testConfig({ bedrock, openai: vllm });
  return {
    ...base,
    targets: [...base.targets, { id: 'vllm-secure', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: vllm, model: 'qwen3-8b', restrictedAllowed: true }],
    routes: [
      ...base.routes.map((r) => (r.alias === 'secure' ? { ...r, redactionGuardrail: 'pii' } : r)),
      { alias: 'secure-selfhosted', targets: ['vllm-secure'], restrictedAllowed: true, redactionGuardrail: 'pii' },
    ],
    tenants: base.tenants.map((t) => (t.id === 'acme' ? { ...t, allowedAliases: [...t.allowedAliases, 'secure-selfhosted'] } : t)),
  };
}

describe('redaction before the upstream sees the prompt', () => {
  let bedrock: FakeBedrockRuntime;
  let vllm: FakeOpenAiUpstream;
  let restoreEnv: () => void;
  const servers: LocalServer[] = [];

  async function client(redactor?: GuardrailApplier): Promise<OpenAI> {
    const config = resolveGatewayConfig(GatewayConfigValidator.validate(redactedConfig(bedrock.endpoint, vllm.baseUrl)));
    const server = await startLocalServer({ gateway: createGateway(config, redactor ? { redactor } : {}), port: 0 });
    servers.push(server);
    return new OpenAI({ baseURL: server.baseUrl, apiKey: ACME_KEY, maxRetries: 0, timeout: 10_000 });
  }
  const upstreamBytes = (): string => [...bedrock.requests.filter((r) => r.operation !== 'applyGuardrail').map((r) => JSON.stringify(r)), ...vllm.requests.map((r) => r.rawBody)].join('\n');

  beforeAll(async () => {
    restoreEnv = setEnv(FAKE_AWS_ENV);
    bedrock = await startFakeBedrockRuntime();
    vllm = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await bedrock.close();
    await vllm.close();
    restoreEnv();
  });
  beforeEach(() => { bedrock.reset(); vllm.reset(); });

  test.each(['secure', 'secure-selfhosted'])('local mode (pattern redactor): route %s, the upstream receives the tokens, never the PII', async (model) => {
    const openai = await client(new PatternRedactor());
    const answer = await openai.chat.completions.create({
      model, messages: [{ role: 'system', content: `Customer: ${EMAIL}` }, { role: 'user', content: PROMPT }],
    }, { headers: { 'x-gateway-sensitivity': 'restricted' } });
    expect(answer.choices[0].message.content).toBeTruthy();
    const seen = upstreamBytes();
    expect(seen).toContain('{EMAIL}');
    expect(seen).toContain('{CREDIT_DEBIT_CARD_NUMBER}');
    expect(seen).toContain('{INTERNATIONAL_BANK_ACCOUNT_NUMBER}');
    for (const pii of PII) expect(seen).not.toContain(pii);
  });

  test('deployed path: every text goes through ApplyGuardrail first; the self-hosted upstream gets the anonymised text', async () => {
    const anonymised = (text: string) => BedrockBehaviours.guardrail('GUARDRAIL_INTERVENED', {
      outputs: [text], assessments: [{ sensitiveInformationPolicy: { piiEntities: [{ type: 'EMAIL', match: EMAIL, action: 'ANONYMIZED' }] } }],
    });
    bedrock.enqueue(anonymised('Customer: {EMAIL}'), anonymised('Refund {CREDIT_DEBIT_CARD_NUMBER} for {EMAIL}, IBAN {INTERNATIONAL_BANK_ACCOUNT_NUMBER}.'));
    const openai = await client();
    const raw = await openai.chat.completions.create({
      model: 'secure-selfhosted', messages: [{ role: 'system', content: `Customer: ${EMAIL}` }, { role: 'user', content: PROMPT }],
    }, { headers: { 'x-gateway-sensitivity': 'restricted' } }).withResponse();
    // One ANONYMIZED assessment per text: two masked entities, said in the answer's header.
    expect(raw.response.headers.get('x-gateway-redacted')).toBe('2');
    expect(bedrock.requests.map((r) => r.operation)).toEqual(['applyGuardrail', 'applyGuardrail']);
    expect(bedrock.requests[0].guardrailIdentifier).toBe('gr1abc');
    expect(vllm.requests).toHaveLength(1);
    for (const pii of PII) expect(vllm.requests[0].rawBody).not.toContain(pii);
    expect(vllm.requests[0].rawBody).toContain('{CREDIT_DEBIT_CARD_NUMBER}');
  });

  test('deployed path: a guardrail that cannot be reached fails closed (503), and no target is called', async () => {
    bedrock.enqueue(BedrockBehaviours.error('ServiceUnavailableException'), BedrockBehaviours.error('ServiceUnavailableException'));
    const openai = await client();
    const error = await openai.chat.completions.create({ model: 'secure-selfhosted', messages: [{ role: 'user', content: PROMPT }] },
      { headers: { 'x-gateway-sensitivity': 'restricted' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect(vllm.requests).toHaveLength(0);
  });

  test('a route without redaction passes the text unchanged (the control case)', async () => {
    const openai = await client(new PatternRedactor());
    const raw = await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: PROMPT }] }).withResponse();
    expect(vllm.requests[0].rawBody).toContain(EMAIL);
    expect(raw.response.headers.get('x-gateway-redacted')).toBeNull();
  });
});

describe('the local pattern redactor', () => {
  test.each([
    ['call +44 20 7946 0958 today', 'call {PHONE} today'],
    ['SSN 078-05-1120', 'SSN {US_SOCIAL_SECURITY_NUMBER}'],
    ['host 10.1.2.3', 'host {IP_ADDRESS}'],
    ['card 4111-1111-1111-1111', 'card {CREDIT_DEBIT_CARD_NUMBER}'],
    ['order 4111111111111112 shipped', 'order 4111111111111112 shipped'], // fails Luhn: not a card
    ['IBAN GB82WEST12345698765432', 'IBAN {INTERNATIONAL_BANK_ACCOUNT_NUMBER}'],
    ['ref GB00WEST12345698765432', 'ref GB00WEST12345698765432'], // fails mod-97: not an IBAN
    ['nothing to see', 'nothing to see'],
  ])('%s → %s', (input, expected) => {
    expect(redactPatterns(input).text).toBe(expected);
  });

  test('Luhn', () => {
    expect([luhnValid('4111111111111111'), luhnValid('4111111111111112')]).toEqual([true, false]);
  });
});
