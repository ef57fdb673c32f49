/**
 * The cross-checks of embedding targets and routes: a Bedrock embedding target is a model the
 * router can call, a route is all chat or all embeddings, and automatic routing (chat only) never
 * picks an embeddings route.
 */
import { bedrockEmbeddingFamily, servesEmbeddings } from './embedding-models';
import { GatewayConfig, TargetKind } from './config';
import { priceKeyOf } from './defaults';

/**
 * Appends one message per problem of the configuration's embedding targets and routes.
 *
 * @example crossCheckEmbeddings(config, issues)
 */
export function crossCheckEmbeddings(config: GatewayConfig, issues: string[]): void {
  const targets = new Map(config.targets.map((t) => [t.id, t]));
  config.targets.forEach((t, i) => {
    if (!servesEmbeddings(t) || t.kind !== TargetKind.BEDROCK) return;
    // A profile ARN is opaque: the family comes from priceModelId (required with profileArns).
    const model = priceKeyOf(t);
    if (bedrockEmbeddingFamily(model) === undefined) {
      issues.push(`targets[${i}].capabilities.embeddings: '${model}' is not a Bedrock embedding model the router can call; `
        + 'supported: amazon.titan-embed-text-v2:0, cohere.embed-english-v3, cohere.embed-multilingual-v3 (name it in modelId or priceModelId)');
    }
  });
  const embeddingRoutes = new Set<string>();
  config.routes.forEach((r, i) => {
    const kinds = r.targets.map((id) => targets.get(id)).filter((t) => t !== undefined).map((t) => servesEmbeddings(t));
    if (kinds.length > 0 && kinds.every(Boolean)) embeddingRoutes.add(r.alias);
    if (kinds.some(Boolean) && !kinds.every(Boolean)) {
      issues.push(`routes[${i}].targets: route '${r.alias}' mixes embedding targets (capabilities.embeddings) and chat targets; `
        + 'a route serves either chat completions or embeddings');
    }
  });
  (config.autoRouting ?? []).forEach((rule, i) => {
    if (embeddingRoutes.has(rule.alias)) {
      issues.push(`autoRouting[${i}].alias: '${rule.alias}' is an embeddings route; automatic routing serves chat completions only`);
    }
  });
}
