import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ResponseReviewQueue } from '../../lib/validation/response-review-queue';
import { expectReportAcknowledgmentsJustified, expectReportPassed } from '../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';

const APPS = join(__dirname, 'compliance-apps');

function build(props: ConstructorParameters<typeof ResponseReviewQueue>[2] = {}): { stack: Stack; queue: ResponseReviewQueue; template: () => Template } {
  const stack = new Stack(new App(), 'S', { env: { account: '111122223333', region: 'us-east-1' } });
  const queue = new ResponseReviewQueue(stack, 'Reviews', props);
  return { stack, queue, template: () => Template.fromStack(stack) };
}

describe('ResponseReviewQueue', () => {
  const { template } = build();
  const t = template();

  test('the queue is KMS-encrypted with the construct key and redrives to a dead-letter queue after 5 receives', () => {
    t.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('ReviewsKey'), 'Arn'] }),
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
    });
  });

  test('both queues refuse non-TLS access', () => {
    t.resourcePropertiesCountIs('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    }, 2);
  });

  test('the quarantine bucket is SSE-KMS, versioned, private, access-logged and expires answers after 30 days', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: Match.stringLikeRegexp('^review-quarantine/') }),
      LifecycleConfiguration: { Rules: [Match.objectLike({ Id: 'ExpireQuarantinedAnswers', ExpirationInDays: 30, Status: 'Enabled' })] },
    });
  });

  test('the reviews table has the byStatus index the CLI queries, point-in-time recovery and the customer key', () => {
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'reviewId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }, { AttributeName: 'createdAt', KeyType: 'RANGE' }] })],
      PointInTimeRecoverySpecification: Match.objectLike({ PointInTimeRecoveryEnabled: true }),
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
    });
  });

  test('quarantineRetention sets the expiry; out of range is refused naming the prop', () => {
    const custom = build({ quarantineRetention: Duration.days(7) }).template();
    custom.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7 })] } });
    expect(() => build({ quarantineRetention: Duration.days(4000) })).toThrow(/quarantineRetention/);
    expect(() => build({ messageRetention: Duration.days(15) })).toThrow(/messageRetention/);
  });

  test('grantSubmit: PutItem on the table, SendMessage on the queue, PutObject under quarantine/ only, no reads', () => {
    const { stack, queue } = build();
    const role = new iam.Role(stack, 'Router', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    queue.grantSubmit(role);
    const statements = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const actions = Object.values(statements).flatMap((p) => (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => s.Action));
    expect(actions.sort()).toEqual(['dynamodb:PutItem', 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 's3:PutObject', 'sqs:SendMessage']);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [Match.anyValue(), '/quarantine/*']] } })]) },
    });
  });

  test('routerEnvironment names the table, queue and bucket', () => {
    const { stack, queue } = build();
    const env = stack.resolve(queue.routerEnvironment()) as Record<string, unknown>;
    expect(Object.keys(env).sort()).toEqual(['GATEWAY_REVIEW_BUCKET', 'GATEWAY_REVIEW_QUEUE_URL', 'GATEWAY_REVIEW_TABLE']);
  });
});

describe('ResponseReviewQueue compliance', () => {
  test('passes every pack, each acknowledgment justified', async () => {
    const { report } = await sharedSynthesis({ module: APPS, exportName: 'reviewQueueApp' });
    expectReportPassed(report);
    expectReportAcknowledgmentsJustified(report, 'Reviews/ReviewQueue');
  }, SHARED_SYNTHESIS_TIMEOUT_MS);

  test('polarity: an unencrypted queue without a dead-letter queue is reported', async () => {
    const { report } = await sharedSynthesis({ module: APPS, exportName: 'plainQueueApp' });
    const ids = report.findings.filter((f) => f.constructPath.includes('Plain')).map((f) => f.findingId);
    expect(ids).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  }, SHARED_SYNTHESIS_TIMEOUT_MS);
});
