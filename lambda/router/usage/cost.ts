/** Token cost and estimates from the configuration's price table. */
import { ResolvedPrice } from '../../shared/defaults';
import { TokenUsage } from '../providers/types';

/**
 * The cost of `usage` at `price`, in USD: input, output, cache-read and cache-write tokens each at
 * their own price per 1,000 tokens.
 *
 * @example
 * costUsd({ inputTokens: 1000, outputTokens: 500, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 }, price)
 */
export function costUsd(usage: TokenUsage, price: ResolvedPrice): number {
  const cost = (usage.inputTokens * price.inputUsdPer1K
    + usage.outputTokens * price.outputUsdPer1K
    + usage.cacheReadInputTokens * price.cacheReadUsdPer1K
    + usage.cacheWriteInputTokens * price.cacheWriteUsdPer1K) / 1000;
  return roundUsd(cost);
}

/**
 * An amount rounded to a billionth of a dollar, the ledger's unit: sums of many requests stay exact
 * enough and log lines stay readable.
 *
 * @example roundUsd(0.1 + 0.2) // 0.3
 */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}

/**
 * The most a call of `inputTokens` (an upper bound, providers/token-bound.ts) and an output limit
 * of `outputTokens` can cost: every input token at the highest input price (uncached, cache write
 * or cache read: a provider may cache a prefix on its own), and the whole output limit used.
 * Rounded up, so a reservation is never a fraction below the bound.
 *
 * @example worstCaseCostUsd(1000, 500, price)
 */
export function worstCaseCostUsd(inputTokens: number, outputTokens: number, price: ResolvedPrice): number {
  const inputPrice = Math.max(price.inputUsdPer1K, price.cacheWriteUsdPer1K, price.cacheReadUsdPer1K);
  const cost = (inputTokens * inputPrice + outputTokens * price.outputUsdPer1K) / 1000;
  // Up to the next billionth of a dollar; the 1e-6 absorbs floating-point noise (0.09816 / 1000 is
  // 0.00009816000000000001), which would otherwise add a billionth to exact amounts.
  return Math.ceil(cost * 1e9 - 1e-6) / 1e9;
}

/**
 * The price a batch line pays: the model's batch prices (every input token, cached or not, at the
 * batch input price: batch jobs do not use the prompt cache), or the on-demand price when the
 * price table has none.
 *
 * @example batchPrice(config.prices.get('amazon.nova-lite-v1:0')!)
 */
export function batchPrice(price: ResolvedPrice): ResolvedPrice {
  if (price.batch === undefined) return price;
  const { inputUsdPer1K, outputUsdPer1K } = price.batch;
  return { inputUsdPer1K, outputUsdPer1K, cacheReadUsdPer1K: inputUsdPer1K, cacheWriteUsdPer1K: inputUsdPer1K };
}

export const ZERO_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };
