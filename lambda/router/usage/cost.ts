/** Token cost and estimates from the configuration's price table. */
import { ResolvedPrice } from '../../shared/defaults';
import { TokenUsage } from '../providers/types';

/**
 * Characters per token assumed by worst-case estimates (max cost, budget reservations). Tokenizers
 * average about 4 characters per token for English text (the adapters' usage estimate,
 * providers/usage.ts, uses 4); 3 keeps an upper bound on the safe side for other text.
 */
export const CHARS_PER_TOKEN_ESTIMATE = 3;
/** Tokens of per-message framing added by chat templates, estimated. */
const TOKENS_PER_MESSAGE = 4;

/** An upper estimate of a request's input tokens. */
export function estimateInputTokens(chars: number, messages: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN_ESTIMATE) + TOKENS_PER_MESSAGE * messages;
}

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
  // Rounded to a billionth of a dollar so sums stay exact enough and logs stay readable.
  return Math.round(cost * 1e9) / 1e9;
}

/** The worst-case cost of a call: all input uncached, and the full output allowance used. */
export function worstCaseCostUsd(inputTokens: number, outputTokens: number, price: ResolvedPrice): number {
  return costUsd({ inputTokens, outputTokens, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 }, price);
}

export const ZERO_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };
