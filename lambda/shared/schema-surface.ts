/**
 * Schema nodes and cross-checks of the request-surface settings (config-capabilities.ts,
 * config-surface.ts): target capabilities, a route's service tier, prompt caching and image fetch,
 * price factors per service tier. ./schema.ts and ./cross-checks.ts include them.
 */
import { GatewayConfig, TargetKind } from './config';
import { ServiceTier } from './config-surface';
import { priceKeyOf } from './defaults';
import { SchemaNode, StringNode } from './schema-dsl';

const SERVICE_TIERS = Object.values(ServiceTier);
/** Host names as they appear in a URL: lower-case labels of letters, digits and '-', dot-separated. */
export const HOST_PATTERN = '^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$';

const serviceTier = (description: string): StringNode => ({ type: 'string', enum: SERVICE_TIERS, description });

/** The capability flags of this surface (images, prompt caching, service tiers), merged into `TargetConfig.capabilities`. */
export const CAPABILITY_SURFACE_PROPERTIES: { readonly [name: string]: SchemaNode } = {
  images: { type: 'boolean', default: false, description: 'The model accepts images (image_url parts, Converse image blocks).' },
  promptCaching: { type: 'boolean', default: false, description: 'The model supports Bedrock prompt caching (cachePoint blocks).' },
  serviceTiers: {
    type: 'array', items: serviceTier('A service tier.'), uniqueItems: true, minItems: 1,
    description: 'The service tiers the model can be called with besides default; each needs a price factor (tierMultipliers).',
  },
};

export const ROUTE_SURFACE_PROPERTIES: { readonly [name: string]: SchemaNode } = {
  serviceTier: { ...serviceTier('The service tier of calls that ask for none, on targets that offer it.'), default: ServiceTier.DEFAULT },
  promptCaching: {
    type: 'object',
    description: 'Bedrock prompt-cache points on targets with the promptCaching capability.',
    properties: {
      afterSystem: { type: 'boolean', default: true, description: 'A cache point after the system prompt.' },
      afterTools: { type: 'boolean', default: true, description: 'A cache point after the tool definitions.' },
      afterMessages: { type: 'integer', minimum: 1, maximum: 10_000, description: 'A cache point after the first N turns of the conversation.' },
      afterPromptPrefix: { type: 'boolean', default: true, description: 'A cache point after a registry prompt version\'s stable prefix (its system template before the first variable).' },
    },
  },
  imageFetch: {
    type: 'object',
    description: 'Hosts whose https image URLs the gateway may fetch for this route (default: only base64 data URLs).',
    required: ['allowedHosts'],
    properties: {
      allowedHosts: {
        type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, description: 'Exact host names.',
        items: { type: 'string', pattern: HOST_PATTERN, patternHint: 'a lower-case host name such as images.example.com (no scheme, port or wildcard)' },
      },
      timeoutMs: { type: 'integer', minimum: 100, maximum: 30_000, default: 5000, description: 'The longest a fetch may take.' },
    },
  },
};

export const TIER_MULTIPLIERS_NODE: SchemaNode = {
  type: 'map',
  description: 'Service tier (flex, priority, latency_optimized) to the factor applied to every token price.',
  keyPattern: `^(${SERVICE_TIERS.filter((t) => t !== ServiceTier.DEFAULT).join('|')})$`,
  keyHint: `a service tier other than default (${SERVICE_TIERS.filter((t) => t !== ServiceTier.DEFAULT).join(', ')})`,
  values: { type: 'number', minimum: 0.01, maximum: 100, description: 'The price factor.' },
};

export const LIMITS_SURFACE_PROPERTIES: { readonly [name: string]: SchemaNode } = {
  maxImageBytes: { type: 'integer', minimum: 1, maximum: 33_554_432, default: 3_932_160, description: 'Largest image in bytes, after decoding.' },
  maxImagesPerRequest: { type: 'integer', minimum: 0, maximum: 1000, default: 20, description: 'Most images in a request.' },
  maxImageBytesPerRequest: { type: 'integer', minimum: 1, maximum: 268_435_456, default: 15_728_640, description: 'Most image bytes in a request, after decoding.' },
};

/**
 * A target's tiers must be priced; tiers and prompt caching are Bedrock's (an OpenAI-compatible
 * target may offer flex and priority, which OpenAI's own API has, but not latency_optimized).
 */
export function crossCheckSurface(config: GatewayConfig, issues: string[]): void {
  config.targets.forEach((t, i) => {
    const price = config.prices[priceKeyOf(t)];
    (t.capabilities?.serviceTiers ?? []).forEach((tier, j) => {
      if (tier === ServiceTier.DEFAULT) return;
      if (t.kind === TargetKind.OPENAI_COMPATIBLE && tier === ServiceTier.LATENCY_OPTIMIZED) {
        issues.push(`targets[${i}].capabilities.serviceTiers[${j}]: latency_optimized is a Bedrock tier; target '${t.id}' is OpenAI-compatible`);
      }
      if (price !== undefined && price.tierMultipliers?.[tier] === undefined) {
        issues.push(`targets[${i}].capabilities.serviceTiers[${j}]: tier '${tier}' of target '${t.id}' has no price; `
          + `set prices['${priceKeyOf(t)}'].tierMultipliers.${tier}`);
      }
    });
    if (t.capabilities?.logprobs === true && t.kind === TargetKind.BEDROCK) {
      issues.push(`targets[${i}].capabilities.logprobs: Bedrock Converse returns no token log probabilities; target '${t.id}' is a Bedrock target`);
    }
    if (t.capabilities?.promptCaching === true && t.kind !== TargetKind.BEDROCK) {
      issues.push(`targets[${i}].capabilities.promptCaching: cache points are a Bedrock feature; OpenAI-compatible servers cache prefixes on their own`);
    }
  });
}
