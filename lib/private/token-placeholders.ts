import { Token } from 'aws-cdk-lib';

/**
 * Placeholders that satisfy the gateway configuration's patterns, by field name, for values that
 * are CDK tokens at synth (profile ARNs, guardrail ids and versions, load balancer URLs). The
 * rest of the configuration is still validated at synth; the tokens are checked at deploy time by
 * AppConfig's JSON Schema validator and at cold start by the router.
 */
const PLACEHOLDERS: Readonly<Record<string, string>> = {
  profileArns: 'arn:aws:bedrock:us-east-1:000000000000:application-inference-profile/placeholder',
  modelId: 'placeholder.model-v1:0',
  identifier: 'placeholder0',
  version: '1',
  baseUrl: 'http://placeholder.invalid/v1',
  endpoint: 'https://placeholder.invalid',
  region: 'us-east-1',
  model: 'placeholder',
  knowledgeBaseId: 'PLACEHOLD0',
};

/**
 * A copy of `value` in which every string that is (or contains) an unresolved CDK token is
 * replaced by a placeholder valid for the field it sits in, so the configuration validator can
 * check everything that is known at synth.
 */
export function withTokenPlaceholders<T>(value: T): T {
  return replace(value, undefined) as T;
}

function replace(value: unknown, field: string | undefined): unknown {
  if (typeof value === 'string') {
    return Token.isUnresolved(value) ? (field && PLACEHOLDERS[field]) ?? 'placeholder' : value;
  }
  if (typeof value === 'number') return Token.isUnresolved(value) ? 1 : value;
  if (Array.isArray(value)) return value.map((item) => replace(item, field));
  if (value !== null && typeof value === 'object') {
    // Map values (profileArns: tenant → ARN) take the placeholder of the map's own field.
    const mapField = field === 'profileArns' ? field : undefined;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v, mapField ?? k)]));
  }
  return value;
}
