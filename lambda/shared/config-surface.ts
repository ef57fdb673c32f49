/**
 * Configuration of the OpenAI request surface beyond text: service tiers, prompt caching and the
 * fetching of image URLs, set per route (see `RouteConfig`).
 */

/**
 * A service tier: how the provider schedules the call, and what it costs. OpenAI's
 * `service_tier` values map onto Bedrock's `serviceTier` (default, flex, priority);
 * `latency_optimized` is Bedrock's latency-optimized inference (`performanceConfig.latency`).
 */
export enum ServiceTier {
  /** The provider's standard tier. */
  DEFAULT = 'default',
  /** Cheaper, slower, may be queued (Bedrock flex). */
  FLEX = 'flex',
  /** Dearer, served first (Bedrock priority). */
  PRIORITY = 'priority',
  /** Bedrock latency-optimized inference (`performanceConfig: {latency: 'optimized'}`). */
  LATENCY_OPTIMIZED = 'latency_optimized',
}

/**
 * Where a route places Bedrock prompt-cache points (`cachePoint` blocks), on targets whose
 * capabilities include `promptCaching`. A cached prefix is billed at the cache-read price when a
 * later call repeats it (within the provider's TTL, 5 minutes by default), and its first call at
 * the cache-write price; both counts appear in usage records.
 */
export interface PromptCachingConfig {
  /**
   * A cache point after the system prompt (the route's stable instructions).
   * @default true
   */
  readonly afterSystem?: boolean;

  /**
   * A cache point after the tool definitions (`toolConfig.tools`), for requests with tools.
   * @default true
   */
  readonly afterTools?: boolean;

  /**
   * A cache point after the first N turns of the conversation (a long stable prefix such as a
   * document or a prompt template's examples; counted after consecutive messages of one role are
   * merged). Only placed when the conversation has more turns than this.
   * @default - no cache point in the conversation
   */
  readonly afterMessages?: number;

  /**
   * For a request rendered from a prompt of the registry (`prompts`), a cache point after the
   * version's stable prefix: its system template's text before the first `{{variable}}` slot (all
   * of it when it has none). Every request of that version repeats this prefix, whatever its
   * variables, so the cache serves across users; placed only when the prefix is at least 4,096
   * characters (about the 1,024 tokens Bedrock needs to cache a prefix).
   * @default true
   */
  readonly afterPromptPrefix?: boolean;
}

/**
 * Image URLs a route lets the gateway fetch. Without it, an `image_url` part must be a base64 data
 * URL. The fetch is HTTPS only, to exactly these host names (no wildcards), never to a private,
 * loopback or link-local address, follows redirects only on the same host, and stops at the size
 * limit and the timeout.
 */
export interface ImageFetchConfig {
  /** Host names images may be fetched from, exactly as in the URL (lower case), e.g. `images.example.com`. */
  readonly allowedHosts: string[];

  /**
   * The longest a fetch may take, in milliseconds.
   * @default 5000
   */
  readonly timeoutMs?: number;
}
