import { readFileSync } from 'node:fs';
import { App, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AiGateway, AiGatewayProps } from '../../lib/gateway/ai-gateway';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { ISelfHostedTarget } from '../../lib/selfhosted/self-hosted-target';
import { TenantInferenceProfiles } from '../../lib/bedrock/inference-profiles/tenant-inference-profiles';
import { GatewayConfigValidator } from '../../lambda/shared/validator';
import { Sensitivity, TargetKind } from '../../lambda/shared/config';
import { actionsOf, resourcesOf, statementsOfRole, TemplateStatement } from '../helpers/iam-statements';
import { APPCONFIG_VALIDATOR_MAX_CHARS, CONFIG_SCHEMA_FILE, withoutAnnotations } from '../../lib/private/validator-schema';

const ENV = { account: '111122223333', region: 'us-east-1' };

const BASE: AiGatewayProps = {
  tiers: [
    { name: 'standard', rateLimit: 5, burstLimit: 10, quota: { limit: 1000, period: apigateway.Period.DAY } },
    { name: 'premium', rateLimit: 50, burstLimit: 100 },
  ],
  tenants: [
    { id: 'acme', costCenter: 'cc-1', tier: 'premium', sensitivityClearance: Sensitivity.RESTRICTED },
    { id: 'globex', costCenter: 'cc-2', tier: 'standard', allowedAliases: ['summary'] },
  ],
  routes: [
    { alias: 'summary', model: ModelSource.crossRegionProfile('us.anthropic.claude-haiku-4-5-20251001-v1:0'), fallbackAliases: ['classify'] },
    { alias: 'classify', model: ModelSource.foundationModel('amazon.nova-micro-v1:0'), guardrail: false },
  ],
};

function build(props: Partial<AiGatewayProps> = {}, stack = new Stack(new App(), 'Stack', { env: ENV })) {
  const gateway = new AiGateway(stack, 'Gateway', { ...BASE, ...props });
  return { stack, gateway, template: Template.fromStack(stack) };
}

let defaults: ReturnType<typeof build> | undefined;
/** The gateway with the BASE props, built once for the tests that only read it (none changes it). */
function defaultGateway(): ReturnType<typeof build> {
  defaults ??= build();
  return defaults;
}

function routerStatements(stack: Stack, gateway: AiGateway, template: Template): TemplateStatement[] {
  const roleId = stack.getLogicalId(gateway.router.role.node.defaultChild as never);
  return statementsOfRole(template, roleId);
}

/** The router configuration as AppConfig will receive it, with tokens resolved to their CFN form. */
function hostedConfig(stack: Stack, template: Template): Record<string, unknown> {
  const [version] = Object.values(template.findResources('AWS::AppConfig::HostedConfigurationVersion'));
  const content = version.Properties.Content;
  const text = typeof content === 'string' ? content
    : (content['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : `"TOKEN"`.slice(1, -1))).join('');
  void stack;
  return JSON.parse(text);
}

/** A self-hosted target in `vpc`, as `PrivateModelEndpoint.selfHostedTarget` returns one. */
function selfHosted(stack: Stack, vpc: ec2.IVpc): ISelfHostedTarget {
  const endpointSecurityGroup = new ec2.SecurityGroup(stack, 'ModelEndpointSg', { vpc, allowAllOutbound: false });
  return {
    target: { id: 'vllm-8b', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: 'http://internal-nlb.example:80/v1', model: 'llama-8b' },
    price: { inputUsdPer1K: 0.00005, outputUsdPer1K: 0.0001 },
    port: 80,
    connections: new ec2.Connections({ securityGroups: [endpointSecurityGroup], defaultPort: ec2.Port.tcp(80) }),
    vpc,
  };
}

describe('AiGateway', () => {
  test('one application inference profile per tenant and reachable alias, fallbacks included', () => {
    const { template } = defaultGateway();
    // acme: summary + classify; globex: summary, and classify through summary's fallback chain.
    template.resourceCountIs('AWS::Bedrock::ApplicationInferenceProfile', 4);
    template.hasResourceProperties('AWS::Bedrock::ApplicationInferenceProfile', {
      Tags: Match.arrayWith([{ Key: 'ai-gateway:cost-center', Value: 'cc-2' }, Match.objectLike({ Key: 'ai-gateway:model-alias' }), { Key: 'ai-gateway:tenant', Value: 'globex' }]),
    });
  });

  test('the router may invoke only the profiles and their models, streaming included, and apply only the guardrail', () => {
    const { stack, gateway, template } = defaultGateway();
    const statements = routerStatements(stack, gateway, template);
    const bedrock = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('bedrock:')));
    const actions = new Set(bedrock.flatMap(actionsOf));
    expect([...actions].sort()).toEqual(['bedrock:ApplyGuardrail', 'bedrock:GetInferenceProfile', 'bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
    for (const s of bedrock) {
      expect(actionsOf(s).some((a) => a.includes('*'))).toBe(false);
      expect(resourcesOf(s)).not.toContain('*');
    }
    const invoke = bedrock.find((s) => actionsOf(s).includes('bedrock:InvokeModelWithResponseStream'))!;
    expect(actionsOf(invoke)).toContain('bedrock:InvokeModel');
    const profileRefs = resourcesOf(invoke).filter((r) => JSON.stringify(r).includes('InferenceProfileArn'));
    expect(profileRefs).toHaveLength(4);
    const apply = bedrock.find((s) => actionsOf(s).includes('bedrock:ApplyGuardrail'))!;
    expect(JSON.stringify(apply.Resource)).toMatch(/Guardrail/);
  });

  test('the router reads only its own AppConfig configuration', () => {
    const { stack, gateway, template } = defaultGateway();
    const statements = routerStatements(stack, gateway, template);
    const appconfig = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('appconfig:')));
    expect(appconfig).toHaveLength(1);
    expect(actionsOf(appconfig[0]).sort()).toEqual(['appconfig:GetLatestConfiguration', 'appconfig:StartConfigurationSession']);
    expect(JSON.stringify(appconfig[0].Resource)).toMatch(/application\/.*environment\/.*configuration\//);
  });

  test('the router configuration gives each tenant its own profile and a fallback chain', () => {
    const { stack, template } = defaultGateway();
    const config = hostedConfig(stack, template) as {
      tenants: Array<{ id: string; tier: string; allowedAliases: string[]; sensitivityClearance?: string }>;
      targets: Array<{ id: string; kind: string; profileArns: Record<string, string>; priceModelId: string }>;
      routes: Array<{ alias: string; targets: string[]; guardrail?: string }>;
      prices: Record<string, unknown>;
      guardrails: Record<string, unknown>;
    };
    expect(config.tenants).toEqual([
      { id: 'acme', tier: 'premium', allowedAliases: ['summary', 'classify'], sensitivityClearance: 'restricted' },
      { id: 'globex', tier: 'standard', allowedAliases: ['summary'] },
    ]);
    expect(config.routes).toEqual([
      { alias: 'summary', targets: ['bedrock-summary', 'bedrock-classify'], guardrail: 'gateway' },
      { alias: 'classify', targets: ['bedrock-classify'] },
    ]);
    const summary = config.targets.find((t) => t.id === 'bedrock-summary')!;
    expect(summary.kind).toBe(TargetKind.BEDROCK);
    expect(Object.keys(summary.profileArns).sort()).toEqual(['acme', 'globex']);
    expect(summary.priceModelId).toBe('anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(Object.keys(config.prices).sort()).toEqual(['amazon.nova-micro-v1:0', 'anthropic.claude-haiku-4-5-20251001-v1:0']);
    expect(Object.keys(config.guardrails)).toEqual(['gateway']);
  });

  test('the synthesized configuration, tokens aside, passes the router\'s own validator', () => {
    const { gateway } = defaultGateway();
    const literal = JSON.parse(JSON.stringify(gateway.config, (key, value) =>
      typeof value === 'string' && value.includes('${Token[')
        ? (key === 'identifier' ? 'abc123' : key === 'version' ? '1' : 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc')
        : value));
    expect(GatewayConfigValidator.check(literal)).toEqual([]);
  });

  test('router function: bundled handler, arm64, Node.js 22 or newer, streaming-length timeout, config version in its environment', () => {
    const { stack, gateway, template } = defaultGateway();
    const fnId = stack.getLogicalId(gateway.router.function.node.defaultChild as never);
    const fn = template.findResources('AWS::Lambda::Function')[fnId];
    expect(fn.Properties).toMatchObject({ Architectures: ['arm64'], Handler: 'index.handler', Timeout: 900, TracingConfig: { Mode: 'Active' } });
    expect(fn.Properties.Runtime).toMatch(/^nodejs(2[2-9]|[3-9][0-9])\.x$/);
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual(
      ['GATEWAY_APPCONFIG_APPLICATION', 'GATEWAY_APPCONFIG_ENVIRONMENT', 'GATEWAY_APPCONFIG_PROFILE', 'GATEWAY_CONFIG_VERSION',
        'GATEWAY_CONTROLS_CACHE_SECONDS', 'GATEWAY_CONTROLS_TABLE', 'GATEWAY_FUNCTION_TIMEOUT_MS', 'GATEWAY_TRACES', 'GATEWAY_USAGE_DIMENSION_CAP',
        'GATEWAY_USAGE_RECORD_TTL_DAYS', 'GATEWAY_USAGE_TABLE']);
    expect(fn.Properties.Environment.Variables.GATEWAY_FUNCTION_TIMEOUT_MS).toBe('900000');
    // Ref of a hosted configuration version is its version number.
    expect(fn.Properties.Environment.Variables.GATEWAY_CONFIG_VERSION).toEqual({ Ref: expect.stringMatching(/RouterConfig/) });
    expect(fn.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/Deployment/)]));
  });

  test('AppConfig validates the configuration against the shipped JSON Schema and deploys it at once', () => {
    const { template } = defaultGateway();
    template.hasResourceProperties('AWS::AppConfig::ConfigurationProfile', {
      Validators: [{ Type: 'JSON_SCHEMA', Content: Match.stringLikeRegexp('"\\$schema"') }],
    });
    template.hasResourceProperties('AWS::AppConfig::DeploymentStrategy', { GrowthFactor: 100, DeploymentDurationInMinutes: 0, FinalBakeTimeInMinutes: 0 });
  });

  test('the validator is the schema file without annotations, within AppConfig\'s 32,768 characters', () => {
    const { template } = defaultGateway();
    const [profile] = Object.values(template.findResources('AWS::AppConfig::ConfigurationProfile'));
    const content = profile.Properties.Validators[0].Content as string;
    const file = JSON.parse(readFileSync(CONFIG_SCHEMA_FILE, 'utf8'));
    expect(JSON.parse(content)).toEqual(withoutAnnotations(file));
    expect(content.length).toBeLessThanOrEqual(APPCONFIG_VALIDATOR_MAX_CHARS);
  });

  test('dropping annotations keeps every checking keyword and property names called like annotations', () => {
    const schema = {
      type: 'object', description: 'd', default: {}, title: 't', $comment: 'c',
      properties: { description: { type: 'string', maxLength: 200, description: 'x' }, default: { enum: ['description'] } },
      required: ['description'], additionalProperties: false,
    };
    expect(withoutAnnotations(schema)).toEqual({
      type: 'object',
      properties: { description: { type: 'string', maxLength: 200 }, default: { enum: ['description'] } },
      required: ['description'], additionalProperties: false,
    });
  });

  test('API, authorizer, usage plans per tier and the web ACL are wired together', () => {
    const { template } = defaultGateway();
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 2);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', { Throttle: { RateLimit: 50, BurstLimit: 100 } });
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'REQUEST', IdentitySource: 'method.request.header.Authorization' });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
    });
  });

  test('one customer-managed key with rotation encrypts the gateway by default', () => {
    const { template } = defaultGateway();
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: Match.stringLikeRegexp('AI gateway') });
  });

  test('composes into a separate stack with an imported VPC and key', () => {
    const app = new App();
    const network = new Stack(app, 'Network', { env: ENV });
    const vpc = ec2.Vpc.fromVpcAttributes(network, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
      privateSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2'],
    });
    const stack = new Stack(app, 'Gateway', { env: ENV });
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555');
    const { gateway, template } = build({ vpc, encryptionKey: key }, stack);

    template.resourceCountIs('AWS::KMS::Key', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'] },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: key.keyArn });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.us-east-1.bedrock-runtime', VpcEndpointType: 'Interface', PrivateDnsEnabled: true,
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.dynamodb']] },
      RouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2'],
    });
    // The endpoints belong to the gateway's stack, not the network stack that owns the VPC.
    expect(Template.fromStack(network).toJSON().Resources ?? {}).toEqual({});
    // Only the gateway's functions reach the endpoints, on 443.
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp', FromPort: 443, ToPort: 443,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('RouterSecurityGroup'), 'GroupId'] },
    });
    expect(gateway.routerSecurityGroup).toBeDefined();
    expect(gateway.router.connections.securityGroups).toEqual([gateway.routerSecurityGroup]);
  });

  test('bring your own inference profiles and access log group', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const profiles = new TenantInferenceProfiles(stack, 'Shared', {
      tenants: [{ id: 'acme', costCenter: 'cc-1' }, { id: 'globex', costCenter: 'cc-2' }],
      models: [
        { alias: 'summary', source: ModelSource.crossRegionProfile('us.anthropic.claude-haiku-4-5-20251001-v1:0') },
        { alias: 'classify', source: ModelSource.foundationModel('amazon.nova-micro-v1:0') },
      ],
    });
    const accessLogGroup = new logs.LogGroup(stack, 'TheirLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const { gateway, template } = build({ inferenceProfiles: profiles, accessLogGroup }, stack);
    expect(gateway.profiles).toBe(profiles);
    template.resourceCountIs('AWS::Bedrock::ApplicationInferenceProfile', 4);
    const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage'));
    expect(stage.Properties.AccessLogSetting.DestinationArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(accessLogGroup.node.defaultChild as logs.CfnLogGroup), 'Arn'] });
  });

  test('existing profiles must cover every reachable alias with the route\'s model', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const profiles = new TenantInferenceProfiles(stack, 'Shared', {
      tenants: [{ id: 'acme', costCenter: 'cc-1' }, { id: 'globex', costCenter: 'cc-2', aliases: ['summary'] }],
      models: [
        { alias: 'summary', source: ModelSource.crossRegionProfile('us.anthropic.claude-haiku-4-5-20251001-v1:0') },
        { alias: 'classify', source: ModelSource.foundationModel('amazon.nova-lite-v1:0') },
      ],
    });
    // globex reaches classify through summary's fallback, but has no profile for it.
    expect(() => build({ inferenceProfiles: profiles }, stack)).toThrow(/no profile for tenant 'acme' and alias 'classify'|routes to 'amazon.nova-lite-v1:0', but the route's model is 'amazon.nova-micro-v1:0'/);
  });

  test('bring your own web ACL: associated, none created', () => {
    const arn = 'arn:aws:wafv2:us-east-1:111122223333:regional/webacl/shared/abc';
    const { template } = build({ webAclArn: arn });
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: arn });
  });

  test('without a guardrail no route is guarded and no ApplyGuardrail is granted', () => {
    const { stack, gateway, template } = build({ guardrailEnabled: false });
    template.resourceCountIs('AWS::Bedrock::Guardrail', 0);
    expect(routerStatements(stack, gateway, template).flatMap(actionsOf)).not.toContain('bedrock:ApplyGuardrail');
    expect(gateway.config.routes.every((r) => r.guardrail === undefined)).toBe(true);
  });

  test('a self-hosted target first, Bedrock as its fallback', () => {
    const { gateway } = build({
      additionalTargets: [{ id: 'vllm-8b', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: 'http://vllm.internal:8000/v1', model: 'llama-8b' }],
      prices: { 'llama-8b': { inputUsdPer1K: 0.0001, outputUsdPer1K: 0.0002 } },
      routes: [
        { alias: 'summary', targets: ['vllm-8b'], model: ModelSource.foundationModel('amazon.nova-micro-v1:0') },
      ],
      tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard' }],
    });
    expect(gateway.config.routes[0].targets).toEqual(['vllm-8b', 'bedrock-summary']);
  });

  describe('selfHostedTargets', () => {
    const SELF_HOSTED_ROUTES = [{ alias: 'summary', targets: ['vllm-8b'], model: ModelSource.foundationModel('amazon.nova-micro-v1:0') }];

    test('become route targets with their price, Bedrock as fallback, and admit only the router on their port', () => {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const target = selfHosted(stack, vpc);
      const { gateway, template } = build({ vpc, selfHostedTargets: [target], routes: SELF_HOSTED_ROUTES }, stack);

      expect(gateway.config.routes[0].targets).toEqual(['vllm-8b', 'bedrock-summary']);
      expect(gateway.config.targets.find((t) => t.id === 'vllm-8b')).toEqual(target.target);
      expect(gateway.config.prices['llama-8b']).toEqual(target.price);
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        IpProtocol: 'tcp', FromPort: 80, ToPort: 80,
        GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ModelEndpointSg'), 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('RouterSecurityGroup'), 'GroupId'] },
      });
      const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
        .filter((r) => JSON.stringify(r.Properties.GroupId).includes('ModelEndpointSg'));
      expect(ingress).toHaveLength(1);
    });

    test('need the VPC, and a target id only once', () => {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const target = selfHosted(stack, vpc);
      expect(() => build({ selfHostedTargets: [target], routes: SELF_HOSTED_ROUTES }, stack)).toThrow(/selfHostedTargets need vpc/);
      expect(() => build({
        vpc, selfHostedTargets: [target], routes: SELF_HOSTED_ROUTES,
        additionalTargets: [{ id: 'vllm-8b', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: 'http://other:8000/v1', model: 'x' }],
      }, new Stack(new App(), 'Other', { env: ENV }))).toThrow(/target id 'vllm-8b' appears twice/);
    });
  });

  describe('the router and its self-hosted targets share one VPC', () => {
    const routes = [{ alias: 'summary', targets: ['vllm-8b'], model: ModelSource.foundationModel('amazon.nova-micro-v1:0') }];
    const tenants = [{ id: 'acme', costCenter: 'cc-1', tier: 'standard' }];
    const isolated = (stack: Stack, id: string) => new ec2.Vpc(stack, id, { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const imported = (stack: Stack, id: string, vpcId: string) => ec2.Vpc.fromVpcAttributes(stack, id, {
      vpcId, availabilityZones: ['us-east-1a', 'us-east-1b'], privateSubnetIds: ['subnet-0a', 'subnet-0b'],
      privateSubnetRouteTableIds: ['rtb-0a', 'rtb-0b'],
    });

    test('two VPCs of the app: refused with what to do', () => {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const target = selfHosted(stack, isolated(stack, 'ModelsVpc'));
      expect(() => build({ vpc: isolated(stack, 'GatewayVpc'), selfHostedTargets: [target], routes, tenants }, stack))
        .toThrow(/selfHostedTargets: target 'vllm-8b' is in VPC Stack\/ModelsVpc, but vpc \(the router's\) is Stack\/GatewayVpc.*GatewayVpc/);
    });

    test('two looked-up VPC ids that differ: refused; the same id from two stacks: accepted', () => {
      const app = new App();
      const models = new Stack(app, 'Models', { env: ENV });
      const gatewayStack = new Stack(app, 'Gateway', { env: ENV });
      const target = selfHosted(models, imported(models, 'Vpc', 'vpc-0aaaaaaaaaaaaaaaa'));
      expect(() => build({ vpc: imported(gatewayStack, 'Vpc', 'vpc-0bbbbbbbbbbbbbbbb'), selfHostedTargets: [target], routes, tenants }, gatewayStack))
        .toThrow(/selfHostedTargets: target 'vllm-8b' is in VPC/);
      const again = new Stack(app, 'Gateway2', { env: ENV });
      expect(() => build({ vpc: imported(again, 'Vpc', 'vpc-0aaaaaaaaaaaaaaaa'), selfHostedTargets: [target], routes, tenants }, again)).not.toThrow();
    });

    test('VPC ids imported from the same export in two stacks: accepted; from different exports: a warning', () => {
      const gatewayWith = (exportName: string) => {
        const app = new App();
        const models = new Stack(app, 'Models', { env: ENV });
        const target = selfHosted(models, imported(models, 'Vpc', Fn.importValue('Network-VpcId')));
        const stack = new Stack(app, 'Gateway', { env: ENV });
        build({ vpc: imported(stack, 'Vpc', Fn.importValue(exportName)), selfHostedTargets: [target], routes, tenants }, stack);
        return Annotations.fromStack(stack);
      };
      gatewayWith('Network-VpcId').hasNoWarning('*', Match.stringLikeRegexp('selfHostedTargets'));
      gatewayWith('Other-VpcId').hasWarning('*', Match.stringLikeRegexp('synth cannot tell whether target .vllm-8b.'));
    });

    test('the VPC in the gateway stack and the models in another: refused as the dependency cycle it is', () => {
      const app = new App();
      const gatewayStack = new Stack(app, 'Gateway', { env: ENV });
      const models = new Stack(app, 'Models', { env: ENV });
      const vpc = isolated(gatewayStack, 'Vpc');
      const target = selfHosted(models, vpc);
      expect(() => build({ vpc, selfHostedTargets: [target], routes, tenants }, gatewayStack))
        .toThrow(/vpc is created in the gateway's stack Gateway, and selfHostedTargets come from stack Models.*dependency cycle.*network stack/);
    });
  });

  test('usage ledger: a KMS table the router may write (no Scan, no DeleteItem), budgets in the configuration, GET /v1/usage', () => {
    const { stack, gateway, template } = build({
      tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'premium', budget: { monthlyUsd: 500, dailyUsd: 40 } }],
    });
    // The usage table's statements (the incident-controls table has its own, Query on one partition).
    const usage = routerStatements(stack, gateway, template)
      .filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')) && JSON.stringify(s.Resource).includes('GatewayUsage'));
    // DeleteItem: a settlement deletes the request's in-flight item
    expect(usage.flatMap(actionsOf).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(JSON.stringify(usage[0].Resource)).toMatch(/GatewayUsage/);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(gateway.config.tenants[0].budget).toEqual({ monthlyUsd: 500, dailyUsd: 40 });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'usage' });
  });

  test('budget use: the router\'s BudgetUsedPercent per budgeted tenant feeds one alarm', () => {
    const { template } = build({
      tenants: [
        { id: 'acme', costCenter: 'cc-1', tier: 'premium', budget: { monthlyUsd: 500, dailyUsd: 40 } },
        { id: 'globex', costCenter: 'cc-2', tier: 'standard', budget: { monthlyUsd: 100 } },
      ],
    });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .filter((a) => JSON.stringify(a.Properties.Metrics ?? []).includes('BudgetUsedPercent'));
    expect(alarms).toHaveLength(1);
    const metrics = alarms[0].Properties.Metrics as Array<{ Expression?: string; MetricStat?: { Metric: { Dimensions: unknown } } }>;
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('MAX([budget0, budget1, budget2])');
    expect(metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric.Dimensions)).toEqual([
      [{ Name: 'BudgetPeriod', Value: 'monthly' }, { Name: 'Tenant', Value: 'acme' }],
      [{ Name: 'BudgetPeriod', Value: 'daily' }, { Name: 'Tenant', Value: 'acme' }],
      [{ Name: 'BudgetPeriod', Value: 'monthly' }, { Name: 'Tenant', Value: 'globex' }],
    ]);
  });

  test('a daily budget above the monthly one is refused, naming dailyUsd and the tenant', () => {
    expect(() => build({ tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'premium', budget: { monthlyUsd: 100, dailyUsd: 150 } }] }))
      .toThrow(/tenants\[0\]\.budget\.dailyUsd: 150 exceeds monthlyUsd 100 of tenant 'acme'/);
  });

  test('a route model without a known or given price is refused, naming the model, the route and prices', () => {
    const routes = [{ alias: 'chat', model: ModelSource.foundationModel('cohere.command-r-v1:0') }];
    expect(() => build({ routes, tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'premium' }] }))
      .toThrow(/prices: no price for the Bedrock model 'cohere\.command-r-v1:0' of routes\['chat'\].*prices: \{ 'cohere\.command-r-v1:0': \{ inputUsdPer1K/);
    expect(() => build({ routes, tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'premium' }],
      prices: { 'cohere.command-r-v1:0': { inputUsdPer1K: 0.0005, outputUsdPer1K: 0.0015 } } })).not.toThrow();
  });

  test('without the ledger: no usage table, no usage route, and budgets are refused', () => {
    const { template } = build({ usageLedger: false });
    template.resourceCountIs('AWS::ApiGateway::Resource', 7); // v1, chat, completions, embeddings, models, {model}, feedback
    expect(JSON.stringify(template.toJSON())).not.toMatch(/GATEWAY_USAGE_TABLE/);
    expect(() => build({ usageLedger: false, tenants: [{ id: 'acme', costCenter: 'c', tier: 'standard', budget: { monthlyUsd: 1 } }] }))
      .toThrow(/tenants acme have a budget, which needs usageLedger/);
  });

  test('the usage sweeper comes with the ledger, every minute, and not without it', () => {
    const { gateway, template } = defaultGateway();
    expect(gateway.usageSweeper).toBeDefined();
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 minute)' });
    expect(build({ usageSweeper: false }).gateway.usageSweeper).toBeUndefined();
    build({ usageLedger: false }).template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    expect(() => build({ usageLedger: false, usageSweeper: true })).toThrow(/usageSweeper is true, but usageLedger is false/);
  });

  test('routerTimeout must exceed the total deadline plus the settle margin', () => {
    expect(() => build({ routerTimeout: Duration.seconds(70) }))
      .toThrow(/timeout \(70 s\) must exceed the configuration's total deadline timeouts.totalMs \(60000 ms\) plus the settle margin \(15000 ms\)/);
    build({ routerTimeout: Duration.minutes(2) }).template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 120, Environment: { Variables: Match.objectLike({ GATEWAY_FUNCTION_TIMEOUT_MS: '120000' }) },
    });
  });

  test('observability: a dashboard, alarms on a KMS topic, Bedrock throttles per route model', () => {
    const { template } = defaultGateway();
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Bedrock', MetricName: 'InvocationThrottles',
      Dimensions: [{ Name: 'ModelId', Value: 'anthropic.claude-haiku-4-5-20251001-v1:0' }],
    });
    const none = build({ observability: false }).template;
    none.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });

  test.each<[string, Partial<AiGatewayProps>, RegExp]>([
    ['duplicate alias', { routes: [BASE.routes[1], BASE.routes[1]] }, /alias 'classify' appears twice/],
    ['unknown tier', { tenants: [{ id: 'x', costCenter: 'c', tier: 'gold' }] }, /tenants\['x'\]\.tier: unknown tier 'gold'; tiers are: standard, premium/],
    ['unknown allowed alias', { tenants: [{ id: 'x', costCenter: 'c', tier: 'standard', allowedAliases: ['nope'] }] }, /allowedAliases: unknown alias 'nope'/],
    ['unknown fallback', { routes: [{ alias: 'a', model: ModelSource.foundationModel('amazon.nova-micro-v1:0'), fallbackAliases: ['b'] }] }, /fallbackAliases: unknown alias 'b'/],
    ['route without targets', { routes: [{ alias: 'a' }] }, /routes\['a'\] has neither model nor targets/],
    ['unknown target', { routes: [{ alias: 'a', targets: ['vllm'] }] }, /routes\['a'\]\.targets: unknown target 'vllm'/],
    ['no tenants', { tenants: [] }, /tenants must name at least one tenant/],
    ['guardrail twice', { guardrailEnabled: false, guardrailProps: {} }, /guardrailEnabled is false/],
    ['missing price', {
      routes: [{ alias: 'a', model: ModelSource.foundationModel('acme.unknown-model-v1:0') }],
      tenants: [{ id: 'x', costCenter: 'c', tier: 'standard' }],
    }, /price/],
  ])('rejects %s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
