import { ModelPrice } from '../../lambda/shared/config';
import { AiGatewayValidationError } from '../private/errors';

/** Options of {@link SelfHostedPrice.fromGpuHour}. */
export interface SelfHostedPriceOptions {
  /**
   * Input (prefill) tokens per second the deployment processes. Prefill is usually many times
   * faster than generation; measure it with your prompts.
   * @default - the output throughput (input priced like output: an upper bound)
   */
  readonly inputTokensPerSecond?: number;

  /**
   * The share of paid GPU time that serves requests, in percent (1 to 100). Idle time is paid
   * too: at 50% utilization every token costs twice as much.
   * @default 100
   */
  readonly utilizationPercent?: number;
}

function checkPositive(prop: string, value: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new AiGatewayValidationError(`${prop} must be a number greater than 0${max < Number.MAX_SAFE_INTEGER ? ` and at most ${max}` : ''}, received ${value}.`);
  }
}

const round = (usd: number): number => Number(usd.toPrecision(6));

/**
 * Prices for self-hosted routes (vLLM on GPU nodes), derived from what the GPU capacity costs per
 * hour and how many tokens it serves per second, so their requests get a cost in USD like Bedrock's.
 *
 * @example
 * // g6e.xlarge at about $1.86/h, measured 1,200 output tokens/s across concurrent requests
 * const price = SelfHostedPrice.fromGpuHour(1.86, 1200, { inputTokensPerSecond: 12000, utilizationPercent: 60 });
 */
export class SelfHostedPrice {
  /**
   * The price per 1,000 tokens of capacity that costs `hourlyUsd` per hour and generates
   * `tokensPerSecond` output tokens per second (across all concurrent requests):
   * `hourlyUsd / (tokensPerSecond × 3600 × utilization) × 1000`. Cache tokens are priced as input.
   *
   * @param hourlyUsd the capacity's cost per hour in USD (instances, plus any share of the cluster you attribute)
   * @param tokensPerSecond output tokens generated per second, measured or assumed
   * @param options input throughput and utilization
   */
  public static fromGpuHour(hourlyUsd: number, tokensPerSecond: number, options: SelfHostedPriceOptions = {}): ModelPrice {
    checkPositive('hourlyUsd', hourlyUsd);
    checkPositive('tokensPerSecond', tokensPerSecond);
    if (options.inputTokensPerSecond !== undefined) checkPositive('inputTokensPerSecond', options.inputTokensPerSecond);
    if (options.utilizationPercent !== undefined) checkPositive('utilizationPercent', options.utilizationPercent, 100);
    const utilization = (options.utilizationPercent ?? 100) / 100;
    const per1K = (tps: number): number => round((hourlyUsd / (tps * 3600 * utilization)) * 1000);
    const input = per1K(options.inputTokensPerSecond ?? tokensPerSecond);
    return { inputUsdPer1K: input, outputUsdPer1K: per1K(tokensPerSecond), cacheReadUsdPer1K: input, cacheWriteUsdPer1K: input };
  }

  private constructor() {}
}
