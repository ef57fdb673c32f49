/**
 * The deterministic vectors the fake upstreams answer embeddings with: each value is k/1024 for an
 * integer k, exact in float32, so a base64 (float32) answer decodes to exactly the same numbers.
 */

/** The vector of `text` with `dimensions` values in [-1, 1). */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  let seed = 0;
  for (let i = 0; i < text.length; i++) seed = (seed * 31 + text.charCodeAt(i)) % 2048;
  return Array.from({ length: dimensions }, (_, i) => ((seed + i * 7) % 2048) / 1024 - 1);
}

/** The token count the fakes report for `text`: about four characters a token, at least one. */
export function fakeEmbeddingTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
