import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { GatewayCompliance } from '../../lib/compliance/gateway-compliance';
import { AiGateway, AiGatewayProps } from '../../lib/gateway/ai-gateway';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';
import { resourcesOf, statementsOfRole } from '../helpers/iam-statements';
import { AI_GATEWAY_BASE as BASE, ENV, HAIKU } from './compliance-apps';

function build(props: Partial<AiGatewayProps> = {}, stack = new Stack(new App(), 'Stack', { env: ENV })) {
  const gateway = new AiGateway(stack, 'Gateway', { ...BASE, ...props });
  return { stack, gateway };
}

/** Finding ids acknowledged on the construct at `path` below the stack, sorted. */
function acknowledgedOn(stack: Stack, path: string): string[] {
  return GatewayCompliance.reviewAcknowledgments(stack)
    .filter((a) => a.constructPath === `${stack.node.path}/${path}`).map((a) => a.findingId).sort();
}

describe('AiGateway: the Region wildcard of cross-Region inference', () => {
  test('the router policy acknowledges exactly the foundation-model ARN with a Region wildcard, which it holds, and no other IAM5 finding', () => {
    const { stack, gateway } = build();
    const id = `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/${HAIKU}]`;
    expect(acknowledgedOn(stack, 'Gateway/Router/Role/Policy')).toEqual([id]);
    const template = Template.fromStack(stack);
    const resources = statementsOfRole(template, stack.getLogicalId(gateway.router.role.node.defaultChild as never)).flatMap(resourcesOf);
    expect(resources).toContainEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:bedrock:*::foundation-model/${HAIKU}`]] });
    const reason = GatewayCompliance.reviewAcknowledgments(stack).find((a) => a.findingId === id)!;
    expect(reason.problem).toBeUndefined();
    expect(reason.reason).toMatch(/cross-Region inference profile/);
  });

  test('routes on in-Region foundation models only: nothing to acknowledge', () => {
    const { stack } = build({ routes: [{ alias: 'classify', model: ModelSource.foundationModel('amazon.nova-micro-v1:0') }] });
    expect(acknowledgedOn(stack, 'Gateway/Router/Role/Policy')).toEqual([]);
  });

  test('a global profile: only the ARN with the Region wildcard is acknowledged (the Region-less one has no wildcard)', () => {
    const { stack } = build({ routes: [{ alias: 'summary', model: ModelSource.crossRegionProfile(`global.${HAIKU}`) }] });
    expect(acknowledgedOn(stack, 'Gateway/Router/Role/Policy')).toEqual([
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/${HAIKU}]`,
    ]);
  });
});

describe('AiGateway: tenant-key backups', () => {
  test('tenantKeyBackupPlan selects the tenant-key table into the plan', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const plan = backup.BackupPlan.fromBackupPlanId(stack, 'OrgPlan', 'plan-0123456789');
    const { gateway } = build({ tenantKeyBackupPlan: plan }, stack);
    const tableId = stack.getLogicalId((gateway.tenantKeyTable as dynamodb.Table).node.defaultChild as dynamodb.CfnTable);
    Template.fromStack(stack).hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupPlanId: 'plan-0123456789',
      BackupSelection: Match.objectLike({ Resources: [{ 'Fn::GetAtt': [tableId, 'Arn'] }] }),
    });
    expect(acknowledgedOn(stack, 'Gateway/TenantKeys/Table/Resource')).toEqual([]);
  });

  test('tenantKeyBackupPlan with a table of your own is refused', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const plan = backup.BackupPlan.fromBackupPlanId(stack, 'OrgPlan', 'plan-0123456789');
    const table = dynamodb.Table.fromTableName(stack, 'Mine', 'my-keys');
    expect(() => build({ tenantKeyBackupPlan: plan, tenantKeyTable: table }, stack)).toThrow(/tenantKeyBackupPlan applies only to the tenant-key table this construct creates, and tenantKeyTable was given/);
  });
});

describe('AiGateway: every pack', () => {
  test('in a VPC with reserved concurrency nothing is open, and the VPC and concurrency findings are neither raised nor acknowledged on the gateway\'s functions', async () => {
    const { report } = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'aiGatewayInVpcApp' });
    expect(report.findings).toEqual([]);
    expect(report.pluginFailures).toEqual([]);
    expect(report.unusedAcknowledgments).toEqual([]);
    const routerAcks = report.acknowledgedFindings.filter((f) => f.constructPath === 'Stack/Gateway/Router/Function/Resource').map((f) => f.findingId);
    expect(routerAcks.sort()).toEqual(['HIPAA.Security-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ', 'Serverless-LambdaDLQ']);
    const outsideVpc = report.acknowledgedFindings.filter((f) => /LambdaInsideVPC|CT\.LAMBDA\.PR\.3/.test(f.findingId));
    // Only the deploy-time DynamoDB prefix list lookup runs outside the VPC (an isolated VPC has no
    // route to the EC2 API), acknowledged with what it calls.
    expect([...new Set(outsideVpc.map((f) => f.constructPath))]).toEqual(['Stack/AWS679f53fac002430cb0da5b7982bd2287/Resource']);
    expect(outsideVpc.map((f) => f.findingId).sort()).toEqual(['CT.LAMBDA.PR.3', 'HIPAA.Security-LambdaInsideVPC', 'NIST.800.53.R5-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC']);
    for (const f of outsideVpc) expect(f.reason).toMatch(/DescribeManagedPrefixLists/);
    // Its Resource "*" is acknowledged on its own policy, for that action only.
    expect(report.acknowledgedFindings).toEqual(expect.arrayContaining([expect.objectContaining({
      findingId: 'AwsSolutions-IAM5[Resource::*]',
      constructPath: 'Stack/CdkAiGatewayDynamoDbPrefixList/DescribePolicy/Resource',
      reason: expect.stringMatching(/ec2:DescribeManagedPrefixLists supports no resource-level permissions/),
    })]));
  }, SHARED_SYNTHESIS_TIMEOUT_MS);
});
