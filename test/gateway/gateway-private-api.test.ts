import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AiGateway } from '../../lib/gateway/ai-gateway';
import { GatewayApi, GatewayApiProps, GatewayEndpointType } from '../../lib/gateway/gateway-api';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';

jest.setTimeout(120_000);

const ENV = { account: '111122223333', region: 'us-east-1' };

function build(extra: (stack: Stack, vpc: ec2.Vpc) => Partial<GatewayApiProps>) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  const authorizer = new apigateway.RequestAuthorizer(stack, 'Authorizer', { handler: fn, identitySources: [apigateway.IdentitySource.header('Authorization')] });
  const api = new GatewayApi(stack, 'Gateway', { handler: fn, authorizer, ...extra(stack, vpc) });
  return { stack, api, vpc, template: Template.fromStack(stack) };
}

const policyOf = (template: Template) => Object.values(template.findResources('AWS::ApiGateway::RestApi'))[0].Properties.Policy;

describe('GatewayApi PRIVATE', () => {
  test('creates an execute-api interface endpoint with private DNS, open to the VPC only, and associates it with the PRIVATE API', () => {
    const { stack, api, template } = build((_, vpc) => ({ endpointType: GatewayEndpointType.PRIVATE, privateApi: { vpc } }));
    const endpointId = stack.getLogicalId(api.vpcEndpoint!.node.defaultChild as never);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.us-east-1.execute-api', VpcEndpointType: 'Interface', PrivateDnsEnabled: true,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ FromPort: 443, ToPort: 443, CidrIp: { 'Fn::GetAtt': [Match.stringLikeRegexp('Vpc'), 'CidrBlock'] } })],
    });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['PRIVATE'], VpcEndpointIds: [{ Ref: endpointId }] },
    });
  });

  test('the resource policy admits only that endpoint: allow invoke, deny unless aws:SourceVpce is it', () => {
    const { stack, api, template } = build((_, vpc) => ({ endpointType: GatewayEndpointType.PRIVATE, privateApi: { vpc } }));
    const endpointId = stack.getLogicalId(api.vpcEndpoint!.node.defaultChild as never);
    expect(policyOf(template).Statement).toEqual([
      { Sid: 'AllowInvokeThroughAdmittedEndpoints', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
      {
        Sid: 'DenyInvokeFromAnywhereElse', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'execute-api:Invoke', Resource: 'execute-api:/*',
        Condition: { StringNotEquals: { 'aws:SourceVpce': [{ Ref: endpointId }] } },
      },
    ]);
  });

  test('your own endpoint, plus named VPCs and endpoints of other accounts, in one Deny (denied only when none matches)', () => {
    const { template } = build((stack) => ({
      endpointType: GatewayEndpointType.PRIVATE,
      privateApi: {
        vpcEndpoint: ec2.InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(stack, 'Theirs', { vpcEndpointId: 'vpce-0123456789abcdef0', port: 443 }),
        allowedVpcIds: ['vpc-0aaaaaaaaaaaaaaa1'],
        allowedVpcEndpointIds: ['vpce-0bbbbbbbbbbbbbbb2'],
      },
    }));
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['PRIVATE'], VpcEndpointIds: ['vpce-0123456789abcdef0'] } });
    expect(policyOf(template).Statement[1].Condition).toEqual({
      StringNotEquals: { 'aws:SourceVpce': ['vpce-0123456789abcdef0', 'vpce-0bbbbbbbbbbbbbbb2'], 'aws:SourceVpc': ['vpc-0aaaaaaaaaaaaaaa1'] },
    });
  });

  test('a REGIONAL API has no resource policy and no execute-api endpoint', () => {
    const { template } = build(() => ({}));
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] }, Policy: Match.absent() });
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  test.each([
    [{ endpointType: GatewayEndpointType.PRIVATE }, /endpointType PRIVATE needs privateApi.vpc .* or privateApi.vpcEndpoint/],
    [{ privateApi: { allowedVpcIds: ['vpc-0aaaaaaaaaaaaaaa1'] } }, /privateApi applies only with endpointType PRIVATE, received endpointType REGIONAL/],
    [{ endpointType: 'PUBLIC' as GatewayEndpointType }, /endpointType must be one of REGIONAL, PRIVATE, received 'PUBLIC'/],
  ])('rejects %j', (props, message) => {
    expect(() => build(() => props as Partial<GatewayApiProps>)).toThrow(message);
  });

  test('rejects malformed VPC and endpoint ids', () => {
    expect(() => build((_, vpc) => ({ endpointType: GatewayEndpointType.PRIVATE, privateApi: { vpc, allowedVpcIds: ['my-vpc'] } })))
      .toThrow(/allowedVpcIds: 'my-vpc' is not a VPC id/);
    expect(() => build((_, vpc) => ({ endpointType: GatewayEndpointType.PRIVATE, privateApi: { vpc, allowedVpcEndpointIds: ['vpc-0aaaaaaaaaaaaaaa1'] } })))
      .toThrow(/allowedVpcEndpointIds: 'vpc-0aaaaaaaaaaaaaaa1' is not a VPC endpoint id/);
  });
});

describe('AiGateway PRIVATE', () => {
  test('the endpoint goes in the gateway VPC; the web ACL stays associated with the stage and the methods keep the tenant authorizer', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    new AiGateway(stack, 'Gateway', {
      vpc,
      endpointType: GatewayEndpointType.PRIVATE,
      tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10 }],
      tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard' }],
      routes: [{ alias: 'classify', model: ModelSource.foundationModel('amazon.nova-micro-v1:0'), guardrail: false }],
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.execute-api' });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['PRIVATE'], VpcEndpointIds: [{ Ref: Match.stringLikeRegexp('ExecuteApiEndpoint') }] } });
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/restapis/'), { Ref: Match.stringLikeRegexp('GatewayApiDeploymentStage') }])] },
    });
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
    expect(methods.length).toBeGreaterThan(0);
    for (const m of methods) expect(m.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', ApiKeyRequired: true });
  });
});

describe('AiGateway PRIVATE: compliance', () => {
  test('every pack passes on a private gateway in an imported VPC with no new finding to acknowledge', async () => {
    const { report } = await sharedSynthesis({ module: join(__dirname, 'private-api-compliance-app'), exportName: 'privateGatewayApp' });
    expect(report.findings).toEqual([]);
    expect(report.pluginFailures).toEqual([]);
    expect(report.acknowledgedFindings.filter((f) => /ExecuteApiEndpoint/.test(f.constructPath))).toEqual([]);
  }, SHARED_SYNTHESIS_TIMEOUT_MS);
});
