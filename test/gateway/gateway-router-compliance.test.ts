import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CompliancePack } from '../../lib/compliance/compliance-pack';
import { GatewayCompliance } from '../../lib/compliance/gateway-compliance';
import { GatewayRouter, GatewayRouterProps } from '../../lib/gateway/gateway-router';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';
import { actionsOf, statementsOfRole, TemplateStatement } from '../helpers/iam-statements';
import { testConfig } from '../helpers/router-config';
import { BEDROCK_ONLY, ENV } from './compliance-apps';

// One test runs every pack, Control Tower included, on shared syntheses (test/helpers/synthesis).

function build(props: Partial<GatewayRouterProps> = {}, stack = new Stack(new App(), 'Stack', { env: ENV })) {
  const router = new GatewayRouter(stack, 'Router', { config: BEDROCK_ONLY, ...props });
  return { stack, router };
}

const isolatedVpc = (stack: Stack) => new ec2.Vpc(stack, 'Vpc', {
  maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
});

function roleStatements(stack: Stack, router: GatewayRouter, template: Template): TemplateStatement[] {
  return statementsOfRole(template, stack.getLogicalId(router.role.node.defaultChild as never));
}

/** Finding ids acknowledged on the construct at `path` below the stack, sorted. */
function acknowledgedOn(stack: Stack, path: string): string[] {
  return GatewayCompliance.reviewAcknowledgments(stack)
    .filter((a) => a.constructPath === `${stack.node.path}/${path}`).map((a) => a.findingId).sort();
}

const DLQ = ['HIPAA.Security-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ', 'Serverless-LambdaDLQ'];
const CONCURRENCY = ['HIPAA.Security-LambdaConcurrency', 'NIST.800.53.R5-LambdaConcurrency'];
const OUTSIDE_VPC = ['CT.LAMBDA.PR.3', 'HIPAA.Security-LambdaInsideVPC', 'NIST.800.53.R5-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC'];

describe('GatewayRouter execution role', () => {
  test('the latest Node.js runtime (AwsSolutions-L1, Serverless-LambdaLatestVersion), arm64, X-Ray tracing', () => {
    const { stack } = build();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: lambda.Runtime.NODEJS_24_X.name, Architectures: ['arm64'], TracingConfig: { Mode: 'Active' },
    });
  });

  test('no AWS managed policy and no inline policy: only customer-managed policies of this stack', () => {
    const { stack, router } = build();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const role = template.findResources('AWS::IAM::Role')[stack.getLogicalId(router.role.node.defaultChild as never)];
    expect(role.Properties.Policies).toBeUndefined();
    const managed = Object.keys(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(role.Properties.ManagedPolicyArns.map((a: { Ref?: string }) => a.Ref).sort()).toEqual([...managed].sort());
    expect(JSON.stringify(role)).not.toMatch(/AWSLambdaBasicExecutionRole|iam::aws:policy/);
  });

  test('log permissions name only the router\'s own log group', () => {
    const { stack, router } = build();
    const template = Template.fromStack(stack);
    const logGroupId = stack.getLogicalId(router.logGroup.node.defaultChild as never);
    const logs = roleStatements(stack, router, template).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
    expect(logs).toEqual([{
      Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
    }]);
  });

  test('X-Ray writes are in their own policy, once, and are the only Resource "*" of the role', () => {
    const { stack, router } = build();
    const template = Template.fromStack(stack);
    const statements = roleStatements(stack, router, template);
    const wildcard = statements.filter((s) => JSON.stringify(s.Resource) === '"*"');
    expect(wildcard).toEqual([
      { Sid: 'WriteTraces', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
      // The router's own spans (OTLP to X-Ray, the default trace export), in the same policy.
      { Sid: 'WriteSpans', Effect: 'Allow', Action: ['xray:PutSpans', 'xray:PutSpansForIndexing'], Resource: '*' },
    ]);
    expect(acknowledgedOn(stack, 'Router/Role/TracingPolicy')).toEqual(['AwsSolutions-IAM5[Resource::*]']);
    expect(acknowledgedOn(stack, 'Router/Role/Policy')).toEqual([]);
  });

  test('without tracing: no X-Ray statement, no tracing policy, nothing acknowledged for it', () => {
    const { stack, router } = build({ tracing: lambda.Tracing.DISABLED });
    const template = Template.fromStack(stack);
    expect(roleStatements(stack, router, template).flatMap(actionsOf).filter((a) => a.startsWith('xray:'))).toEqual([]);
    expect(acknowledgedOn(stack, 'Router/Role/TracingPolicy')).toEqual([]);
  });

  test('grants made later (targets, tables) go to the customer-managed policy, and a "*" among them is not acknowledged', () => {
    const { stack, router } = build();
    const table = new dynamodb.Table(stack, 'Ledger', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    table.grantReadWriteData(router);
    router.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const statements = roleStatements(stack, router, template);
    expect(statements.some((s) => actionsOf(s).includes('dynamodb:PutItem'))).toBe(true);
    const policyId = stack.getLogicalId((router.role.node.findChild('Policy').node.defaultChild) as never);
    const policy = template.findResources('AWS::IAM::ManagedPolicy')[policyId];
    expect(JSON.stringify(policy)).toMatch(/s3:GetObject/);
    // The X-Ray acknowledgment sits on the tracing policy, so it does not cover this wildcard.
    expect(acknowledgedOn(stack, 'Router/Role/Policy')).toEqual([]);
  });

  test('in a VPC: Lambda\'s network interface actions in their own policy, not AWSLambdaVPCAccessExecutionRole', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const { router } = build({ vpc: isolatedVpc(stack) }, stack);
    const template = Template.fromStack(stack);
    const network = roleStatements(stack, router, template).filter((s) => actionsOf(s).some((a) => a.startsWith('ec2:')));
    expect(network).toEqual([{
      Sid: 'ManageVpcNetworkInterfaces', Effect: 'Allow', Resource: '*',
      Action: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
    }]);
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toMatch(/AWSLambdaVPCAccessExecutionRole/);
    expect(acknowledgedOn(stack, 'Router/Role/NetworkInterfacesPolicy')).toEqual(['AwsSolutions-IAM5[Resource::*]']);
    // The function is created only after the role has its policies (ENI permissions are checked at creation).
    const fnId = stack.getLogicalId(router.function.node.defaultChild as never);
    expect(template.findResources('AWS::Lambda::Function')[fnId].DependsOn).toEqual(expect.arrayContaining([
      expect.stringMatching(/^RouterRoleNetworkInterfacesPolicy/), expect.stringMatching(/^RouterRole[0-9A-F]{8}$/),
    ]));
  });
});

describe('GatewayRouter acknowledgments', () => {
  test('by default: dead-letter queue, reserved concurrency and VPC findings on the function resource, with reasons', () => {
    const { stack } = build();
    expect(acknowledgedOn(stack, 'Router/Function/Resource')).toEqual([...DLQ, ...CONCURRENCY, ...OUTSIDE_VPC].sort());
    const acks = GatewayCompliance.reviewAcknowledgments(stack);
    expect(acks.filter((a) => a.problem !== undefined)).toEqual([]);
    expect(acks.find((a) => a.findingId === 'Serverless-LambdaDLQ')!.reason).toMatch(/synchronously.*response streaming/);
    expect(acks.find((a) => a.findingId === 'NIST.800.53.R5-LambdaConcurrency')!.reason).toMatch(/reservedConcurrentExecutions/);
    expect(acks.find((a) => a.findingId === 'CT.LAMBDA.PR.3')!.reason).toMatch(/Bedrock Runtime/);
  });

  test('reserved concurrency set: no concurrency acknowledgment', () => {
    const { stack } = build({ reservedConcurrentExecutions: 100 });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 100 });
    expect(acknowledgedOn(stack, 'Router/Function/Resource')).toEqual([...DLQ, ...OUTSIDE_VPC].sort());
  });

  test('in a VPC: no VPC acknowledgment', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    build({ vpc: isolatedVpc(stack) }, stack);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { VpcConfig: Match.anyValue() });
    expect(acknowledgedOn(stack, 'Router/Function/Resource')).toEqual([...DLQ, ...CONCURRENCY].sort());
  });

  test('with a self-hosted (OpenAI-compatible) target and no VPC the VPC findings are not acknowledged: the router calls more than AWS APIs', () => {
    const { stack } = build({ config: testConfig() });
    expect(acknowledgedOn(stack, 'Router/Function/Resource')).toEqual([...DLQ, ...CONCURRENCY].sort());
  });

  test('every pack on a real synthesis: nothing open on the router by default; the VPC findings come back with a self-hosted target', async () => {
    const openOnRouter = async (selfHosted: boolean, packs?: CompliancePack[]) => (await sharedSynthesis({
      module: join(__dirname, 'compliance-apps'), exportName: 'routerApp', args: { selfHosted }, packs,
    })).report.findings.filter((f) => f.constructPath.startsWith('Stack/Router/')).map((f) => f.findingId).sort();

    expect(await openOnRouter(false)).toEqual([]);
    expect(await openOnRouter(true, [CompliancePack.NIST_800_53_R5, CompliancePack.HIPAA_SECURITY, CompliancePack.PCI_DSS_321]))
      .toEqual(['HIPAA.Security-LambdaInsideVPC', 'NIST.800.53.R5-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC']);
  }, SHARED_SYNTHESIS_TIMEOUT_MS);
});
