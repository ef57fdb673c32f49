import { ModelPrice } from '../../lambda/shared/config';
import { AiGatewayValidationError } from '../private/errors';

/**
 * On-demand list prices of Bedrock models the library knows, in USD per 1,000 tokens, keyed by
 * foundation model id (the id an application inference profile routes to). Cross-region profiles
 * are billed at the source Region's price.
 *
 * Provenance: Amazon Bedrock on-demand pricing page, us-east-1, as published in 2025. Prices
 * change and differ by Region and tier (batch is about half, priority more): pass your own with
 * the gateway's `prices` prop, which overrides these per model id.
 */
const ON_DEMAND: Readonly<Record<string, ModelPrice>> = {
  'anthropic.claude-sonnet-4-5-20250929-v1:0': { inputUsdPer1K: 0.003, outputUsdPer1K: 0.015, cacheReadUsdPer1K: 0.0003, cacheWriteUsdPer1K: 0.00375 },
  'anthropic.claude-sonnet-4-20250514-v1:0': { inputUsdPer1K: 0.003, outputUsdPer1K: 0.015, cacheReadUsdPer1K: 0.0003, cacheWriteUsdPer1K: 0.00375 },
  'anthropic.claude-3-7-sonnet-20250219-v1:0': { inputUsdPer1K: 0.003, outputUsdPer1K: 0.015, cacheReadUsdPer1K: 0.0003, cacheWriteUsdPer1K: 0.00375 },
  'anthropic.claude-haiku-4-5-20251001-v1:0': { inputUsdPer1K: 0.001, outputUsdPer1K: 0.005, cacheReadUsdPer1K: 0.0001, cacheWriteUsdPer1K: 0.00125 },
  'anthropic.claude-3-5-haiku-20241022-v1:0': { inputUsdPer1K: 0.0008, outputUsdPer1K: 0.004, cacheReadUsdPer1K: 0.00008, cacheWriteUsdPer1K: 0.001 },
  'anthropic.claude-opus-4-1-20250805-v1:0': { inputUsdPer1K: 0.015, outputUsdPer1K: 0.075, cacheReadUsdPer1K: 0.0015, cacheWriteUsdPer1K: 0.01875 },
  'amazon.nova-premier-v1:0': { inputUsdPer1K: 0.0025, outputUsdPer1K: 0.0125 },
  'amazon.nova-pro-v1:0': { inputUsdPer1K: 0.0008, outputUsdPer1K: 0.0032, cacheReadUsdPer1K: 0.0002 },
  'amazon.nova-lite-v1:0': { inputUsdPer1K: 0.00006, outputUsdPer1K: 0.00024, cacheReadUsdPer1K: 0.000015 },
  'amazon.nova-micro-v1:0': { inputUsdPer1K: 0.000035, outputUsdPer1K: 0.00014, cacheReadUsdPer1K: 0.00000875 },
  'meta.llama3-3-70b-instruct-v1:0': { inputUsdPer1K: 0.00072, outputUsdPer1K: 0.00072 },
  'meta.llama3-1-8b-instruct-v1:0': { inputUsdPer1K: 0.00022, outputUsdPer1K: 0.00022 },
  // Embedding models: input tokens only.
  'amazon.titan-embed-text-v2:0': { inputUsdPer1K: 0.00002, outputUsdPer1K: 0 },
  'cohere.embed-english-v3': { inputUsdPer1K: 0.0001, outputUsdPer1K: 0 },
  'cohere.embed-multilingual-v3': { inputUsdPer1K: 0.0001, outputUsdPer1K: 0 },
  'mistral.mistral-large-2407-v1:0': { inputUsdPer1K: 0.002, outputUsdPer1K: 0.006 },
};

/** Bedrock on-demand prices the library ships, for routes whose prices are not given. */
export class BedrockPrices {
  /**
   * Bedrock batch inference's discount on the on-demand price, in percent, for the models that
   * support it ("50% cost savings vs on-demand": Amazon Bedrock user guide, cost optimization).
   */
  public static readonly BATCH_DISCOUNT_PERCENT = 50;

  /**
   * `price` with batch prices (`batchInputUsdPer1K`, `batchOutputUsdPer1K`) at `discountPercent`
   * below its on-demand input and output prices, for the lines of `/v1/batches`.
   *
   * @param price an on-demand price, e.g. `BedrockPrices.of('amazon.nova-lite-v1:0')`
   * @param discountPercent 0 to 100. @default BedrockPrices.BATCH_DISCOUNT_PERCENT
   *
   * @example
   * prices: { 'amazon.nova-lite-v1:0': BedrockPrices.withBatchDiscount(BedrockPrices.of('amazon.nova-lite-v1:0')!) }
   */
  public static withBatchDiscount(price: ModelPrice, discountPercent: number = BedrockPrices.BATCH_DISCOUNT_PERCENT): ModelPrice {
    if (typeof discountPercent !== 'number' || !Number.isFinite(discountPercent) || discountPercent < 0 || discountPercent > 100) {
      throw new AiGatewayValidationError(`discountPercent must be a number from 0 to 100, received ${discountPercent}.`);
    }
    const factor = (100 - discountPercent) / 100;
    const at = (usd: number): number => Number((usd * factor).toPrecision(6));
    return { ...price, batchInputUsdPer1K: at(price.inputUsdPer1K), batchOutputUsdPer1K: at(price.outputUsdPer1K) };
  }

  /** Every known model's on-demand price, by foundation model id. */
  public static onDemand(): { [modelId: string]: ModelPrice } {
    return { ...ON_DEMAND };
  }

  /** One model's on-demand price, or `undefined` when the library does not know the model. */
  public static of(modelId: string): ModelPrice | undefined {
    return ON_DEMAND[modelId];
  }

  private constructor() {}
}
