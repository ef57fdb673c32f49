import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { GatewayAuditTrail, GatewayAuditTrailProps } from '../../lib/audit/gateway-audit-trail';
import { TenantKeyTable } from '../../lib/gateway/tenant-keys/tenant-key-table';
import { IncidentControlsTable } from '../../lib/incident/incident-controls-table';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';

jest.setTimeout(120_000);

const ENV = { account: '111122223333', region: 'us-east-1' };

function build(props: Partial<GatewayAuditTrailProps> = {}, stack = new Stack(new App(), 'S', { env: ENV })) {
  const keys = new TenantKeyTable(stack, 'Keys').table;
  const controls = new IncidentControlsTable(stack, 'Controls');
  const trail = new GatewayAuditTrail(stack, 'Audit', { tables: [keys, controls.table], ...props });
  return { stack, trail, keys, controls, template: Template.fromStack(stack) };
}

const ref = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);

describe('GatewayAuditTrail', () => {
  test('a multi-Region trail with log-file validation, KMS, CloudWatch Logs and every management event', () => {
    const { stack, trail, template } = build();
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      EnableLogFileValidation: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      KMSKeyId: { 'Fn::GetAtt': [ref(stack, trail.encryptionKey as never), 'Arn'] },
      CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [ref(stack, trail.logGroup as never), 'Arn'] },
      EventSelectors: Match.absent(),
      AdvancedEventSelectors: Match.arrayWith([{ Name: 'AllManagementEvents', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }]),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  test('data events of the gateway tables (by ARN) and of Bedrock guardrails', () => {
    const { stack, keys, controls, template } = build();
    const [resource] = Object.values(template.findResources('AWS::CloudTrail::Trail'));
    const selectors = resource.Properties.AdvancedEventSelectors;
    expect(selectors).toContainEqual({
      Name: 'GatewayTableDataEvents',
      FieldSelectors: [
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] },
        { Field: 'resources.ARN', Equals: [{ 'Fn::GetAtt': [ref(stack, keys), 'Arn'] }, { 'Fn::GetAtt': [ref(stack, controls.table), 'Arn'] }] },
      ],
    });
    expect(selectors).toContainEqual({
      Name: 'BedrockDataEventsGuardrail',
      FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::Bedrock::Guardrail'] }],
    });
  });

  test('the key lets CloudTrail encrypt for this trail only', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'AllowCloudTrailToEncryptLogs',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:GenerateDataKey*',
        Condition: {
          StringEquals: { 'aws:SourceArn': { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':trail/S')])] } },
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': Match.anyValue() },
        },
      })]) },
    });
  });

  test('the bucket: SSE-KMS, TLS only, private, versioned, access logs, retention lifecycle; Object Lock when asked', () => {
    const { template } = build({ objectLock: { retention: Duration.days(365) } });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'trail-bucket/' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } } },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'ExpireAuditLogs', ExpirationInDays: 2555 })]) },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    const governance = build({ objectLock: { mode: s3.ObjectLockMode.GOVERNANCE, retention: Duration.days(30) } }).template;
    governance.hasResourceProperties('AWS::S3::Bucket', { ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } } } });
    const without = build().template;
    without.hasResourceProperties('AWS::S3::Bucket', { BucketEncryption: Match.anyValue(), ObjectLockEnabled: Match.absent() });
  });

  test('rejects a malformed Bedrock type and a lock longer than the retention', () => {
    expect(() => build({ bedrockDataResourceTypes: ['Bedrock::Model'] })).toThrow(/bedrockDataResourceTypes: 'Bedrock::Model' is not a Bedrock resource type/);
    expect(() => build({ retention: Duration.days(30), objectLock: { retention: Duration.days(90) } })).toThrow(/objectLock.retention \(90 days\) must not exceed retention \(30 days\)/);
  });

  test('every compliance pack passes on the trail with no open finding', async () => {
    // build() with its defaults, as compliance-apps.ts builds it for the shared synthesis.
    const { report } = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'auditTrailApp' });
    expect(report.pluginFailures).toEqual([]);
    expect(report.findings.map((f) => `${f.findingId} ${f.constructPath}`)).toEqual([]);
  }, SHARED_SYNTHESIS_TIMEOUT_MS);
});
