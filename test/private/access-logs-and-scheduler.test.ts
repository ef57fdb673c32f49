/**
 * The shared helpers of lib/private that the batch route, the review queue, invocation logging, the
 * audit trail, the usage sweeper and the knowledge base use: the access log bucket (one place for
 * its settings and the findings it cannot fix) and the scheduler role of a Lambda schedule target.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { GatewayCompliance } from '../../lib/compliance/gateway-compliance';
import { createAccessLogsBucket } from '../../lib/private/access-logs';
import { lambdaScheduleTarget } from '../../lib/private/scheduler-role';
import { statementsOfRole } from '../helpers/iam-statements';

const ENV = { account: '111122223333', region: 'us-east-1' };

describe('createAccessLogsBucket', () => {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  createAccessLogsBucket(stack, 'AccessLogs', { logsOf: 'the batch bucket', neverHolds: 'batch files', removalPolicy: RemovalPolicy.DESTROY });
  const template = Template.fromStack(stack);

  test('SSE-S3 (access log delivery), TLS-only, private, versioned, expired after a year', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 30 } })] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('acknowledges exactly the findings an access log bucket cannot fix, each reason naming the bucket it logs', () => {
    const acks = GatewayCompliance.reviewAcknowledgments(stack);
    // The Control Tower checks as the report names them: KMS encryption, server access logs, event notifications, Object Lock.
    expect(acks.map((a) => a.findingId).sort()).toEqual([
      'CT.S3.PR.10', 'CT.S3.PR.2', 'CT.S3.PR.4', 'CT.S3.PR.9',
      'HIPAA.Security-S3BucketReplicationEnabled', 'HIPAA.Security-S3DefaultEncryptionKMS',
      'NIST.800.53.R5-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3DefaultEncryptionKMS',
      'PCI.DSS.321-S3BucketReplicationEnabled', 'PCI.DSS.321-S3DefaultEncryptionKMS',
    ]);
    for (const a of acks) {
      expect(a.problem).toBeUndefined();
      expect(a.reason).toContain('the batch bucket');
    }
  });
});

describe('lambdaScheduleTarget', () => {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>{}') });
  const deadLetterQueue = new sqs.Queue(stack, 'Dlq');
  new scheduler.Schedule(stack, 'Tick', {
    schedule: scheduler.ScheduleExpression.rate(Duration.minutes(5)),
    target: lambdaScheduleTarget(stack, fn, { purpose: 'the worker', deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.minutes(5) }),
  });
  const template = Template.fromStack(stack);
  const roleId = Object.entries(template.findResources('AWS::IAM::Role'))
    .find(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'))![0];

  test('the role is assumable by EventBridge Scheduler for this account only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } } })] },
    });
  });

  test('it may invoke exactly the function and send to the dead-letter queue, from a managed policy: no inline policy', () => {
    const statements = statementsOfRole(template, roleId);
    expect(statements.map((s) => [s.Sid, s.Action])).toEqual([['InvokeFunction', 'lambda:InvokeFunction'], ['DeadLetters', 'sqs:SendMessage']]);
    expect(Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))).toEqual([]);
  });

  test('the schedule uses that role, the dead-letter queue and the retry policy', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({
        RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Dlq'), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
      }),
    });
  });
});
