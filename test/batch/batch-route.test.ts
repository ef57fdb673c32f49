/**
 * The batch route of an AiGateway (`batch` prop): the bucket, the state table, the Bedrock service
 * role, the worker on the job state change rule and the tick, the router's environment and the
 * Batch API routes; one fact per test, from one shared synthesis. (The packs still report open findings on the
 * batch route: not yet fixed or acknowledged, so no pack test yet.)
 */
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { BATCH_TICK_EVENT } from '../../lambda/shared/batch-table-schema';
import { SHARED_SYNTHESIS_TIMEOUT_MS, SharedApp, sharedSynthesis } from '../helpers/synthesis';

let app: SharedApp;
let template: Template;

beforeAll(async () => {
  app = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'batchGatewayApp' });
  template = app.template('Stack');
}, SHARED_SYNTHESIS_TIMEOUT_MS);

test('the batch bucket is encrypted with the gateway key', () => {
  template.hasResourceProperties('AWS::S3::Bucket', {
    BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
    LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'jobs/', ExpirationInDays: 30 })]) },
  });
});

test('the Bedrock service role is assumable by Bedrock for this account\'s batch jobs only', () => {
  template.hasResourceProperties('AWS::IAM::Role', {
    AssumeRolePolicyDocument: { Statement: [Match.objectLike({
      Principal: { Service: 'bedrock.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' }, ArnLike: { 'aws:SourceArn': Match.anyValue() } },
    })] },
  });
});

test('the service role writes job outputs under the jobs prefix only', () => {
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'WriteOutputs', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [Match.anyValue(), '/jobs/*/output/*']] } })]) },
  });
});

test('the state table has the listing and unfinished-batch indexes', () => {
  template.hasResourceProperties('AWS::DynamoDB::Table', {
    GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byCreated' }), Match.objectLike({ IndexName: 'open' })],
  });
});

test('Bedrock batch job state changes go to the worker', () => {
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: { 'source': ['aws.bedrock'], 'detail-type': ['Batch Inference Job State Change'] },
  });
});

test('the tick sends the worker the tick event every 5 minutes', () => {
  template.hasResourceProperties('AWS::Scheduler::Schedule', {
    ScheduleExpression: 'rate(5 minutes)', Target: Match.objectLike({ Input: JSON.stringify(BATCH_TICK_EVENT) }),
  });
});

test('the worker runs the router bundle\'s batch handler for up to 15 minutes', () => {
  template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.batchHandler', Timeout: 900 });
});

test('the router is told the batch table, bucket, role and running limit', () => {
  template.hasResourceProperties('AWS::Lambda::Function', {
    Handler: Match.not('index.batchHandler'),
    Environment: { Variables: Match.objectLike({ GATEWAY_BATCH_TABLE: Match.anyValue(), GATEWAY_BATCH_BUCKET: Match.anyValue(), GATEWAY_BATCH_ROLE_ARN: Match.anyValue(), GATEWAY_BATCH_MAX_RUNNING: '3' }) },
  });
});

test('the batch cancel route is behind the tenant authorizer', () => {
  const cancel = Object.entries(template.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: 'cancel' } }));
  expect(cancel).toHaveLength(1);
  template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'CUSTOM', ResourceId: { Ref: cancel[0][0] } });
});

test('the batch worker has a dead-letter queue and reserved concurrency', () => {
  template.hasResourceProperties('AWS::Lambda::Function', {
    Handler: 'index.batchHandler', ReservedConcurrentExecutions: 4, DeadLetterConfig: { TargetArn: Match.anyValue() },
  });
});
