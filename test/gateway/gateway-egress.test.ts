import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AiGateway, AiGatewayProps } from '../../lib/gateway/ai-gateway';
import { GatewayVpc } from '../../lib/network/gateway-vpc';
import { GatewayRouter } from '../../lib/gateway/gateway-router';
import { TenantAuthorizer } from '../../lib/gateway/tenant-keys/tenant-authorizer';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { ISelfHostedTarget } from '../../lib/selfhosted/self-hosted-target';
import { TargetKind } from '../../lambda/shared/config';
import { testConfig } from '../helpers/router-config';

const ENV = { account: '111122223333', region: 'us-east-1' };

const BASE: AiGatewayProps = {
  tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10 }],
  tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard' }],
  routes: [{ alias: 'summary', targets: ['vllm-8b'], model: ModelSource.foundationModel('amazon.nova-micro-v1:0') }],
};

function build(props: Partial<AiGatewayProps> = {}) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const modelSg = new ec2.SecurityGroup(stack, 'ModelEndpointSg', { vpc, allowAllOutbound: false });
  const target: ISelfHostedTarget = {
    target: { id: 'vllm-8b', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: 'http://internal-nlb.example:8000/v1', model: 'llama-8b' },
    price: { inputUsdPer1K: 0.00005, outputUsdPer1K: 0.0001 },
    port: 8000,
    connections: new ec2.Connections({ securityGroups: [modelSg], defaultPort: ec2.Port.tcp(8000) }),
  };
  const gateway = new AiGateway(stack, 'Gateway', { ...BASE, vpc, selfHostedTargets: [target], ...props });
  return { stack, gateway, template: Template.fromStack(stack) };
}

/** The prefix list id the deploy-time lookup returns. */
const LOOKED_UP_PREFIX_LIST = { 'Fn::GetAtt': [expect.stringMatching(/^CdkAiGatewayDynamoDbPrefixListLookup/), 'PrefixLists.0.PrefixListId'] };

const groupId = (name: string) => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(name), 'GroupId'] });

/** Every egress rule of a security group, inline or separate, as plain objects. */
function egressOf(template: Template, sgPattern: RegExp): Array<Record<string, unknown>> {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const sgId = Object.keys(resources).find((id) => resources[id].Type === 'AWS::EC2::SecurityGroup' && sgPattern.test(id))!;
  const inline = (resources[sgId].Properties.SecurityGroupEgress as Array<Record<string, unknown>> | undefined) ?? [];
  const separate = Object.values(resources)
    .filter((r) => r.Type === 'AWS::EC2::SecurityGroupEgress' && JSON.stringify(r.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [sgId, 'GroupId'] }))
    .map((r) => r.Properties);
  return [...inline, ...separate];
}

describe('AiGateway egress', () => {
  test('router: HTTPS to the interface endpoints, HTTPS for DynamoDB, the self-hosted port on the model security group; nothing else', () => {
    const { template } = build();
    const rules = egressOf(template, /GatewayRouterSecurityGroup/);
    expect(rules).toHaveLength(3);
    expect(rules).toEqual(expect.arrayContaining([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationSecurityGroupId: expect.objectContaining({ 'Fn::GetAtt': [expect.stringMatching(/GatewayEndpointSecurityGroup/), 'GroupId'] }) }),
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationPrefixListId: LOOKED_UP_PREFIX_LIST }),
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 8000, ToPort: 8000, DestinationSecurityGroupId: expect.objectContaining({ 'Fn::GetAtt': [expect.stringMatching(/ModelEndpointSg/), 'GroupId'] }) }),
    ]));
    // No all-traffic rule (protocol -1) anywhere on the router.
    expect(rules.some((r) => r.IpProtocol === '-1')).toBe(false);
  });

  test('authorizer: its own security group, HTTPS to the endpoints and DynamoDB only; the function uses it', () => {
    const { gateway, template } = build();
    const rules = egressOf(template, /GatewayAuthorizerSecurityGroup/);
    expect(rules.map((r) => r.FromPort)).toEqual([443, 443]);
    expect(rules.some((r) => r.IpProtocol === '-1')).toBe(false);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'cdk-ai-gateway tenant-key authorizer',
      VpcConfig: { SecurityGroupIds: [groupId('GatewayAuthorizerSecurityGroup')], SubnetIds: Match.anyValue() },
    });
    // The endpoints admit the authorizer on 443.
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 443, GroupId: groupId('GatewayEndpointSecurityGroup'), SourceSecurityGroupId: groupId('GatewayAuthorizerSecurityGroup'),
    });
    expect(gateway.authorizer.handler.connections.securityGroups).toHaveLength(1);
  });

  test('without dynamoDbPrefixListId, one custom resource per stack looks the Region\'s DynamoDB prefix list up at deploy time', () => {
    const { template } = build();
    template.resourceCountIs('Custom::DynamoDbPrefixList', 1);
    const [lookup] = Object.values(template.findResources('Custom::DynamoDbPrefixList'));
    const create = JSON.parse(lookup.Properties.Create as string);
    expect(create).toEqual({
      service: 'EC2',
      action: 'describeManagedPrefixLists',
      parameters: { Filters: [{ Name: 'prefix-list-name', Values: ['com.amazonaws.us-east-1.dynamodb'] }] },
      outputPaths: ['PrefixLists.0.PrefixListId'],
      physicalResourceId: { responsePath: 'PrefixLists.0.PrefixListId' },
    });
    expect(lookup.Properties.InstallLatestAwsSdk).toBe(false);
    // Its policy: only the read action, in this Region, and attached to the function's role.
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [{
          Sid: 'DescribeManagedPrefixLists',
          Effect: 'Allow',
          Action: 'ec2:DescribeManagedPrefixLists',
          Resource: '*',
          Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
        }],
      },
    });
    const policyId = Object.keys(template.findResources('AWS::IAM::ManagedPolicy', {
      Properties: { PolicyDocument: { Statement: [Match.objectLike({ Sid: 'DescribeManagedPrefixLists' })] } },
    }))[0];
    const fnId = Object.keys(template.toJSON().Resources).find((id) => id.startsWith('AWS679f53fac002430cb0da5b7982bd2287'))!;
    const fn = template.toJSON().Resources[fnId];
    expect(fn.Type).toBe('AWS::Lambda::Function');
    // Its own encrypted log group and a role without inline or AWS managed policies.
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: expect.stringMatching(/^CdkAiGatewayDynamoDbPrefixListLogGroup/) } });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GatewayKey'), 'Arn'] },
      RetentionInDays: 365,
    });
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const role = template.toJSON().Resources[roleId];
    expect(role.Properties.ManagedPolicyArns).toEqual(expect.arrayContaining([{ Ref: policyId }]));
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).not.toContain('arn:aws:iam::aws:policy');
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('two gateways of one stack share one lookup', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const routes: AiGatewayProps['routes'] = [{ alias: 'summary', model: ModelSource.foundationModel('amazon.nova-micro-v1:0') }];
    new AiGateway(stack, 'One', { ...BASE, routes, vpc });
    new AiGateway(stack, 'Two', { ...BASE, routes, vpc });
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::DynamoDbPrefixList', 1);
    for (const sg of [/OneRouterSecurityGroup/, /TwoRouterSecurityGroup/]) {
      expect(egressOf(template, sg)).toEqual(expect.arrayContaining([expect.objectContaining({ DestinationPrefixListId: LOOKED_UP_PREFIX_LIST })]));
    }
  });

  test('in a GatewayVpc with its own endpoints: HTTPS to its endpoint security group and the looked-up DynamoDB prefix list only', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = new GatewayVpc(stack, 'Net', { natGateways: 0 });
    new AiGateway(stack, 'Gateway', { ...BASE, routes: [{ alias: 'summary', model: ModelSource.foundationModel('amazon.nova-micro-v1:0') }], vpc });
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::DynamoDbPrefixList', 1);
    for (const sg of [/GatewayRouterSecurityGroup/, /GatewayAuthorizerSecurityGroup/]) {
      const rules = egressOf(template, sg);
      expect(rules).toEqual([
        expect.objectContaining({ FromPort: 443, DestinationSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^NetEndpointSecurityGroup/), 'GroupId'] } }),
        expect.objectContaining({ FromPort: 443, DestinationPrefixListId: LOOKED_UP_PREFIX_LIST }),
      ]);
    }
  });

  test('the DynamoDB egress of both functions references the looked-up prefix list; no 0.0.0.0/0 rule remains', () => {
    const { template } = build();
    for (const sg of [/GatewayRouterSecurityGroup/, /GatewayAuthorizerSecurityGroup/]) {
      const rules = egressOf(template, sg);
      expect(rules).toEqual(expect.arrayContaining([expect.objectContaining({ FromPort: 443, ToPort: 443, DestinationPrefixListId: LOOKED_UP_PREFIX_LIST })]));
      expect(rules.some((r) => r.CidrIp === '0.0.0.0/0' || r.IpProtocol === '-1')).toBe(false);
    }
  });

  test('with the DynamoDB prefix list id, DynamoDB egress names the prefix list and no 0.0.0.0/0 rule remains', () => {
    const { template } = build({ dynamoDbPrefixListId: 'pl-0123456789abcdef0' });
    for (const sg of [/GatewayRouterSecurityGroup/, /GatewayAuthorizerSecurityGroup/]) {
      const rules = egressOf(template, sg);
      expect(rules).toEqual(expect.arrayContaining([expect.objectContaining({ FromPort: 443, DestinationPrefixListId: 'pl-0123456789abcdef0' })]));
      expect(rules.some((r) => r.CidrIp === '0.0.0.0/0' || r.CidrIp === undefined && r.DestinationPrefixListId === undefined && r.DestinationSecurityGroupId === undefined)).toBe(false);
    }
    // The override avoids the custom resource and its function.
    template.resourceCountIs('Custom::DynamoDbPrefixList', 0);
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).some((id) => id.startsWith('AWS679f53fac002430cb0da5b7982bd2287'))).toBe(false);
  });

  test('a named external endpoint a route needs is allowed on the router only', () => {
    const { template } = build({
      routerEgress: [{ peer: ec2.Peer.ipv4('203.0.113.10/32'), port: ec2.Port.tcp(443), description: 'route classify: partner model endpoint' }],
    });
    expect(egressOf(template, /GatewayRouterSecurityGroup/)).toEqual(expect.arrayContaining([
      expect.objectContaining({ CidrIp: '203.0.113.10/32', FromPort: 443, Description: 'route classify: partner model endpoint' }),
    ]));
    expect(egressOf(template, /GatewayAuthorizerSecurityGroup/).some((r) => r.CidrIp === '203.0.113.10/32')).toBe(false);
  });

  test('without the gateway endpoints, HTTPS to AWS APIs through the VPC\'s own endpoints or NAT; still no all-traffic rule', () => {
    const { template } = build({ createVpcEndpoints: false });
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    // HTTPS to any address covers DynamoDB too: no lookup.
    template.resourceCountIs('Custom::DynamoDbPrefixList', 0);
    const rules = egressOf(template, /GatewayRouterSecurityGroup/);
    expect(rules).toEqual(expect.arrayContaining([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, Description: expect.stringMatching(/createVpcEndpoints is false/) }),
      expect.objectContaining({ FromPort: 8000 }),
    ]));
    expect(rules.some((r) => r.IpProtocol === '-1')).toBe(false);
  });
});

describe('standalone router and authorizer in a VPC', () => {
  /** A RequestAuthorizer synthesizes only attached to a REST API. */
  function attach(stack: Stack, authorizer: TenantAuthorizer): void {
    const api = new apigateway.RestApi(stack, 'Api', { apiKeySourceType: apigateway.ApiKeySourceType.AUTHORIZER });
    api.root.addMethod('GET', new apigateway.MockIntegration(), { authorizer: authorizer.authorizer, apiKeyRequired: true });
  }

  function vpcStack() {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    return { stack, vpc };
  }

  test('GatewayRouter: a security group without the all-traffic rule, HTTPS only; rules a route needs are added through connections', () => {
    const { stack, vpc } = vpcStack();
    const router = new GatewayRouter(stack, 'Router', { config: testConfig(), vpc });
    const modelSg = new ec2.SecurityGroup(stack, 'ModelSg', { vpc, allowAllOutbound: false });
    router.connections.allowTo(modelSg, ec2.Port.tcp(8000), 'route chat: vLLM');
    const template = Template.fromStack(stack);
    const rules = egressOf(template, /RouterSecurityGroup/);
    expect(rules).toEqual(expect.arrayContaining([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' }),
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 8000, ToPort: 8000, DestinationSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^ModelSg/), 'GroupId'] } }),
    ]));
    expect(rules).toHaveLength(2);
    expect(rules.some((r) => r.IpProtocol === '-1')).toBe(false);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^cdk-ai-gateway router'),
      VpcConfig: { SecurityGroupIds: [groupId('RouterSecurityGroup')], SubnetIds: Match.anyValue() },
    });
    expect(router.securityGroup).toBeDefined();
  });

  test('TenantAuthorizer: its own security group, HTTPS only, exposed for more rules', () => {
    const { stack, vpc } = vpcStack();
    const authorizer = new TenantAuthorizer(stack, 'Authorizer', { vpc });
    attach(stack, authorizer);
    const template = Template.fromStack(stack);
    const rules = egressOf(template, /AuthorizerSecurityGroup/);
    expect(rules).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' })]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'cdk-ai-gateway tenant-key authorizer',
      VpcConfig: { SecurityGroupIds: [groupId('AuthorizerSecurityGroup')], SubnetIds: Match.anyValue() },
    });
    expect(authorizer.handler.connections.securityGroups).toEqual([authorizer.securityGroup]);
  });

  test('security groups passed in are used as they are; none is created', () => {
    const { stack, vpc } = vpcStack();
    const own = new ec2.SecurityGroup(stack, 'Own', { vpc, allowAllOutbound: false });
    const router = new GatewayRouter(stack, 'Router', { config: testConfig(), vpc, securityGroups: [own] });
    const authorizer = new TenantAuthorizer(stack, 'Authorizer', { vpc, securityGroups: [own] });
    attach(stack, authorizer);
    expect(router.securityGroup).toBeUndefined();
    expect(authorizer.securityGroup).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::EC2::SecurityGroup', 1);
  });
});
