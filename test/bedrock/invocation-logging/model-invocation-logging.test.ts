import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelInvocationLogging, type ModelInvocationLoggingProps } from '../../../lib/bedrock/invocation-logging';
import { AiGatewayValidationError } from '../../../lib/private/errors';
import { parseProperties } from '../../../lambda/invocation-logging/logic';
import { DENY_GRANTS_EXCEPT_FOR_AWS_SERVICES } from '../../helpers/iam-statements';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

function newStack(): Stack {
  return new Stack(new App(), 'Stack', { env: { account: ACCOUNT, region: REGION } });
}

function synth(props: ModelInvocationLoggingProps = {}, stack = newStack()): { template: Template; stack: Stack; logging: ModelInvocationLogging } {
  const logging = new ModelInvocationLogging(stack, 'Logging', props);
  return { template: Template.fromStack(stack), stack, logging };
}

/** `arn:<partition>:...` as the template renders it, with the partition as a pseudo parameter. */
function partitionArn(rest: string): unknown {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] };
}

const SOURCE_CONDITIONS = {
  StringEquals: { 'aws:SourceAccount': ACCOUNT },
  ArnLike: { 'aws:SourceArn': partitionArn(`:bedrock:${REGION}:${ACCOUNT}:*`) },
};

function logicalId(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const found = Object.keys(template.findResources(type, props));
  if (found.length !== 1) throw new Error(`Expected one ${type}, found ${found.length}`);
  return found[0];
}

function customResource(template: Template): { Properties: Record<string, unknown>; DependsOn?: string[] } {
  const resources = template.findResources(ModelInvocationLogging.RESOURCE_TYPE);
  const values = Object.values(resources);
  if (values.length !== 1) throw new Error(`Expected one custom resource, found ${values.length}`);
  return values[0] as { Properties: Record<string, unknown>; DependsOn?: string[] };
}

/** Every statement of every IAM policy, key policy and bucket policy of the template. */
function allStatements(template: Template): Record<string, unknown>[] {
  const docs: unknown[] = [];
  for (const r of Object.values(template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::S3::BucketPolicy') docs.push(p.PolicyDocument);
    if (r.Type === 'AWS::KMS::Key') docs.push(p.KeyPolicy);
    if (r.Type === 'AWS::IAM::Role') {
      docs.push(p.AssumeRolePolicyDocument);
      for (const inline of (p.Policies as { PolicyDocument: unknown }[] | undefined) ?? []) docs.push(inline.PolicyDocument);
    }
  }
  return docs.flatMap((d) => ((d as { Statement?: Record<string, unknown>[] } | undefined)?.Statement ?? []));
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

describe('ModelInvocationLogging: encryption key', () => {
  it('creates a key with rotation, an alias, and keeps it by default', () => {
    const { template } = synth();

    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, Description: 'Encrypts Amazon Bedrock model invocation logs (Stack/Logging)' },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: Match.stringLikeRegexp('^alias/bedrock-invocation-logging/Stack-Logging-[A-F0-9]{8}$') });
  });

  it('lets the Region\'s CloudWatch Logs principal use it only for the two log groups', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowCloudWatchLogsToEncryptLogGroups',
            Effect: 'Allow',
            Principal: { Service: { 'Fn::Join': ['', [`logs.${REGION}.`, { Ref: 'AWS::URLSuffix' }]] } },
            Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
            Resource: '*',
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': [
                  partitionArn(Match.stringLikeRegexp(`^:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/Stack-Logging-[A-F0-9]{8}-handler$`) as unknown as string),
                  partitionArn(Match.stringLikeRegexp(`^:logs:${REGION}:${ACCOUNT}:log-group:/aws/bedrock/model-invocations/Stack-Logging-[A-F0-9]{8}$`) as unknown as string),
                ],
              },
            },
          },
        ]),
      },
    });
  });

  it('lets Bedrock generate data keys and decrypt, for this account and Region only', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowBedrockToEncryptInvocationLogs',
            Effect: 'Allow',
            Principal: { Service: 'bedrock.amazonaws.com' },
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: '*',
            Condition: SOURCE_CONDITIONS,
          },
        ]),
      },
    });
  });

  it('denies grants except for AWS services (Control Tower CT.KMS.PR.3)', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([DENY_GRANTS_EXCEPT_FOR_AWS_SERVICES]),
      },
    });
  });
});

describe('ModelInvocationLogging: log bucket', () => {
  it('is SSE-KMS with the key and a bucket key, versioned, private, ACL-less, and kept by default', () => {
    const { template } = synth();
    const keyId = logicalId(template, 'AWS::KMS::Key');

    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } } },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        ObjectLockEnabled: Match.absent(),
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('sends server access logs to the separate access logs bucket', () => {
    const { template } = synth();
    const accessLogsId = logicalId(template, 'AWS::S3::Bucket', { Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } } });

    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
      LoggingConfiguration: { DestinationBucketName: { Ref: accessLogsId }, LogFilePrefix: Match.stringLikeRegexp('^Stack-Logging-[A-F0-9]{8}/$') },
    });
  });

  it('tiers and expires log objects with the default lifecycle', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'TierAndExpireInvocationLogs',
            Status: 'Enabled',
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER', TransitionInDays: 90 },
            ],
            ExpirationInDays: 365,
            NoncurrentVersionExpiration: { NoncurrentDays: 90 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          },
        ],
      },
    });
  });

  it('follows the lifecycle props', () => {
    const { template } = synth({
      transitionToInfrequentAccessAfter: Duration.days(60),
      transitionToGlacierAfter: Duration.days(180),
      expiration: Duration.days(2555),
      noncurrentVersionExpiration: Duration.days(30),
    });

    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 60 },
              { StorageClass: 'GLACIER', TransitionInDays: 180 },
            ],
            ExpirationInDays: 2555,
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          }),
        ],
      },
    });
  });

  it('publishes new log objects to EventBridge without a notifications custom resource', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: Match.objectLike({ ServerSideEncryptionConfiguration: [Match.objectLike({ BucketKeyEnabled: true })] }),
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  it('denies requests without TLS and below TLS 1.2', () => {
    const { template } = synth();
    const bucketId = logicalId(template, 'AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } });
    const bucketArns = [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] }];

    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: bucketArns, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
          { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: bucketArns, Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } },
        ]),
      },
    });
  });

  it('lets Bedrock put objects only under its AWSLogs paths, for this account and Region', () => {
    const { template } = synth();
    const bucketId = logicalId(template, 'AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } });
    const objects = (path: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, path]] });

    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'AmazonBedrockLogsWrite',
            Effect: 'Allow',
            Principal: { Service: 'bedrock.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: [
              objects(`/invocation-logs/AWSLogs/${ACCOUNT}/BedrockModelInvocationLogs/*`),
              objects(`/invocation-logs-large-data/AWSLogs/${ACCOUNT}/BedrockModelInvocationLogs/*`),
            ],
            Condition: SOURCE_CONDITIONS,
          },
        ]),
      },
    });
  });

  it('writes a single path when both prefixes are the same, and none when the prefix is empty', () => {
    const { template } = synth({ keyPrefix: '', largeDataDeliveryKeyPrefix: '' });
    const bucketId = logicalId(template, 'AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } });

    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AmazonBedrockLogsWrite',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/AWSLogs/${ACCOUNT}/BedrockModelInvocationLogs/*`]] },
          }),
        ]),
      },
    });
  });

  it('enables Object Lock with the default retention when asked', () => {
    const { template } = synth({ objectLock: s3.ObjectLockRetention.compliance(Duration.days(365)) });

    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } } },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('can turn versioning off, with no noncurrent version rule', () => {
    const { template } = synth({ versioned: false });

    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.anyValue(),
      VersioningConfiguration: Match.absent(),
      LifecycleConfiguration: { Rules: [Match.objectLike({ NoncurrentVersionExpiration: Match.absent(), ExpirationInDays: 365 })] },
    });
  });
});

describe('ModelInvocationLogging: access logs bucket', () => {
  it('is SSE-S3, versioned, private, ACL-less, expiring, and kept by default', () => {
    const { template } = synth();

    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [{ Id: 'ExpireAccessLogs', Status: 'Enabled', ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 90 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }],
        },
        LoggingConfiguration: Match.absent(),
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('lets S3 log delivery write only the log bucket\'s access logs, TLS only', () => {
    const { template } = synth();
    const bucketId = logicalId(template, 'AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } });
    const accessLogsId = logicalId(template, 'AWS::S3::Bucket', { Properties: { LifecycleConfiguration: { Rules: [Match.objectLike({ Id: 'ExpireAccessLogs' })] } } });

    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: accessLogsId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          {
            Sid: 'S3ServerAccessLogsDelivery',
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [accessLogsId, 'Arn'] }, Match.stringLikeRegexp('^/Stack-Logging-[A-F0-9]{8}/\\*$')]] },
            Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } }, StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          },
        ]),
      },
    });
  });

  it('works whatever the app\'s serverAccessLogsUseBucketPolicy feature flag says', () => {
    const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': false } });
    const { template } = synth({}, new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } }));

    template.allResourcesProperties('AWS::S3::Bucket', { AccessControl: Match.absent() });
  });
});

describe('ModelInvocationLogging: CloudWatch Logs destination', () => {
  it('creates a KMS-encrypted log group with one year of retention, kept by default', () => {
    const { template } = synth();
    const keyId = logicalId(template, 'AWS::KMS::Key');

    template.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: Match.stringLikeRegexp('^/aws/bedrock/model-invocations/Stack-Logging-[A-F0-9]{8}$'),
        KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
        RetentionInDays: 365,
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('follows logRetention for both its log groups', () => {
    const { template } = synth({ logRetention: logs.RetentionDays.TEN_YEARS });

    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 3653 }, 2);
  });

  it('gives Bedrock a role trusted only from this account and Region', () => {
    const { template } = synth();

    template.hasResource('AWS::IAM::Role', {
      Properties: {
        Description: 'Lets Amazon Bedrock deliver model invocation logs to CloudWatch Logs',
        AssumeRolePolicyDocument: {
          Statement: [{ Effect: 'Allow', Principal: { Service: 'bedrock.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: SOURCE_CONDITIONS }],
        },
        Policies: Match.absent(),
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('lets the role write only Bedrock\'s stream of that log group', () => {
    const { template } = synth();
    const logGroupId = logicalId(template, 'AWS::Logs::LogGroup', { Properties: { LogGroupName: Match.stringLikeRegexp('^/aws/bedrock/') } });
    const policyId = logicalId(template, 'AWS::IAM::ManagedPolicy', { Properties: { Description: 'Lets Amazon Bedrock write model invocation logs to its log stream' } });

    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: 'Lets Amazon Bedrock write model invocation logs to its log stream',
      PolicyDocument: {
        Statement: [
          {
            Sid: 'DeliverInvocationLogs',
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:${REGION}:${ACCOUNT}:log-group:`, { Ref: logGroupId }, ':log-stream:aws/bedrock/modelinvocations']],
            },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: 'Lets Amazon Bedrock deliver model invocation logs to CloudWatch Logs',
      ManagedPolicyArns: [{ Ref: policyId }],
    });
  });
});

describe('ModelInvocationLogging: custom resource handler', () => {
  it('is a Node.js 22 arm64 function with JSON logs in its own encrypted, retained log group', () => {
    const { template } = synth();
    const handlerLogGroupId = logicalId(template, 'AWS::Logs::LogGroup', { Properties: { LogGroupName: Match.stringLikeRegexp('^/aws/lambda/') } });
    const keyId = logicalId(template, 'AWS::KMS::Key');

    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 300,
      MemorySize: 256,
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN', LogGroup: { Ref: handlerLogGroupId } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/lambda/Stack-Logging-[A-F0-9]{8}-handler$'),
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      RetentionInDays: 365,
    });
  });

  it('may only put and read the configuration, in this Region, and pass the logging role to Bedrock', () => {
    const { template } = synth();
    const handlerLogGroupId = logicalId(template, 'AWS::Logs::LogGroup', { Properties: { LogGroupName: Match.stringLikeRegexp('^/aws/lambda/') } });
    const loggingRoleId = logicalId(template, 'AWS::IAM::Role', { Properties: { Description: 'Lets Amazon Bedrock deliver model invocation logs to CloudWatch Logs' } });

    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [handlerLogGroupId, 'Arn'] } },
          {
            Sid: 'ConfigureInvocationLogging',
            Effect: 'Allow',
            Action: ['bedrock:PutModelInvocationLoggingConfiguration', 'bedrock:GetModelInvocationLoggingConfiguration'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:RequestedRegion': REGION } },
          },
          {
            Sid: 'PassLoggingRoleToBedrock',
            Effect: 'Allow',
            Action: 'iam:PassRole',
            Resource: { 'Fn::GetAtt': [loggingRoleId, 'Arn'] },
            Condition: { StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } },
          },
        ],
      },
    });
  });

  it('may delete the configuration only when disableLoggingOnDelete is set', () => {
    const { template } = synth({ disableLoggingOnDelete: true });

    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ConfigureInvocationLogging',
            Action: [
              'bedrock:PutModelInvocationLoggingConfiguration',
              'bedrock:GetModelInvocationLoggingConfiguration',
              'bedrock:DeleteModelInvocationLoggingConfiguration',
            ],
          }),
        ]),
      },
    });
    expect(customResource(template).Properties.DisableLoggingOnDelete).toBe(true);
  });

  it('grants no bedrock:* and no model action, and "*" only to the configuration actions and key policies', () => {
    for (const props of [{}, { disableLoggingOnDelete: true }]) {
      const { template } = synth(props);
      const statements = allStatements(template);

      for (const s of statements) {
        for (const action of asArray(s.Action)) expect(action).not.toMatch(/^bedrock:(\*|Invoke|Converse|ApplyGuardrail)/);
        if (s.Effect === 'Allow' && asArray(s.Resource).includes('*') && !('Service' in (s.Principal as object ?? {})) && !('AWS' in ((s.Principal as object) ?? {}))) {
          expect(asArray(s.Action).every((a) => /^bedrock:(Put|Get|Delete)ModelInvocationLoggingConfiguration$/.test(String(a)))).toBe(true);
        }
      }
    }
  });
});

describe('ModelInvocationLogging: the custom resource', () => {
  it('carries every setting, the config hash, and a 10-minute service timeout', () => {
    const { template, logging } = synth();
    const bucketId = logicalId(template, 'AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } });
    const logGroupId = logicalId(template, 'AWS::Logs::LogGroup', { Properties: { LogGroupName: Match.stringLikeRegexp('^/aws/bedrock/') } });
    const roleId = logicalId(template, 'AWS::IAM::Role', { Properties: { Description: 'Lets Amazon Bedrock deliver model invocation logs to CloudWatch Logs' } });
    const fnId = logicalId(template, 'AWS::Lambda::Function');

    expect(customResource(template).Properties).toStrictEqual({
      ServiceToken: { 'Fn::GetAtt': [fnId, 'Arn'] },
      ServiceTimeout: '600',
      TextDataDeliveryEnabled: true,
      ImageDataDeliveryEnabled: false,
      EmbeddingDataDeliveryEnabled: false,
      VideoDataDeliveryEnabled: false,
      AudioDataDeliveryEnabled: false,
      S3BucketName: { Ref: bucketId },
      S3KeyPrefix: 'invocation-logs',
      LogGroupName: { Ref: logGroupId },
      RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
      LargeDataBucketName: { Ref: bucketId },
      LargeDataKeyPrefix: 'invocation-logs-large-data',
      DisableLoggingOnDelete: false,
      ConfigHash: logging.configHash,
    });
    expect(logging.configHash).toMatch(/^[0-9a-f]{32}$/);
  });

  it('runs after every policy Bedrock needs to validate the destinations', () => {
    const { template } = synth();
    const dependsOn = customResource(template).DependsOn ?? [];

    for (const [type, props] of [
      ['AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: logicalId(template, 'AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } }) } } }],
      ['AWS::KMS::Key', {}],
      ['AWS::IAM::Role', { Properties: { Description: 'Lets Amazon Bedrock deliver model invocation logs to CloudWatch Logs' } }],
      ['AWS::Logs::LogGroup', { Properties: { LogGroupName: Match.stringLikeRegexp('^/aws/bedrock/') } }],
    ] as const) {
      expect(dependsOn).toContain(logicalId(template, type, props));
    }
  });

  it.each<[string, ModelInvocationLoggingProps]>([
    ['textDataDelivery', { textDataDelivery: false }],
    ['imageDataDelivery', { imageDataDelivery: true }],
    ['embeddingDataDelivery', { embeddingDataDelivery: true }],
    ['videoDataDelivery', { videoDataDelivery: true }],
    ['audioDataDelivery', { audioDataDelivery: true }],
    ['keyPrefix', { keyPrefix: 'audit/bedrock' }],
    ['largeDataDeliveryKeyPrefix', { largeDataDeliveryKeyPrefix: 'audit/large' }],
    ['disableLoggingOnDelete', { disableLoggingOnDelete: true }],
  ])('is updated, so the setting is put again, when %s changes', (_name, changed) => {
    const before = customResource(synth().template).Properties;
    const after = customResource(synth(changed).template).Properties;

    expect(after).not.toStrictEqual(before);
    expect(after.ConfigHash).not.toBe(before.ConfigHash);
  });

  it('keeps the same properties and hash when nothing changes', () => {
    expect(customResource(synth().template).Properties).toStrictEqual(customResource(synth().template).Properties);
  });

  it('changes when a destination changes (another log group)', () => {
    const stackA = newStack();
    const stackB = newStack();
    const a = synth({ logGroup: new logs.LogGroup(stackA, 'Mine', { logGroupName: '/mine/a', retention: logs.RetentionDays.ONE_YEAR }) }, stackA);
    const b = synth({ logGroup: new logs.LogGroup(stackB, 'Mine', { logGroupName: '/mine/b', retention: logs.RetentionDays.ONE_YEAR }) }, stackB);

    expect(a.logging.configHash).toBe(b.logging.configHash); // both reference { Ref: Mine... }
    const stackC = newStack();
    const c = synth({ logGroup: logs.LogGroup.fromLogGroupName(stackC, 'Imported', '/imported/group') }, stackC);
    expect(c.logging.configHash).not.toBe(a.logging.configHash);
    expect(customResource(c.template).Properties.LogGroupName).toBe('/imported/group');
  });

  it('hands the handler properties it accepts (the lib/lambda contract)', () => {
    const { template } = synth({ imageDataDelivery: true, disableLoggingOnDelete: true });
    // CloudFormation resolves references and turns every scalar into a string.
    const resolved = JSON.parse(
      JSON.stringify(customResource(template).Properties, (_k, v: unknown) => {
        if (v && typeof v === 'object' && 'Ref' in v) return 'resolved-bucket-or-group';
        if (v && typeof v === 'object' && 'Fn::GetAtt' in v) return `arn:aws:iam::${ACCOUNT}:role/resolved-role`;
        return typeof v === 'boolean' ? String(v) : v;
      }),
    ) as Record<string, unknown>;

    const settings = parseProperties(resolved);

    expect(settings.loggingConfig).toStrictEqual({
      textDataDeliveryEnabled: true,
      imageDataDeliveryEnabled: true,
      embeddingDataDeliveryEnabled: false,
      videoDataDeliveryEnabled: false,
      audioDataDeliveryEnabled: false,
      s3Config: { bucketName: 'resolved-bucket-or-group', keyPrefix: 'invocation-logs' },
      cloudWatchConfig: {
        logGroupName: 'resolved-bucket-or-group',
        roleArn: `arn:aws:iam::${ACCOUNT}:role/resolved-role`,
        largeDataDeliveryS3Config: { bucketName: 'resolved-bucket-or-group', keyPrefix: 'invocation-logs-large-data' },
      },
    });
    expect(settings.disableLoggingOnDelete).toBe(true);
  });
});

describe('ModelInvocationLogging: bring your own', () => {
  it('uses a provided bucket and its key, adding Bedrock\'s statements to both policies', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'TheirKey', { enableKeyRotation: true });
    const bucket = new s3.Bucket(stack, 'TheirBucket', { encryptionKey: key, enforceSSL: true });
    const { template } = synth({ bucket }, stack);
    const theirBucketId = logicalId(template, 'AWS::S3::Bucket');
    const theirKeyId = stack.getLogicalId(key.node.defaultChild as kms.CfnKey);

    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: theirBucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AmazonBedrockLogsWrite', Condition: SOURCE_CONDITIONS })]) },
    });
    expect(template.toJSON().Resources[theirKeyId].Properties.KeyPolicy.Statement).toEqual(
      expect.arrayContaining([expect.objectContaining({ Sid: 'AllowBedrockToEncryptInvocationLogs', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Condition: SOURCE_CONDITIONS })]),
    );
    expect(customResource(template).Properties.S3BucketName).toStrictEqual({ Ref: theirBucketId });
    // Their bucket policy keeps its own removal policy.
    template.hasResource('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: theirBucketId } }, DeletionPolicy: Match.absent() });
  });

  it('warns that an imported bucket\'s policy must be set by hand', () => {
    const stack = newStack();
    const { template } = synth({ bucket: s3.Bucket.fromBucketName(stack, 'Imported', 'their-log-bucket') }, stack);

    Annotations.fromStack(stack).hasWarning('/Stack/Logging', Match.stringLikeRegexp('The bucket \\(their-log-bucket\\) is imported.*"s3:PutObject".*"bedrock.amazonaws.com"'));
    expect(customResource(template).Properties.S3BucketName).toBe('their-log-bucket');
    template.resourceCountIs('AWS::S3::Bucket', 0);
  });

  it('uses a provided key for the bucket and log groups, adding the service statements but no deny', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'TheirKey', { enableKeyRotation: true });
    const { template } = synth({ encryptionKey: key }, stack);
    const keyId = stack.getLogicalId(key.node.defaultChild as kms.CfnKey);

    template.resourceCountIs('AWS::KMS::Key', 1);
    const sids = (template.toJSON().Resources[keyId].Properties.KeyPolicy.Statement as { Sid?: string }[]).map((s) => s.Sid);
    expect(sids).toEqual([undefined, 'AllowCloudWatchLogsToEncryptLogGroups', 'AllowBedrockToEncryptInvocationLogs']);
    template.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  });

  it('warns that an imported key\'s policy must be set by hand', () => {
    const stack = newStack();
    synth({ encryptionKey: kms.Key.fromKeyArn(stack, 'Imported', `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`) }, stack);

    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Logging', Match.stringLikeRegexp('The encryptionKey .* is imported'));
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0].entry.data)).toContain('kms:EncryptionContext:aws:logs:arn');
    expect(Annotations.fromStack(stack).findWarning('/Stack/Logging', Match.stringLikeRegexp('AllowBedrockToEncryptInvocationLogs'))).toHaveLength(1);
  });

  it('uses a provided log group: the role writes to its stream and the key covers only the handler\'s group', () => {
    const stack = newStack();
    const theirs = new logs.LogGroup(stack, 'TheirGroup', { logGroupName: '/their/bedrock', retention: logs.RetentionDays.FIVE_YEARS });
    const { template } = synth({ logGroup: theirs }, stack);
    const theirId = stack.getLogicalId(theirs.node.defaultChild as logs.CfnLogGroup);

    template.resourceCountIs('AWS::Logs::LogGroup', 2); // theirs and the handler's
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Sid: 'DeliverInvocationLogs',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:${REGION}:${ACCOUNT}:log-group:`, { Ref: theirId }, ':log-stream:aws/bedrock/modelinvocations']] },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchLogsToEncryptLogGroups',
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': [partitionArn(Match.stringLikeRegexp('log-group:/aws/lambda/') as unknown as string)] } },
          }),
        ]),
      },
    });
  });

  it('uses a provided access logs bucket and lets S3 log delivery write to it', () => {
    const stack = newStack();
    const theirs = new s3.Bucket(stack, 'TheirAccessLogs', { enforceSSL: true });
    const { template } = synth({ accessLogsBucket: theirs }, stack);
    const theirId = stack.getLogicalId(theirs.node.defaultChild as s3.CfnBucket);

    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: { Ref: theirId } } });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: theirId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'S3ServerAccessLogsDelivery', Principal: { Service: 'logging.s3.amazonaws.com' } })]) },
    });
  });
});

describe('ModelInvocationLogging: removal', () => {
  it('destroys everything it owns when asked, with a warning unless logging is switched off too', () => {
    const { template, stack } = synth({ removalPolicy: RemovalPolicy.DESTROY });

    for (const type of ['AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::S3::BucketPolicy', 'AWS::Logs::LogGroup', 'AWS::IAM::Role', 'AWS::IAM::ManagedPolicy']) {
      for (const r of Object.values(template.findResources(type)) as { DeletionPolicy?: string }[]) expect(r.DeletionPolicy ?? 'Delete').toBe('Delete');
    }
    Annotations.fromStack(stack).hasWarning('/Stack/Logging', Match.stringLikeRegexp('removalPolicy is DESTROY but disableLoggingOnDelete is false'));
  });

  it('does not warn when DESTROY goes with disableLoggingOnDelete', () => {
    const { stack } = synth({ removalPolicy: RemovalPolicy.DESTROY, disableLoggingOnDelete: true });

    Annotations.fromStack(stack).hasNoWarning('/Stack/Logging', Match.stringLikeRegexp('removalPolicy is DESTROY'));
  });

  it('keeps the logging role and its policy by default, so a configuration left in place keeps working', () => {
    const { template } = synth();

    template.hasResource('AWS::IAM::ManagedPolicy', { Properties: { Description: 'Lets Amazon Bedrock write model invocation logs to its log stream' }, DeletionPolicy: 'Retain' });
    template.hasResource('AWS::Lambda::Function', { DeletionPolicy: Match.absent() });
  });
});

describe('ModelInvocationLogging: grantRead', () => {
  it('grants reading both prefixes (with decrypt) and the log group', () => {
    const stack = newStack();
    const logging = new ModelInvocationLogging(stack, 'Logging');
    const reader = new iam.Role(stack, 'Auditor', { assumedBy: new iam.AccountRootPrincipal() });

    logging.grantRead(reader);

    const template = Template.fromStack(stack);
    const bucketId = logicalId(template, 'AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } });
    const keyId = logicalId(template, 'AWS::KMS::Key');
    const logGroupId = logicalId(template, 'AWS::Logs::LogGroup', { Properties: { LogGroupName: Match.stringLikeRegexp('^/aws/bedrock/') } });
    const bucketArn = { 'Fn::GetAtt': [bucketId, 'Arn'] };
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(reader.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
            Resource: [bucketArn, { 'Fn::Join': ['', [bucketArn, '/invocation-logs/*']] }],
          },
          { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } },
          {
            Effect: 'Allow',
            Action: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
            Resource: [bucketArn, { 'Fn::Join': ['', [bucketArn, '/invocation-logs-large-data/*']] }],
          },
          {
            Effect: 'Allow',
            Action: ['logs:FilterLogEvents', 'logs:GetLogEvents', 'logs:GetLogGroupFields', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams'],
            Resource: [
              { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:${REGION}:${ACCOUNT}:log-group:`, { Ref: logGroupId }]] },
              { 'Fn::GetAtt': [logGroupId, 'Arn'] },
            ],
          },
        ],
      },
    });
  });
});

describe('ModelInvocationLogging: environment-agnostic stacks', () => {
  it('scopes the conditions with the deploy-time account and Region', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const { template } = synth({}, stack);

    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*']] },
              },
            },
          }),
        ],
      },
    });
  });
});

describe('ModelInvocationLogging: validation', () => {
  const cases: [string, () => ModelInvocationLoggingProps, RegExp][] = [
    ['keyPrefix', () => ({ keyPrefix: '/logs' }), /keyPrefix must not start or end with "\/".*received '\/logs'/],
    ['keyPrefix', () => ({ keyPrefix: 'logs/' }), /keyPrefix must not start or end with "\/".*received 'logs\/'/],
    ['keyPrefix', () => ({ keyPrefix: 'a//b' }), /keyPrefix .*nor contain "\/\/".*received 'a\/\/b'/],
    ['keyPrefix', () => ({ keyPrefix: 'logs#1' }), /keyPrefix may contain only letters, digits.*received 'logs#1'/],
    ['keyPrefix', () => ({ keyPrefix: 'p'.repeat(1025) }), /keyPrefix must be at most 1024 characters, received 1025/],
    ['largeDataDeliveryKeyPrefix', () => ({ largeDataDeliveryKeyPrefix: '/large' }), /largeDataDeliveryKeyPrefix must not start or end with "\/".*received '\/large'/],
    ['logRetention', () => ({ logRetention: logs.RetentionDays.INFINITE }), /logRetention must be a finite retention.*received RetentionDays.INFINITE/],
    ['transitionToInfrequentAccessAfter', () => ({ transitionToInfrequentAccessAfter: Duration.days(10) }), /transitionToInfrequentAccessAfter must be at least 30 days.*received 10 days/],
    ['transitionToInfrequentAccessAfter', () => ({ transitionToInfrequentAccessAfter: Duration.hours(36 * 24 + 12) }), /transitionToInfrequentAccessAfter must be a whole number of days.*received/],
    ['transitionToGlacierAfter', () => ({ transitionToGlacierAfter: Duration.days(45) }), /transitionToGlacierAfter must be at least 30 days after transitionToInfrequentAccessAfter \(30 days\), so at least 60 days, received 45 days/],
    ['expiration', () => ({ expiration: Duration.days(90) }), /expiration must be later than transitionToGlacierAfter \(90 days\), received 90 days/],
    ['noncurrentVersionExpiration', () => ({ noncurrentVersionExpiration: Duration.hours(12) }), /noncurrentVersionExpiration must be a whole number of days, at least 1, received 12 hours/],
    ['objectLock', () => ({ versioned: false, objectLock: s3.ObjectLockRetention.governance(Duration.days(30)) }), /objectLock requires versioning.*received versioned: false/],
    ['objectLock', () => ({ objectLock: s3.ObjectLockRetention.compliance(Duration.days(400)) }), /objectLock retention \(400 days\) must not exceed expiration \(365 days\)/],
    ['bucket', () => ({ bucket: s3.Bucket.fromBucketName(new Stack(), 'B', 'their-bucket'), expiration: Duration.days(400), accessLogsBucket: s3.Bucket.fromBucketName(new Stack(), 'A', 'their-access-logs') }), /expiration, accessLogsBucket configure only the bucket the construct creates, and bucket was provided/],
    ['bucket', () => ({ bucket: s3.Bucket.fromBucketName(new Stack(), 'B', 'their-bucket'), versioned: true }), /versioned configures only the bucket the construct creates/],
    ['bucket', () => ({ bucket: s3.Bucket.fromBucketAttributes(new Stack(), 'B', { bucketName: 'their-bucket', region: 'us-east-1' }) }), /bucket must be in the stack's Region \(eu-west-1\).*received Region us-east-1/],
    ['bucket', () => ({ bucket: s3.Bucket.fromBucketAttributes(new Stack(), 'B', { bucketName: 'their-bucket', account: '444455556666' }) }), /bucket must be in the stack's account \(111122223333\).*received account 444455556666/],
    ['logGroup', () => ({ logGroup: logs.LogGroup.fromLogGroupName(new Stack(), 'L', '/x'), logRetention: logs.RetentionDays.ONE_MONTH }), /logRetention configures only the log groups the construct creates, and logGroup was provided/],
    ['removalPolicy', () => ({ removalPolicy: RemovalPolicy.SNAPSHOT }), /removalPolicy must be one of retain, retain-on-update-or-delete, destroy.*received snapshot/],
  ];

  it.each(cases)('rejects a bad %s with AiGatewayValidationError naming it', (_prop, props, message) => {
    const act = () => synth(props());

    expect(act).toThrow(AiGatewayValidationError);
    expect(act).toThrow(message);
    expect(act).toThrow(/\(in Stack\/Logging\)$/);
  });

  it('accepts the documented boundaries', () => {
    expect(() =>
      synth({
        keyPrefix: "a-b_c.d*e'f(g)h!i/j",
        transitionToInfrequentAccessAfter: Duration.days(30),
        transitionToGlacierAfter: Duration.days(60),
        expiration: Duration.days(61),
        objectLock: s3.ObjectLockRetention.governance(Duration.days(61)),
      }),
    ).not.toThrow();
  });
});
