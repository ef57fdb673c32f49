import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AiGateway, AiGatewayProps } from '../../lib/gateway/ai-gateway';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { ISelfHostedTarget } from '../../lib/selfhosted/self-hosted-target';
import { TargetKind } from '../../lambda/shared/config';

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
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0', Description: expect.stringMatching(/DynamoDB.*dynamoDbPrefixListId/) }),
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

  test('with the DynamoDB prefix list id, DynamoDB egress names the prefix list and no 0.0.0.0/0 rule remains', () => {
    const { template } = build({ dynamoDbPrefixListId: 'pl-0123456789abcdef0' });
    for (const sg of [/GatewayRouterSecurityGroup/, /GatewayAuthorizerSecurityGroup/]) {
      const rules = egressOf(template, sg);
      expect(rules).toEqual(expect.arrayContaining([expect.objectContaining({ FromPort: 443, DestinationPrefixListId: 'pl-0123456789abcdef0' })]));
      expect(rules.some((r) => r.CidrIp === '0.0.0.0/0' || r.CidrIp === undefined && r.DestinationPrefixListId === undefined && r.DestinationSecurityGroupId === undefined)).toBe(false);
    }
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
    const rules = egressOf(template, /GatewayRouterSecurityGroup/);
    expect(rules).toEqual(expect.arrayContaining([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, Description: expect.stringMatching(/createVpcEndpoints is false/) }),
      expect.objectContaining({ FromPort: 8000 }),
    ]));
    expect(rules.some((r) => r.IpProtocol === '-1')).toBe(false);
  });
});
