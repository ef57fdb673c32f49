import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AiGatewayValidationError } from '../../lib/private/errors';
import { SelfHostedPrice } from '../../lib/usage/self-hosted-price';
import { UsageTable } from '../../lib/usage/usage-table';

function stack(): Stack {
  return new Stack(new App(), 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
}

describe('UsageTable', () => {
  test('pk/sk string keys, ttl, on-demand, KMS customer key, point-in-time recovery, deletion protection, retained', () => {
    const s = stack();
    new UsageTable(s, 'Usage');
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^UsageKey'), 'Arn'] } },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 },
      DeletionProtectionEnabled: true,
      TableName: Match.absent(),
      GlobalSecondaryIndexes: Match.absent(),
    });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  test('props: own key, PITR window, no deletion protection, destroy, table name', () => {
    const s = stack();
    const key = new kms.Key(s, 'Mine');
    new UsageTable(s, 'Usage', { encryptionKey: key, pointInTimeRecoveryDays: 7, deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY, tableName: 'gw-usage' });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::KMS::Key', 1);
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'gw-usage',
      DeletionProtectionEnabled: false,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 },
      SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Mine'), 'Arn'] } },
    });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  test('routerEnvironment names the table and the record ttl', () => {
    const s = stack();
    const usage = new UsageTable(s, 'Usage', { recordTtlDays: 30 });
    const env = s.resolve(usage.routerEnvironment()) as Record<string, unknown>;
    expect(env).toEqual({
      GATEWAY_USAGE_TABLE: { Ref: expect.stringMatching(/^UsageTable/) }, GATEWAY_USAGE_RECORD_TTL_DAYS: '30', GATEWAY_USAGE_DIMENSION_CAP: '100',
    });
  });

  test('grantWriteUsage: item writes, reads and Query on the table only, encrypt/decrypt on its key', () => {
    const s = stack();
    const usage = new UsageTable(s, 'Usage');
    const role = new iam.Role(s, 'Router', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    usage.grantWriteUsage(role);
    Template.fromStack(s).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^UsageTable'), 'Arn'] },
          },
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^UsageKey'), 'Arn'] },
          },
        ],
      },
    });
  });

  test('grantReadUsage: GetItem and Query, kms:Decrypt', () => {
    const s = stack();
    const usage = new UsageTable(s, 'Usage');
    const role = new iam.Role(s, 'Admin', { assumedBy: new iam.AccountRootPrincipal() });
    usage.grantReadUsage(role);
    Template.fromStack(s).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^UsageTable'), 'Arn'] } },
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^UsageKey'), 'Arn'] } },
        ],
      },
    });
  });

  test.each([
    [{ recordTtlDays: 0 }, /recordTtlDays must be an integer from 1 to 3650, received 0/],
    [{ recordTtlDays: 1.5 }, /recordTtlDays must be an integer from 1 to 3650, received 1.5/],
    [{ pointInTimeRecoveryDays: 36 }, /pointInTimeRecoveryDays must be an integer from 1 to 35, received 36/],
    [{ tableName: 'a b' }, /tableName must be 3 to 255 characters of A-Z a-z 0-9 _ \. -, received "a b"/],
  ])('rejects %j', (props, message) => {
    expect(() => new UsageTable(stack(), 'Usage', props)).toThrow(AiGatewayValidationError);
    expect(() => new UsageTable(stack(), 'Usage', props)).toThrow(message);
  });
});

describe('SelfHostedPrice', () => {
  test('fromGpuHour: hourly cost over tokens per hour, per 1,000 tokens', () => {
    // $3.60/h at 1,000 tokens/s = 3.6M tokens/h → $0.001 per 1K tokens
    expect(SelfHostedPrice.fromGpuHour(3.6, 1000)).toEqual({
      inputUsdPer1K: 0.001, outputUsdPer1K: 0.001, cacheReadUsdPer1K: 0.001, cacheWriteUsdPer1K: 0.001,
    });
  });

  test('input throughput and utilization', () => {
    // at 50% utilization every token costs twice as much; input 10x faster costs a tenth
    expect(SelfHostedPrice.fromGpuHour(3.6, 1000, { inputTokensPerSecond: 10_000, utilizationPercent: 50 })).toEqual({
      inputUsdPer1K: 0.0002, outputUsdPer1K: 0.002, cacheReadUsdPer1K: 0.0002, cacheWriteUsdPer1K: 0.0002,
    });
  });

  test.each([
    [() => SelfHostedPrice.fromGpuHour(0, 100), /hourlyUsd must be a number greater than 0, received 0/],
    [() => SelfHostedPrice.fromGpuHour(1, -5), /tokensPerSecond must be a number greater than 0, received -5/],
    [() => SelfHostedPrice.fromGpuHour(1, 5, { inputTokensPerSecond: Number.NaN }), /inputTokensPerSecond/],
    [() => SelfHostedPrice.fromGpuHour(1, 5, { utilizationPercent: 120 }), /utilizationPercent must be a number greater than 0 and at most 100, received 120/],
  ])('rejects bad input #%#', (call, message) => {
    expect(call).toThrow(AiGatewayValidationError);
    expect(call).toThrow(message);
  });
});
