import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { GatewayRouter, GatewayRouterProps } from '../../lib/gateway/gateway-router';
import { GatewayConfig, TargetKind } from '../../lambda/shared/config';

const CONFIG: GatewayConfig = {
  tenants: [{ id: 'acme', allowedAliases: ['chat'] }],
  targets: [{ id: 'nova', kind: TargetKind.BEDROCK, modelId: 'amazon.nova-micro-v1:0' }],
  routes: [{ alias: 'chat', targets: ['nova'] }],
  prices: { 'amazon.nova-micro-v1:0': { inputUsdPer1K: 0.000035, outputUsdPer1K: 0.00014 } },
};

function build(props: Partial<GatewayRouterProps> = {}): { stack: Stack; router: GatewayRouter } {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'us-east-1' } });
  const router = new GatewayRouter(stack, 'Router', { config: CONFIG, ...props });
  return { stack, router };
}

describe('GatewayRouter', () => {
  test('validates the configuration at synth and names the bad field', () => {
    expect(() => build({ config: { ...CONFIG, routes: [{ alias: 'chat', targets: ['missing'] }] } }))
      .toThrow(/config is not a valid gateway configuration:[\s\S]*routes\[0\]\.targets\[0\][\s\S]*missing/);
  });

  test('values that are tokens are checked at deploy time, everything else at synth', () => {
    const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'us-east-1' } });
    const bucket = new s3.Bucket(stack, 'AnyResource');
    const tokenArn = `arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/${bucket.bucketName}`;
    const config: GatewayConfig = {
      ...CONFIG,
      targets: [{ id: 'nova', kind: TargetKind.BEDROCK, profileArns: { acme: tokenArn }, priceModelId: 'amazon.nova-micro-v1:0' }],
    };
    expect(() => new GatewayRouter(stack, 'Router', { config })).not.toThrow();
    const content = Template.fromStack(stack).findResources('AWS::AppConfig::HostedConfigurationVersion');
    expect(JSON.stringify(content)).toMatch(/"Ref":"AnyResource/);
  });

  test('the configuration travels through AppConfig, not the environment', () => {
    const { stack } = build();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::AppConfig::HostedConfigurationVersion', {
      ContentType: 'application/json',
      Content: Match.stringLikeRegexp('"alias":"chat"'),
    });
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(JSON.stringify(fn.Properties.Environment)).not.toMatch(/amazon\.nova/);
  });

  test('runs in a VPC with its own security group: no ingress, egress HTTPS only (no all-traffic rule)', () => {
    const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'us-east-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const router = new GatewayRouter(stack, 'Router', { config: CONFIG, vpc });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('router'),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.stringLikeRegexp('HTTPS') }],
      SecurityGroupIngress: Match.absent(),
    });
    expect(router.connections.securityGroups).toHaveLength(1);
  });

  test('outside a VPC it has no connections to offer', () => {
    expect(() => build().router.connections).toThrow(/does not run in a VPC/);
  });

  test.each<[string, Partial<GatewayRouterProps>, RegExp]>([
    ['memory', { memorySize: 100 }, /memorySize must be an integer between 256 and 10240 MiB, received 100/],
    ['timeout', { timeout: Duration.minutes(20) }, /timeout must be between 30 seconds and 15 minutes, received 20 minutes/],
    ['reserved env', { environment: { GATEWAY_CONFIG_VERSION: 'x' } }, /environment may not set GATEWAY_CONFIG_VERSION/],
    ['timeout env', { environment: { GATEWAY_FUNCTION_TIMEOUT_MS: '1' } }, /environment may not set GATEWAY_FUNCTION_TIMEOUT_MS/],
    // the default total deadline is 60 000 ms; the settle margin 15 000 ms
    ['timeout within the deadline plus settle margin', { timeout: Duration.seconds(75) },
      /timeout \(75 s\) must exceed the configuration's total deadline timeouts.totalMs \(60000 ms\) plus the settle margin \(15000 ms\)/],
    ['subnets without vpc', { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }, /vpcSubnets and securityGroups need vpc/],
  ])('rejects a bad %s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('a timeout beyond the deadline plus the settle margin is accepted and given to the runtime', () => {
    const { stack } = build({ timeout: Duration.seconds(76) });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 76, Environment: { Variables: Match.objectLike({ GATEWAY_FUNCTION_TIMEOUT_MS: '76000' }) },
    });
  });
});
