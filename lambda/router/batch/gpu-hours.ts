/**
 * GPU-hour pricing of a self-hosted batch Job (pure): the Job's run time (start to end) × the GPUs
 * it requested × the price of a GPU hour is what the Job cost; its lines share that cost by
 * tokens, as one price per token (input, output and cached alike) that the gateway's usage record
 * applies to each line's tokens. Lines without an answer spent no tokens and pay nothing.
 */
import type { ResolvedPrice } from '../../shared/defaults';

const MS_PER_HOUR = 3_600_000;

/**
 * The USD a Job cost: hours from `startedAt` to `endedAt` (epoch ms) × `gpus` × `gpuHourUsd`.
 *
 * @example jobCostUsd(0, 1_800_000, 1, 0.8048) // half an hour of one L4 GPU: 0.4024
 */
export function jobCostUsd(startedAt: number, endedAt: number, gpus: number, gpuHourUsd: number): number {
  return Math.max(0, endedAt - startedAt) / MS_PER_HOUR * gpus * gpuHourUsd;
}

/**
 * The price per token that shares `costUsd` over `tokens`, as a price table row; a Job that
 * answered no token prices nothing (its cost stays with the operator).
 *
 * @example gpuHourLinePrice(0.4024, 4000).inputUsdPer1K // 0.1006
 */
export function gpuHourLinePrice(costUsd: number, tokens: number): ResolvedPrice {
  const per1K = tokens > 0 ? costUsd / tokens * 1000 : 0;
  return { inputUsdPer1K: per1K, outputUsdPer1K: per1K, cacheReadUsdPer1K: per1K, cacheWriteUsdPer1K: per1K };
}
