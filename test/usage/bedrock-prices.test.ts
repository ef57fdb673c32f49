import { BedrockPrices } from '../../lib/usage/bedrock-prices';
import { GatewayConfigValidator } from '../../lambda/shared/validator';
import { testConfig } from '../helpers/router-config';

const NOVA_LITE = BedrockPrices.of('amazon.nova-lite-v1:0')!;

describe('BedrockPrices.withBatchDiscount', () => {
  test('batch prices are half the on-demand input and output prices by default', () => {
    expect(BedrockPrices.withBatchDiscount(NOVA_LITE)).toMatchObject({ batchInputUsdPer1K: 0.00003, batchOutputUsdPer1K: 0.00012 });
  });

  test('the on-demand prices are kept', () => {
    expect(BedrockPrices.withBatchDiscount(NOVA_LITE, 25)).toMatchObject({ ...NOVA_LITE, batchInputUsdPer1K: 0.000045 });
  });

  test('the result is a valid price in a gateway configuration', () => {
    const config = testConfig();
    expect(() => GatewayConfigValidator.validate({ ...config, prices: { ...config.prices, 'amazon.nova-lite-v1:0': BedrockPrices.withBatchDiscount(NOVA_LITE) } })).not.toThrow();
  });

  test.each([-1, 101, Number.NaN])('a discount of %s is refused, naming discountPercent', (discount) => {
    expect(() => BedrockPrices.withBatchDiscount(NOVA_LITE, discount)).toThrow(/discountPercent/);
  });
});
