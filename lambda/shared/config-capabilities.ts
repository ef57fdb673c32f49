/**
 * What a target's model can do beyond plain text chat. Routing (lambda/router/pipeline/route.ts)
 * skips a target that lacks a capability the request needs, so no model is sent a request it
 * would fail; when no target of the route remains, the request is refused with a 400 naming the
 * capability and the alias.
 */
import { ServiceTier } from './config-surface';

/** The optional capabilities of a target. Every flag defaults to off: a capability is declared, never assumed. */
export interface TargetCapabilities {
  /**
   * The model accepts images (OpenAI `image_url` content parts; Converse image blocks). Requests
   * with images skip targets without it.
   * @default false
   */
  readonly images?: boolean;

  /**
   * The model supports Bedrock prompt caching (Converse `cachePoint` blocks): a route's
   * `promptCaching` places cache points only on such targets. OpenAI-compatible servers (vLLM
   * `--enable-prefix-caching`) cache prefixes on their own and need no flag.
   * @default false
   */
  readonly promptCaching?: boolean;

  /**
   * The service tiers the model can be called with besides `default` (Bedrock `serviceTier`
   * flex/priority, latency-optimized inference). A request that asks for another tier skips this
   * target; each tier needs its price (`ModelPrice.tierMultipliers`).
   * @default - only the default tier
   */
  readonly serviceTiers?: ServiceTier[];
}
