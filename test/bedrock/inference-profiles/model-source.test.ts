import { Lazy } from 'aws-cdk-lib';
import { ModelSource, ModelSourceKind } from '../../../lib/bedrock/inference-profiles';
import { AiGatewayValidationError } from '../../../lib/private/errors';

describe('ModelSource', () => {
  test('foundationModel keeps the model id as model and source', () => {
    const source = ModelSource.foundationModel('amazon.nova-pro-v1:0');
    expect(source.kind).toBe(ModelSourceKind.FOUNDATION_MODEL);
    expect(source.modelId).toBe('amazon.nova-pro-v1:0');
    expect(source.sourceId).toBe('amazon.nova-pro-v1:0');
    expect(source.geography).toBeUndefined();
  });

  test.each([
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'us', 'anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['eu.amazon.nova-pro-v1:0', 'eu', 'amazon.nova-pro-v1:0'],
    ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'global', 'anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0', 'us-gov', 'anthropic.claude-3-5-sonnet-20240620-v1:0'],
    ['apac.amazon.nova-lite-v1:0', 'apac', 'amazon.nova-lite-v1:0'],
  ])('crossRegionProfile(%s) splits geography %s from model %s', (profileId, geography, modelId) => {
    const source = ModelSource.crossRegionProfile(profileId);
    expect(source.kind).toBe(ModelSourceKind.CROSS_REGION_PROFILE);
    expect(source.geography).toBe(geography);
    expect(source.modelId).toBe(modelId);
    expect(source.sourceId).toBe(profileId);
  });

  test('crossRegionProfileFor accepts a geography the alpha does not list yet', () => {
    const source = ModelSource.crossRegionProfileFor('ca', 'anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(source.sourceId).toBe('ca.anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(source.modelId).toBe('anthropic.claude-sonnet-4-5-20250929-v1:0');
  });

  test.each([
    ['', /modelId '' is not a Bedrock model id/],
    ['claude', /modelId 'claude' is not a Bedrock model id/],
    ['Anthropic.Claude', /modelId 'Anthropic.Claude' is not a Bedrock model id/],
    ['arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0', /is an ARN/],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', /geography prefix 'us\.'.*crossRegionProfile/],
  ])('foundationModel(%j) is refused', (modelId, message) => {
    expect(() => ModelSource.foundationModel(modelId)).toThrow(AiGatewayValidationError);
    expect(() => ModelSource.foundationModel(modelId)).toThrow(message);
  });

  test.each([
    ['anthropic.claude-sonnet-4-5-20250929-v1:0', /profileId 'anthropic\.claude.*known geography prefix.*'global', 'eu', 'us'/],
    ['xx.anthropic.claude-sonnet-4-5-20250929-v1:0', /profileId 'xx\.anthropic.*known geography prefix/],
    ['us.', /modelId '' is not a Bedrock model id/],
    ['arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.amazon.nova-pro-v1:0', /profileId .* is an ARN/],
  ])('crossRegionProfile(%j) is refused', (profileId, message) => {
    expect(() => ModelSource.crossRegionProfile(profileId)).toThrow(message);
  });

  test('tokens are refused: the model id is needed at synth', () => {
    const token = Lazy.string({ produce: () => 'amazon.nova-pro-v1:0' });
    expect(() => ModelSource.foundationModel(token)).toThrow(/modelId must be a literal string/);
    expect(() => ModelSource.crossRegionProfile(token)).toThrow(/profileId must be a literal string/);
  });

  test('crossRegionProfileFor refuses a malformed geography', () => {
    expect(() => ModelSource.crossRegionProfileFor('US', 'amazon.nova-pro-v1:0')).toThrow(/geography 'US' is invalid/);
  });
});
