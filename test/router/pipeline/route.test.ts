import { GatewayError } from '../../../lambda/router/errors';
import { parseChatRequest } from '../../../lambda/router/pipeline/parse';
import { applyTenantPolicy } from '../../../lambda/router/pipeline/policy';
import { selectRoute } from '../../../lambda/router/pipeline/route';
import { resolveTenant } from '../../../lambda/router/pipeline/tenant';
import { RoutingHints } from '../../../lambda/router/pipeline/types';
import { CircuitBreakers } from '../../../lambda/router/reliability/circuit-breaker';
import { LatencyClass, Sensitivity } from '../../../lambda/shared/config';
import { ACME_PROFILE, GLOBEX_PROFILE, resolved, testConfig, thrownBy } from '../../helpers/router-config';

const config = resolved();

function plan(tenantId: string, model: string, hints: RoutingHints = {}, options: { breakers?: CircuitBreakers; maxTokens?: number; env?: Record<string, string> } = {}) {
  const tenant = resolveTenant({ kind: 'authorizer', context: { tenantId } }, {}, config);
  const request = parseChatRequest(Buffer.from(JSON.stringify({
    model, messages: [{ role: 'user', content: 'x'.repeat(300) }], ...(options.maxTokens ? { max_tokens: options.maxTokens } : {}),
  })), undefined, config.limits);
  const policy = applyTenantPolicy(tenant, model, hints, config);
  return selectRoute({
    tenant, request, hints, policy, config, breakers: options.breakers ?? new CircuitBreakers(config.circuitBreaker), env: options.env ?? {},
  });
}

const failure = (fn: () => unknown): GatewayError => thrownBy(GatewayError, fn);

describe('selectRoute', () => {
  test('an alias: its chain in order, each target resolved for the adapter', () => {
    const p = plan('globex', 'chat');
    expect(p.alias).toBe('chat');
    expect(p.candidates.map((c) => c.target)).toEqual([
      { kind: 'openai', id: 'vllm', baseUrl: 'http://127.0.0.1:9/v1', model: 'qwen3-8b' },
      { kind: 'bedrock', id: 'bedrock-nova', modelId: 'amazon.nova-lite-v1:0', region: 'us-east-1' },
    ]);
    expect(p.candidates.map((c) => c.breakerKey)).toEqual(['vllm|qwen3-8b', 'bedrock-nova|amazon.nova-lite-v1:0']);
    expect(p.guardrail).toBeUndefined();
  });

  test('tenant isolation: a per-tenant profile target calls only the caller\'s own profile', () => {
    expect(plan('acme', 'summary').candidates[0].target).toMatchObject({ modelId: ACME_PROFILE });
    expect(plan('globex', 'summary').candidates[0].target).toMatchObject({ modelId: GLOBEX_PROFILE });
    expect(plan('globex', 'summary').candidates[0].breakerKey).toBe(`bedrock-sonnet|${GLOBEX_PROFILE}`);
  });

  test('the guardrail of the route reaches the Bedrock adapter config; the OpenAI target gets none', () => {
    const p = plan('globex', 'guarded');
    expect(p.guardrail).toEqual({ id: 'pii', identifier: 'gr1abc', version: '2', region: 'us-east-1' });
    expect(p.candidates[0].target).toEqual({ kind: 'openai', id: 'vllm', baseUrl: 'http://127.0.0.1:9/v1', model: 'qwen3-8b' });
  });

  test('the tenant guardrail takes precedence over the route guardrail and is passed to Bedrock', () => {
    const base = testConfig();
    const cfg = resolved({
      ...base,
      guardrails: { ...base.guardrails, strict: { identifier: 'gr2xyz', version: 'DRAFT' } },
      tenants: base.tenants.map((t) => (t.id === 'globex' ? { ...t, guardrail: 'strict' } : t)),
    });
    const tenant = resolveTenant({ kind: 'authorizer', context: { tenantId: 'globex' } }, {}, cfg);
    const request = parseChatRequest(Buffer.from('{"model":"chat","messages":[{"role":"user","content":"hi"}]}'), undefined, cfg.limits);
    const p = selectRoute({ tenant, request, hints: {}, policy: { sensitivity: Sensitivity.INTERNAL, latencyClass: LatencyClass.STANDARD }, config: cfg, breakers: new CircuitBreakers(cfg.circuitBreaker), env: {} });
    expect(p.guardrail?.id).toBe('strict');
    expect(p.candidates[1].target).toMatchObject({ kind: 'bedrock', guardrail: { identifier: 'gr2xyz', version: 'DRAFT' } });
  });

  test('the upstream API key comes from the environment variable the target names', () => {
    const base = testConfig();
    const cfg = resolved({ ...base, targets: base.targets.map((t) => (t.id === 'vllm' ? { ...t, apiKeyEnv: 'VLLM_KEY' } : t)) });
    const tenant = resolveTenant({ kind: 'authorizer', context: { tenantId: 'globex' } }, {}, cfg);
    const request = parseChatRequest(Buffer.from('{"model":"chat","messages":[{"role":"user","content":"hi"}]}'), undefined, cfg.limits);
    const p = selectRoute({ tenant, request, hints: {}, policy: { sensitivity: Sensitivity.INTERNAL, latencyClass: LatencyClass.STANDARD }, config: cfg, breakers: new CircuitBreakers(cfg.circuitBreaker), env: { VLLM_KEY: 'upstream-secret' } });
    expect(p.candidates[0].target).toMatchObject({ apiKey: 'upstream-secret' });
  });

  describe('auto', () => {
    test('restricted data goes to the route cleared for it', () => {
      expect(plan('acme', 'auto', { sensitivity: Sensitivity.RESTRICTED }).alias).toBe('secure');
    });

    test('a workflow rule', () => {
      expect(plan('globex', 'auto', { workflow: 'summarise' }).alias).toBe('summary');
    });

    test('the catch-all rule', () => {
      expect(plan('globex', 'auto', { workflow: 'other' }).alias).toBe('chat');
    });

    test('rules whose alias the tenant may not call are skipped', () => {
      // initech may call only chat: the summarise rule does not apply to it.
      expect(plan('initech', 'auto', { workflow: 'summarise' }).alias).toBe('chat');
    });
  });

  test('a target that does not serve the latency class is skipped; none left → 400', () => {
    expect(plan('acme', 'batch-only', { latencyClass: LatencyClass.BATCH }).candidates).toHaveLength(1);
    const e = failure(() => plan('acme', 'batch-only', { latencyClass: LatencyClass.INTERACTIVE }));
    expect({ status: e.status, code: e.code, param: e.param }).toEqual({ status: 400, code: 'latency_class_not_served', param: 'latency_class' });
  });

  test('max cost: targets whose worst case exceeds it are skipped; none left → 400 with the estimate', () => {
    // 300 ASCII bytes + (2 + 8) per turn + 128 per request = at most 438 input tokens on either target.
    // Worst cases with max_tokens 100: vllm 438 × $0.0001/1K + 100 × $0.0002/1K = $0.0000638,
    // bedrock-nova 438 × $0.00006/1K + 100 × $0.00024/1K = $0.00005028.
    expect(plan('globex', 'chat', { maxCostUsd: 0.0001 }, { maxTokens: 100 }).candidates.map((c) => c.config.id)).toEqual(['vllm', 'bedrock-nova']);
    const cheap = plan('globex', 'chat', { maxCostUsd: 0.00006 }, { maxTokens: 100 });
    expect(cheap.candidates.map((c) => c.config.id)).toEqual(['bedrock-nova']);
    expect(cheap.candidates.map((c) => [c.estimatedInputTokens, c.estimatedCostUsd])).toEqual([[438, 0.00005028]]);
    expect(cheap.skipped).toEqual([{ targetId: 'vllm', reason: 'max_cost', estimatedCostUsd: 0.0000638 }]);
    // Sonnet: input at the cache-write price ($0.00375/1K > $0.003/1K), the highest input price.
    const e = failure(() => plan('globex', 'summary', { maxCostUsd: 0.001 }, { maxTokens: 1000 }));
    expect({ status: e.status, code: e.code }).toEqual({ status: 400, code: 'max_cost_exceeded' });
    expect(e.message).toMatch(/may cost up to \$0\.01664\d for this request \(at most 438 input tokens, 1000 output tokens allowed\), above the maximum cost of \$0\.001/);
  });

  test('without max_tokens the cap is the output limit the plan reserves and sends', () => {
    const p = plan('globex', 'chat');
    expect(p.estimatedOutputTokens).toBe(config.limits.maxTokensCap);
    expect(plan('globex', 'chat', {}, { maxTokens: 7 }).estimatedOutputTokens).toBe(7);
  });

  test("a target's maxOutputTokens lowers its output limit and its cost bound; other targets keep the request's", () => {
    const base = testConfig();
    const capped = resolved({ ...base, targets: base.targets.map((t) => (t.id === 'bedrock-nova' ? { ...t, maxOutputTokens: 300 } : t)) });
    const tenant = resolveTenant({ kind: 'authorizer', context: { tenantId: 'globex' } }, {}, capped);
    const request = parseChatRequest(Buffer.from(JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(300) }] })), undefined, capped.limits);
    const p = selectRoute({
      tenant, request, hints: {}, policy: applyTenantPolicy(tenant, 'chat', {}, capped), config: capped, breakers: new CircuitBreakers(capped.circuitBreaker), env: {},
    });
    expect(p.candidates.map((c) => [c.config.id, c.maxOutputTokens])).toEqual([['vllm', capped.limits.maxTokensCap], ['bedrock-nova', 300]]);
    // 438 input tokens × $0.00006/1K + 300 × $0.00024/1K
    expect(p.candidates[1].estimatedCostUsd).toBe(0.00009828);
  });

  test('open circuits are skipped; all open → 503 with the time until a probe', () => {
    let now = 1_000_000;
    const breakers = new CircuitBreakers({ failureThreshold: 1, cooldownMs: 30_000, now: () => now });
    breakers.recordFailure('vllm|qwen3-8b');
    expect(plan('globex', 'chat', {}, { breakers }).candidates.map((c) => c.config.id)).toEqual(['bedrock-nova']);
    expect(plan('globex', 'chat', {}, { breakers }).skipped).toEqual([{ targetId: 'vllm', reason: 'circuit_open', estimatedCostUsd: expect.any(Number) }]);
    breakers.recordFailure('bedrock-nova|amazon.nova-lite-v1:0');
    now += 10_000;
    const e = failure(() => plan('globex', 'chat', {}, { breakers }));
    expect({ status: e.status, code: e.code, headers: e.headers() }).toEqual({ status: 503, code: 'targets_unavailable', headers: { 'retry-after': '20' } });
  });
});
