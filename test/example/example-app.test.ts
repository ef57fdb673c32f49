import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildExampleApp } from '../../bin/example';
import { QUIET_VALIDATION } from '../helpers/compliance';

/**
 * Snapshots of the example platform's stacks. They complement the construct tests' assertions:
 * any change to what the example synthesizes shows up in review. Asset hashes are normalised by
 * the snapshot serializer (jest.config.js), so rebundling does not churn them.
 */
describe('the example app (bin/example.ts)', () => {
  const app = buildExampleApp(new App({ context: QUIET_VALIDATION }));
  const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c));

  test('has the invocation logging, network, self-hosted and gateway stacks; the gateway depends on the models, both on the network', () => {
    expect(stacks.map((s) => s.stackName).sort()).toEqual(['AiGatewayExample', 'AiGatewayInvocationLogging', 'AiGatewayNetwork', 'AiGatewaySelfHosted']);
    app.synth(); // stack dependencies are recorded while references are resolved
    const byName = (name: string) => stacks.find((s) => s.stackName === name)!;
    expect(byName('AiGatewayExample').dependencies.map((d) => d.stackName).sort()).toEqual(['AiGatewayNetwork', 'AiGatewaySelfHosted']);
    expect(byName('AiGatewaySelfHosted').dependencies.map((d) => d.stackName)).toEqual(['AiGatewayNetwork']);
    expect(byName('AiGatewayNetwork').dependencies).toEqual([]);
  });

  test('the shared VPC has the router\'s endpoints, so the gateway creates none; the EKS cluster runs in its private subnets', () => {
    const network = Template.fromStack(stacks.find((s) => s.stackName === 'AiGatewayNetwork')!);
    network.resourceCountIs('AWS::EC2::VPC', 1);
    network.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.bedrock-runtime', PrivateDnsEnabled: true });
    const gateway = Template.fromStack(stacks.find((s) => s.stackName === 'AiGatewayExample')!);
    gateway.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    const selfHosted = Template.fromStack(stacks.find((s) => s.stackName === 'AiGatewaySelfHosted')!);
    selfHosted.resourceCountIs('AWS::EC2::VPC', 0);
  });

  test('the self-hosted model is the chat-8b route\'s first target, and only the router may reach its load balancer', () => {
    const gateway = Template.fromStack(stacks.find((s) => s.stackName === 'AiGatewayExample')!);
    gateway.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp', FromPort: 80, ToPort: 80,
      GroupId: { 'Fn::ImportValue': Match.stringLikeRegexp('^AiGatewaySelfHosted:.*Endpoint0SecurityGroup') },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GatewayRouterSecurityGroup'), 'GroupId'] },
    });
    const selfHosted = Template.fromStack(stacks.find((s) => s.stackName === 'AiGatewaySelfHosted')!);
    const ingress = Object.values(selfHosted.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes('Endpoint0SecurityGroup'));
    expect(ingress).toEqual([]);
    const [endpointSg] = Object.entries(selfHosted.findResources('AWS::EC2::SecurityGroup')).filter(([id]) => /Endpoint0SecurityGroup/.test(id));
    expect(endpointSg[1].Properties.SecurityGroupIngress).toBeUndefined();
  });

  test.each(['AiGatewayInvocationLogging', 'AiGatewayNetwork', 'AiGatewaySelfHosted', 'AiGatewayExample'])('%s matches its snapshot', (name) => {
    const stack = stacks.find((s) => s.stackName === name)!;
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });

  test('synthesizes offline without an account: no lookups, no context needed', () => {
    const manifest = app.synth().manifest;
    expect(manifest.missing ?? []).toEqual([]);
  });
});
