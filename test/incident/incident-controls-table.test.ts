import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AiGateway } from '../../lib/gateway/ai-gateway';
import { IncidentControlsTable } from '../../lib/incident/incident-controls-table';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { statementsOfRole } from '../helpers/iam-statements';

const ENV = { account: '111122223333', region: 'us-east-1' };

describe('IncidentControlsTable', () => {
  test('a KMS-encrypted on-demand table with pk/sk, point-in-time recovery and deletion protection, retained', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    new IncidentControlsTable(stack, 'Controls');
    const template = Template.fromStack(stack);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ControlsKey'), 'Arn'] } },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('the router may only Query the CONTROL partition; an operator may not delete or update history', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const controls = new IncidentControlsTable(stack, 'Controls');
    const router = new iam.Role(stack, 'Router', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    controls.grantReadControls(router);
    controls.grantOperate(operator);
    const template = Template.fromStack(stack);
    const routerDynamo = statementsOfRole(template, stack.getLogicalId(router.node.defaultChild as never)).filter((s) => JSON.stringify(s.Action).includes('dynamodb'));
    expect(routerDynamo).toEqual([expect.objectContaining({
      Action: 'dynamodb:Query', Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['CONTROL'] } },
    })]);
    const operatorDynamo = statementsOfRole(template, stack.getLogicalId(operator.node.defaultChild as never)).filter((s) => JSON.stringify(s.Action).includes('dynamodb'));
    const historyWrites = operatorDynamo.filter((s) => JSON.stringify(s.Condition ?? {}).includes('HISTORY'));
    expect(historyWrites).toEqual([expect.objectContaining({ Action: 'dynamodb:PutItem' })]);
    expect(operatorDynamo.flatMap((s) => [s.Action].flat())).not.toContain('dynamodb:UpdateItem');
    const deletes = operatorDynamo.filter((s) => [s.Action].flat().includes('dynamodb:DeleteItem'));
    expect(deletes).toHaveLength(1);
    expect(deletes.every((s) => JSON.stringify(s.Condition) === JSON.stringify({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['CONTROL'] } }))).toBe(true);
  });

  test('cacheSeconds: 0 to 30', () => {
    expect(() => new IncidentControlsTable(new Stack(), 'C', { cacheSeconds: 60 })).toThrow(/cacheSeconds must be an integer from 0 to 30, received 60/);
  });
});

describe('AiGateway incident controls', () => {
  const build = (incidentControls?: boolean) => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const gateway = new AiGateway(stack, 'Gateway', {
      incidentControls,
      tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10 }],
      tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard' }],
      routes: [{ alias: 'classify', model: ModelSource.foundationModel('amazon.nova-micro-v1:0'), guardrail: false }],
    });
    return { stack, gateway, template: Template.fromStack(stack) };
  };

  test('on by default: the router knows the table and its cache period, and may read its controls', () => {
    const { stack, gateway, template } = build();
    expect(gateway.incidentControls).toBeDefined();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('router'),
      Environment: { Variables: Match.objectLike({ GATEWAY_CONTROLS_TABLE: { Ref: Match.stringLikeRegexp('IncidentControlsTable') }, GATEWAY_CONTROLS_CACHE_SECONDS: '30' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'cdk-ai-gateway tenant-key authorizer',
      Environment: { Variables: Match.objectLike({ GATEWAY_CONTROLS_TABLE: { Ref: Match.stringLikeRegexp('IncidentControlsTable') } }) },
    });
    const statements = statementsOfRole(template, stack.getLogicalId(gateway.router.role.node.defaultChild as never));
    expect(statements).toEqual(expect.arrayContaining([expect.objectContaining({ Action: 'dynamodb:Query', Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['CONTROL'] } } })]));
  });

  test('incidentControls: false builds no table and sets no variable', () => {
    const { gateway, template } = build(false);
    expect(gateway.incidentControls).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toContain('GATEWAY_CONTROLS_TABLE');
  });
});
