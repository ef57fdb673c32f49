/** The configuration checks of embedding targets and routes (lambda/shared/cross-checks-embeddings.ts). */
import { GatewayConfig, TargetKind } from '../../lambda/shared/config';
import { GatewayConfigValidator } from '../../lambda/shared/validator';
import { testConfig } from '../helpers/router-config';

function withEmbeddings(patch: (c: GatewayConfig) => GatewayConfig): GatewayConfig {
  const base = testConfig();
  return patch({
    ...base,
    targets: [
      ...base.targets,
      { id: 'titan', kind: TargetKind.BEDROCK, modelId: 'amazon.titan-embed-text-v2:0', region: 'us-east-1', capabilities: { embeddings: true } },
    ],
    routes: [...base.routes, { alias: 'embed', targets: ['titan'] }],
    prices: { ...base.prices, 'amazon.titan-embed-text-v2:0': { inputUsdPer1K: 0.00002, outputUsdPer1K: 0 } },
  });
}

test('an embeddings route on Titan V2 is valid', () => {
  expect(() => GatewayConfigValidator.validate(withEmbeddings((c) => c))).not.toThrow();
});

test('a Bedrock embedding target must be a model the router can call', () => {
  const config = withEmbeddings((c) => ({
    ...c,
    targets: c.targets.map((t) => (t.id === 'titan' ? { ...t, modelId: 'amazon.titan-embed-text-v1' } : t)),
    prices: { ...c.prices, 'amazon.titan-embed-text-v1': { inputUsdPer1K: 0.0001, outputUsdPer1K: 0 } },
  }));
  expect(() => GatewayConfigValidator.validate(config)).toThrow(/capabilities\.embeddings: 'amazon\.titan-embed-text-v1' is not a Bedrock embedding model/);
});

test('a route may not mix embedding and chat targets', () => {
  const config = withEmbeddings((c) => ({ ...c, routes: c.routes.map((r) => (r.alias === 'embed' ? { ...r, targets: ['titan', 'vllm'] } : r)) }));
  expect(() => GatewayConfigValidator.validate(config)).toThrow(/route 'embed' mixes embedding targets/);
});

test('automatic routing never names an embeddings route', () => {
  const config = withEmbeddings((c) => ({ ...c, autoRouting: [{ alias: 'embed' }, ...(c.autoRouting ?? [])] }));
  expect(() => GatewayConfigValidator.validate(config)).toThrow(/autoRouting\[0\]\.alias: 'embed' is an embeddings route/);
});
