import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { UsageSweeper } from '../../lib/usage/usage-sweeper';
import { UsageTable } from '../../lib/usage/usage-table';
import { expectReportAcknowledgmentsJustified, expectReportPassed } from '../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';

function build(routerTimeout = Duration.minutes(15)): { stack: Stack; sweeper: UsageSweeper } {
  const stack = new Stack(new App(), 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
  const usageTable = new UsageTable(stack, 'Usage');
  return { stack, sweeper: new UsageSweeper(stack, 'Sweeper', { usageTable, routerTimeout }) };
}

describe('UsageSweeper', () => {
  test('a schedule every minute invokes the bundled sweeper, with retries and a dead-letter queue', () => {
    const template = Template.fromStack(build().stack);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SweeperFunction'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SweeperDeadLetterQueue'), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Timeout: 30,
      ReservedConcurrentExecutions: 1,
      Architectures: ['arm64'],
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SweeperDeadLetterQueue'), 'Arn'] } },
      Environment: { Variables: Match.objectLike({ GATEWAY_USAGE_TABLE: { Ref: Match.stringLikeRegexp('^UsageTable') } }) },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120 });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
  });

  test('the function may only read and write items of the usage table (no Scan) and use its key', () => {
    const template = Template.fromStack(build().stack);
    const policies = template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('^Permissions of the cdk-ai-gateway usage sweeper') } });
    const statements = Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } })
      .Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).filter((a) => a.startsWith('dynamodb:')).sort();
    expect(actions).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(JSON.stringify(statements)).not.toMatch(/dynamodb:Scan|dynamodb:\*|"Resource":"\*"/);
  });

  test('in a VPC without security groups it gets its own: no ingress, HTTPS as the only egress', () => {
    const stack = new Stack(new App(), 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const sweeper = new UsageSweeper(stack, 'Sweeper', { usageTable: new UsageTable(stack, 'Usage'), routerTimeout: Duration.minutes(15), vpc });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'cdk-ai-gateway usage sweeper: no ingress; egress to Amazon DynamoDB',
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'usage sweeper: HTTPS to Amazon DynamoDB' }],
      SecurityGroupIngress: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SecurityGroupIds: [{ 'Fn::GetAtt': [stack.getLogicalId(sweeper.securityGroup!.node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] }] },
    });
  });

  test('refuses subnets or security groups without a VPC', () => {
    const stack = new Stack(new App(), 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0 });
    const securityGroups = [new ec2.SecurityGroup(stack, 'Sg', { vpc })];
    expect(() => new UsageSweeper(stack, 'Sweeper', { usageTable: new UsageTable(stack, 'Usage'), routerTimeout: Duration.minutes(15), securityGroups }))
      .toThrow(/vpcSubnets and securityGroups need vpc/);
  });

  test('refuses a router timeout the sweeper cannot settle within twice over', () => {
    expect(() => build(Duration.seconds(60))).toThrow(
      /routerTimeout must be at least 1 minute 30 seconds for the usage sweeper \(every 1 minute, up to 30 seconds a run\) .*received 1 minute/);
    expect(() => build(Duration.seconds(90))).not.toThrow();
  });

  test('passes every compliance pack; acknowledgments name their finding and reason', async () => {
    const { report } = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'usageSweeperApp' });
    expectReportPassed(report);
    expectReportAcknowledgmentsJustified(report, 'Sweeper');
    const ids = new Set(report.acknowledgedFindings.map((f) => f.findingId));
    // the dead-letter queue has none of its own; outside a VPC (it calls only DynamoDB); X-Ray's Resource "*"; the table's backup plan
    expect([...ids].sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*]', 'CT.LAMBDA.PR.3', 'CT.SQS.PR.1', 'HIPAA.Security-DynamoDBInBackupPlan', 'HIPAA.Security-LambdaInsideVPC',
      'NIST.800.53.R5-DynamoDBInBackupPlan', 'NIST.800.53.R5-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC', 'Serverless-SQSRedrivePolicy',
    ]);
  }, SHARED_SYNTHESIS_TIMEOUT_MS);
});
