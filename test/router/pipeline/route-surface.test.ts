/** Routing by capability (images, service tiers), tier prices, cache placement; and their configuration checks. */
import { GatewayError } from '../../../lambda/router/errors';
import { parseChatRequest } from '../../../lambda/router/pipeline/parse';
import { applyTenantPolicy } from '../../../lambda/router/pipeline/policy';
import { priceAtTier, selectRoute, targetRequest } from '../../../lambda/router/pipeline/route';
import { resolveTenant } from '../../../lambda/router/pipeline/tenant';
import { CircuitBreakers } from '../../../lambda/router/reliability/circuit-breaker';
import { GatewayConfig, TargetKind } from '../../../lambda/shared/config';
import { ServiceTier } from '../../../lambda/shared/config-surface';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { dataUrl, pngBytes } from '../../helpers/images';
import { resolved, testConfig, thrownBy } from '../../helpers/router-config';
import { providerRequest } from '../providers/helpers';

function surface(): GatewayConfig {
  const base = testConfig();
  return {
    ...base,
    tenants: base.tenants.map((t) => ({ ...t, allowedAliases: [...t.allowedAliases, 'vision'] })),
    targets: [
      ...base.targets,
      {
        id: 'sonnet-vision', kind: TargetKind.BEDROCK, modelId: 'anthropic.claude-sonnet-4', region: 'us-east-1',
        capabilities: { images: true, promptCaching: true, serviceTiers: [ServiceTier.FLEX, ServiceTier.PRIORITY] },
      },
    ],
    routes: [...base.routes, {
      alias: 'vision', targets: ['vllm', 'sonnet-vision', 'bedrock-nova'], serviceTier: ServiceTier.FLEX, promptCaching: { afterMessages: 2 },
    }],
    prices: { ...base.prices, 'anthropic.claude-sonnet-4': { ...base.prices['anthropic.claude-sonnet-4'], tierMultipliers: { flex: 0.5, priority: 2 } } },
  };
}

const config = resolved(surface());

function plan(body: Record<string, unknown>) {
  const tenant = resolveTenant({ kind: 'authorizer', context: { tenantId: 'globex' } }, {}, config);
  const request = parseChatRequest(Buffer.from(JSON.stringify({ model: 'vision', ...body })), undefined, config.limits);
  const policy = applyTenantPolicy(tenant, 'vision', {}, config);
  return selectRoute({ tenant, request, hints: {}, policy, config, breakers: new CircuitBreakers(config.circuitBreaker), env: {} });
}

const text = { messages: [{ role: 'user', content: 'Hi' }] };
const image = { messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'image_url', image_url: { url: dataUrl('png', pngBytes(1500, 1000)) } }] }] };

test('a request with an image skips the targets without the images capability', () => {
  const p = plan(image);
  expect(p.candidates.map((c) => c.config.id)).toEqual(['sonnet-vision']);
  expect(p.skipped.map((s) => [s.targetId, s.reason])).toEqual([['vllm', 'missing_capability'], ['bedrock-nova', 'missing_capability']]);
});

test('the image counts in the reservation: 1500 × 1000 / 750 = 2000 tokens more than the text alone', () => {
  const withText = plan(text).candidates.find((c) => c.config.id === 'sonnet-vision')!;
  const withImage = plan(image).candidates[0];
  expect(withImage.estimatedInputTokens - withText.estimatedInputTokens).toBe(2000 + 8);
  expect(withImage.estimatedCostUsd).toBeGreaterThan(withText.estimatedCostUsd);
});

test('the route\'s tier applies where offered (at its price), the default tier elsewhere', () => {
  const p = plan(text);
  expect(p.candidates.map((c) => [c.config.id, c.serviceTier])).toEqual([['vllm', undefined], ['sonnet-vision', 'flex'], ['bedrock-nova', undefined]]);
  const sonnet = p.candidates[1];
  expect(sonnet.price.inputUsdPer1K).toBeCloseTo(0.0015, 12);
  expect(sonnet.price.cacheReadUsdPer1K).toBeCloseTo(0.00015, 12);
});

test('a requested tier skips the targets that do not offer it, and is priced', () => {
  const p = plan({ ...text, service_tier: 'priority' });
  expect(p.candidates.map((c) => [c.config.id, c.serviceTier])).toEqual([['sonnet-vision', 'priority']]);
  expect(p.candidates[0].price.outputUsdPer1K).toBeCloseTo(0.03, 12);
  expect(p.skipped.map((s) => s.reason)).toEqual(['service_tier', 'service_tier']);
});

test('service_tier default is served everywhere, at the default price', () => {
  expect(plan({ ...text, service_tier: 'default' }).candidates.map((c) => c.serviceTier)).toEqual(['default', 'default', 'default']);
  expect(priceAtTier(config.prices.get('anthropic.claude-sonnet-4')!, ServiceTier.DEFAULT)).toBe(config.prices.get('anthropic.claude-sonnet-4'));
});

test('cache points only on the Bedrock target that caches; the call carries them and the tier', () => {
  const p = plan(text);
  expect(p.candidates.map((c) => c.cache)).toEqual([undefined, { afterSystem: true, afterTools: true, afterTurns: 2, afterPromptPrefix: true }, undefined]);
  expect(targetRequest(p.candidates[1], providerRequest())).toMatchObject({ serviceTier: 'flex', cache: { afterTurns: 2 } });
  expect(targetRequest(p.candidates[0], providerRequest())).not.toHaveProperty('cache');
});

test('no target left: a 400 naming the capability and the alias', () => {
  const tenant = resolveTenant({ kind: 'authorizer', context: { tenantId: 'globex' } }, {}, config);
  const request = parseChatRequest(Buffer.from(JSON.stringify({ model: 'chat', ...image })), undefined, config.limits);
  const error = thrownBy(GatewayError, () => selectRoute({
    tenant, request, hints: {}, policy: applyTenantPolicy(tenant, 'chat', {}, config), config, breakers: new CircuitBreakers(config.circuitBreaker), env: {},
  }));
  expect({ status: error.status, code: error.code, param: error.param }).toEqual({ status: 400, code: 'images_not_supported', param: 'messages' });
  expect(error.message).toContain("The model 'chat' does not accept images");
});

describe('configuration checks', () => {
  const issues = (patch: (c: GatewayConfig) => GatewayConfig): string[] => GatewayConfigValidator.check(patch(surface()));

  test('a tier offered without its price factor', () => {
    expect(issues((c) => ({ ...c, prices: { ...c.prices, 'anthropic.claude-sonnet-4': { inputUsdPer1K: 0.003, outputUsdPer1K: 0.015, tierMultipliers: { flex: 0.5 } } } })))
      .toEqual([expect.stringContaining("tier 'priority' of target 'sonnet-vision' has no price; set prices['anthropic.claude-sonnet-4'].tierMultipliers.priority")]);
  });

  test('prompt caching and latency_optimized on an OpenAI-compatible target', () => {
    const found = issues((c) => ({
      ...c,
      targets: c.targets.map((t) => (t.id === 'vllm' ? { ...t, capabilities: { promptCaching: true, serviceTiers: [ServiceTier.LATENCY_OPTIMIZED] } } : t)),
      prices: { ...c.prices, 'qwen3-8b': { inputUsdPer1K: 0.0001, outputUsdPer1K: 0.0002, tierMultipliers: { latency_optimized: 1.2 } } },
    }));
    expect(found).toEqual([
      expect.stringContaining('latency_optimized is a Bedrock tier'),
      expect.stringContaining('targets[0].capabilities.promptCaching: cache points are a Bedrock feature'),
    ]);
  });

  test('logprobs on a Bedrock target: Converse has none', () => {
    const found = issues((c) => ({ ...c, targets: c.targets.map((t) => (t.id === 'sonnet-vision' ? { ...t, capabilities: { ...t.capabilities, logprobs: true } } : t)) }));
    expect(found).toEqual([expect.stringContaining("capabilities.logprobs: Bedrock Converse returns no token log probabilities; target 'sonnet-vision'")]);
  });

  test('shapes: an unknown tier, a host with a scheme, a tier factor key for default', () => {
    const found = issues((c) => ({
      ...c,
      routes: c.routes.map((r) => (r.alias === 'vision' ? { ...r, serviceTier: 'turbo' as ServiceTier, imageFetch: { allowedHosts: ['https://x.example.com'] } } : r)),
      prices: { ...c.prices, 'qwen3-8b': { inputUsdPer1K: 0.0001, outputUsdPer1K: 0.0002, tierMultipliers: { default: 1 } } },
    }));
    expect(found.join('\n')).toMatch(/routes\[5\]\.serviceTier/);
    expect(found.join('\n')).toMatch(/routes\[5\]\.imageFetch\.allowedHosts\[0\]/);
    expect(found.join('\n')).toMatch(/tierMultipliers/);
  });
});
