/**
 * The batch route of an AiGateway (`batch` prop): the bucket, the state table, the Bedrock service
 * role, the worker on the job state change rule and the tick, the router's environment and the
 * Batch API routes; one fact per test, from one shared synthesis, which also ran every compliance pack.
 */
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { BATCH_TICK_EVENT } from '../../lambda/shared/batch-table-schema';
import { AiGateway } from '../../lib/gateway/ai-gateway';
import { AI_GATEWAY_BASE } from '../gateway/compliance-apps';
import { expectReportAcknowledgmentsJustified, expectReportPassed } from '../helpers/compliance';
import { actionsOf, resourcesOf, statementsOfRole, TemplateStatement } from '../helpers/iam-statements';
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

/** The logical id of the role of the function with `handler` (the worker shares the router's role). */
function roleOf(handler: string): string {
  const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Handler: handler } }))[0];
  return fn.Properties.Role['Fn::GetAtt'][0];
}

function serviceRoleId(): string {
  const [id] = Object.entries(template.findResources('AWS::IAM::Role'))
    .find(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('bedrock.amazonaws.com'))!;
  return id;
}

const granting = (statements: TemplateStatement[], action: string) => statements.filter((s) => actionsOf(s).includes(action));

test('the Bedrock service role has no inline policy: its grants are in a customer-managed policy', () => {
  const id = serviceRoleId();
  const inline = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${id}"`));
  expect(inline).toEqual([]);
  expect(template.toJSON().Resources[id].Properties.Policies).toBeUndefined();
  expect(granting(statementsOfRole(template, id), 'bedrock:InvokeModel')).toHaveLength(1);
});

test('the router and worker role names every action it is granted: no wildcard action', () => {
  const wildcards = statementsOfRole(template, roleOf('index.batchHandler')).flatMap(actionsOf).filter((a) => a.includes('*'));
  expect(wildcards).toEqual([]);
});

test('the router starts batch jobs only on the tenants\' inference profiles and the models they route to', () => {
  const [create] = granting(statementsOfRole(template, roleOf('index.batchHandler')), 'bedrock:CreateModelInvocationJob');
  const resources = resourcesOf(create).map((r) => JSON.stringify(r));
  expect(resources.some((r) => r.includes(':model-invocation-job/*'))).toBe(true);
  expect(resources.filter((r) => r.includes('Profiles'))).toHaveLength(2);
  expect(resources.filter((r) => /(foundation-model|inference-profile)\/\*/.test(r))).toEqual([]);
});

test('the router reads and writes the batch bucket under its files, jobs and spill prefixes only', () => {
  const [objects] = granting(statementsOfRole(template, roleOf('index.batchHandler')), 's3:PutObject');
  expect(actionsOf(objects).sort()).toEqual(['s3:GetObject', 's3:PutObject']);
  expect(resourcesOf(objects).map((r) => JSON.stringify(r).match(/\/(\w+\/)\*"/)?.[1])).toEqual(['files/', 'jobs/', 'spill/']);
});

test('the router reads and writes the state table and its two indexes with named actions', () => {
  const [table] = granting(statementsOfRole(template, roleOf('index.batchHandler')), 'dynamodb:Query')
    .filter((s) => JSON.stringify(s.Resource).includes('BatchTable'));
  expect(actionsOf(table).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
  expect(resourcesOf(table).map((r) => JSON.stringify(r).match(/index\/(\w+)/)?.[1] ?? 'table')).toEqual(['table', 'byCreated', 'open']);
});

test('a gateway with the batch route passes every pack, each acknowledgment justified', () => {
  expectReportPassed(app.report);
  expectReportAcknowledgmentsJustified(app.report, 'Stack/Gateway');
});

describe('in a VPC whose egress the gateway restricts', () => {
  // Built in-process (no pack run): the network facts only.
  const stack = new Stack(new App(), 'VpcStack', { env: { account: '111122223333', region: 'us-east-1' } });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'], privateSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2'],
  });
  new AiGateway(stack, 'Gateway', { ...AI_GATEWAY_BASE, vpc, batch: {} });
  const inVpc = Template.fromStack(stack);

  test('the router starts and stops jobs through a Bedrock control-plane interface endpoint', () => {
    inVpc.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.bedrock', VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
  });

  test('the router reaches the batch bucket through the S3 gateway endpoint, and its egress allows S3\'s prefix list', () => {
    inVpc.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] }, VpcEndpointType: 'Gateway' });
    const [lookupId] = Object.keys(inVpc.findResources('Custom::S3PrefixList'));
    inVpc.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      DestinationPrefixListId: { 'Fn::GetAtt': [lookupId, 'PrefixLists.0.PrefixListId'] }, FromPort: 443, ToPort: 443,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('GatewayRouterSecurityGroup'), 'GroupId'] },
    });
  });
});
