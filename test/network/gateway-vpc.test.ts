import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AiGateway, GatewayCompliance, GatewayVpc, ModelSource, SelfHostedCluster } from '../../lib';

const ENV = { account: '111122223333', region: 'us-east-1' };

function vpcStack(props: ConstructorParameters<typeof GatewayVpc>[2] = {}): { stack: Stack; vpc: GatewayVpc; template: Template } {
  const stack = new Stack(new App(), 'Network', { env: ENV });
  const vpc = new GatewayVpc(stack, 'Vpc', props);
  return { stack, vpc, template: Template.fromStack(stack) };
}

describe('GatewayVpc', () => {
  test('private subnets with NAT per zone; public subnets assign no public IP', () => {
    const { vpc, template } = vpcStack();
    expect(vpc.privateSubnets).toHaveLength(2);
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    template.hasResourceProperties('AWS::EC2::Subnet', { CidrBlock: Match.stringLikeRegexp('/19$') });
  });

  test('flow logs of all traffic to a KMS-encrypted log group with retention, delivered by a role without inline policy', () => {
    const { template } = vpcStack();
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', ResourceType: 'VPC' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['logs:PutLogEvents']) })]) },
    });
  });

  test('the endpoints the router calls: interface endpoints with private DNS admitting HTTPS from the VPC only, DynamoDB and S3 gateways', () => {
    const { template } = vpcStack();
    for (const service of ['bedrock-runtime', 'appconfigdata', 'logs', 'xray']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: `com.amazonaws.us-east-1.${service}`, VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    }
    for (const service of ['dynamodb', 's3']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, `.${service}`]] }, VpcEndpointType: 'Gateway' });
    }
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'cdk-ai-gateway VPC endpoints: HTTPS from the VPC only',
      SecurityGroupIngress: [Match.objectLike({ FromPort: 443, ToPort: 443, CidrIp: '10.0.0.0/16' })],
    });
  });

  test('natGateways 0: isolated private subnets only, no internet gateway', () => {
    const { vpc, template } = vpcStack({ natGateways: 0 });
    expect(vpc.isolatedSubnets).toHaveLength(2);
    expect(vpc.publicSubnets).toHaveLength(0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  test('gatewayEndpoints false: no endpoint; an AiGateway in it then creates its own', () => {
    const { template } = vpcStack({ gatewayEndpoints: false });
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  test('an AiGateway in a GatewayVpc with endpoints creates none of its own, and refuses createVpcEndpoints: true', () => {
    const stack = new Stack(new App(), 'Gateway', { env: ENV });
    const vpc = new GatewayVpc(stack, 'Vpc', { natGateways: 0 });
    const props = {
      tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10 }],
      tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard' }],
      routes: [{ alias: 'chat', model: ModelSource.foundationModel('amazon.nova-micro-v1:0') }],
      vpc,
    };
    new AiGateway(stack, 'Gateway', props);
    const endpoints = Template.fromStack(stack).findResources('AWS::EC2::VPCEndpoint');
    expect(Object.keys(endpoints).filter((id) => id.startsWith('Gateway'))).toEqual([]);
    expect(() => new AiGateway(stack, 'Again', { ...props, createVpcEndpoints: true })).toThrow(/createVpcEndpoints is true, but vpc \(Gateway\/Vpc\) is a GatewayVpc/);
  });

  test.each([
    [{ maxAzs: 1 }, /maxAzs must be a whole number of at least 2/],
    [{ natGateways: 3 }, /natGateways must be a whole number from 0 to maxAzs \(2\), received 3/],
    [{ privateSubnetCidrMask: 30 }, /privateSubnetCidrMask must be a whole number from 16 to 28, received 30/],
  ])('refuses %j', (props, message) => {
    expect(() => vpcStack(props)).toThrow(message);
  });
});

describe('a cluster in a VPC of a network stack (Control Tower CT.LAMBDA.PR.3)', () => {
  const providerFunctions = (app: App, stackName: string) => GatewayCompliance.reviewAcknowledgments(app)
    .filter((a) => a.findingId === 'CT.LAMBDA.PR.3' && a.constructPath.startsWith(`${stackName}/`))
    .map((a) => a.constructPath)
    .sort();

  test('both kubectl provider functions acknowledge it, naming the network stack; a cluster in its own VPC does not', () => {
    const app = new App();
    const network = new Stack(app, 'Network', { env: ENV });
    const vpc = new GatewayVpc(network, 'Vpc');
    new SelfHostedCluster(new Stack(app, 'Models', { env: ENV }), 'Cluster', { vpc });
    new SelfHostedCluster(new Stack(app, 'OwnVpc', { env: ENV }), 'Cluster');

    expect(providerFunctions(app, 'Models')).toEqual([
      'Models/Cluster/Cluster/KubectlProvider/Handler/Resource',
      'Models/Cluster/Cluster/KubectlProvider/Provider/framework-onEvent/Resource',
    ]);
    const reasons = GatewayCompliance.reviewAcknowledgments(app).filter((a) => a.findingId === 'CT.LAMBDA.PR.3');
    expect(reasons.every((a) => a.reason.includes('of stack Network') && a.problem === undefined)).toBe(true);
    expect(providerFunctions(app, 'OwnVpc')).toEqual([]);
  });
});
