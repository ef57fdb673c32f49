import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { GatewayConfigValidator, TargetKind } from '../../../lambda/shared';
import { withTokenPlaceholders } from '../../../lib/private/token-placeholders';
import { PrivateModelEndpoint } from '../../../lib/selfhosted/endpoint';
import { GpuInstanceTypes } from '../../../lib/selfhosted/gpu-instances';
import { SelfHostedPrice } from '../../../lib/usage/self-hosted-price';
import { manifestsOfKind } from '../helpers/template-manifests';
import { registerTargetGroupBindingValidator } from '../helpers/target-group-binding';
import { expectValidManifests, manifestErrors } from '../helpers/validate-manifests';
import { endpointFixture, EndpointFixture } from './fixture';

registerTargetGroupBindingValidator();

const CERT_ARN = 'arn:aws:acm:us-east-1:111122223333:certificate/0b1c2d3e-1111-2222-3333-444455556666';
const SG_ID = (id: string): unknown => ({ 'Fn::GetAtt': [id, 'GroupId'] });

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } } | object): string {
  return stack.getLogicalId((('node' in construct) ? (construct as { node: { defaultChild: unknown } }).node.defaultChild : construct) as never);
}

describe('PrivateModelEndpoint without a certificate (HTTP inside the VPC)', () => {
  let f: EndpointFixture;
  let template: Template;
  let lbSg: string;
  let routerSg: string;
  beforeAll(() => {
    f = endpointFixture();
    template = Template.fromStack(f.stack);
    lbSg = logicalId(f.stack, f.endpoint.securityGroup);
    routerSg = logicalId(f.stack, f.routerSecurityGroup);
  });

  test('is an internal network load balancer with cross-zone, deletion protection and its security group', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internal',
      SecurityGroups: [SG_ID(lbSg)],
      Subnets: [{ Ref: Match.stringLikeRegexp('VpcPrivateSubnet1') }, { Ref: Match.stringLikeRegexp('VpcPrivateSubnet2') }],
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'load_balancing.cross_zone.enabled', Value: 'true' },
      ]),
    });
  });

  test('has an IP target group on the pod port with an HTTP health check on /health and a drain delay', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'ip',
      Protocol: 'TCP',
      Port: 8000,
      HealthCheckProtocol: 'HTTP',
      HealthCheckPath: '/health',
      HealthCheckPort: 'traffic-port',
      Matcher: { HttpCode: '200' },
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: '120' },
        { Key: 'deregistration_delay.connection_termination.enabled', Value: 'true' },
      ]),
    });
  });

  test('listens on TCP 80 and forwards to the target group', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'TCP',
      Certificates: Match.absent(),
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalId(f.stack, f.endpoint.targetGroup) } }],
    });
  });

  test('the load balancer security group admits only the router, on the listener port', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Internal NLB of models/vllm-llama-8b'),
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: Match.absent(),
    });
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: SG_ID(lbSg) },
    }));
    expect(ingress.map((r) => r.Properties)).toEqual([{
      Description: 'Gateway router', IpProtocol: 'tcp', FromPort: 80, ToPort: 80, GroupId: SG_ID(lbSg), SourceSecurityGroupId: SG_ID(routerSg),
    }]);
  });

  test('the load balancer may send only to the cluster security group on the pod port', () => {
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress', { Properties: { GroupId: SG_ID(lbSg) } }));
    expect(egress.map((r) => r.Properties)).toEqual([{
      Description: 'Model server pods (vllm-llama-8b)', IpProtocol: 'tcp', FromPort: 8000, ToPort: 8000, GroupId: SG_ID(lbSg),
      DestinationSecurityGroupId: { 'Fn::GetAtt': [logicalId(f.stack, f.cluster), 'ClusterSecurityGroupId'] },
    }]);
  });

  test('the cluster security group admits the load balancer on the pod port', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(f.stack, f.cluster), 'ClusterSecurityGroupId'] },
      SourceSecurityGroupId: SG_ID(lbSg),
      IpProtocol: 'tcp', FromPort: 8000, ToPort: 8000,
    });
  });

  test('no rule of the endpoint opens to 0.0.0.0/0, ::/0 or a CIDR', () => {
    const rules = [
      ...Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')),
      ...Object.values(template.findResources('AWS::EC2::SecurityGroupEgress')),
    ].filter((r) => JSON.stringify(r).includes(lbSg));
    expect(rules.length).toBe(3);
    for (const rule of rules) {
      expect(rule.Properties.CidrIp).toBeUndefined();
      expect(rule.Properties.CidrIpv6).toBeUndefined();
    }
    const lbGroup = template.findResources('AWS::EC2::SecurityGroup')[lbSg];
    expect(JSON.stringify(lbGroup)).not.toMatch(/0\.0\.0\.0\/0|::\/0|CidrIp/);
  });

  test('the TargetGroupBinding, as rendered, binds the Service port to the target group and is schema-valid', () => {
    const [binding] = manifestsOfKind(template, 'TargetGroupBinding');
    expect(binding).toMatchObject({
      apiVersion: 'elbv2.k8s.aws/v1beta1',
      metadata: { name: 'vllm-llama-8b-nlb', namespace: 'models' },
      spec: {
        serviceRef: { name: 'vllm-llama-8b', port: 8000 },
        targetGroupARN: `{{Ref:${logicalId(f.stack, f.endpoint.targetGroup)}}}`,
        targetType: 'ip',
      },
    });
    expect((binding.spec as Record<string, unknown>).networking).toBeUndefined();
    expectValidManifests([binding]);
  });

  test('the TargetGroupBinding is applied after the controller chart, its policy and Pod Identity association', () => {
    const resources = template.toJSON().Resources as Record<string, { Type: string; DependsOn?: string[] }>;
    const idOf = (type: string, prefix: string): string => Object.keys(resources).find((id) => resources[id].Type === type && id.startsWith(prefix))!;
    const binding = idOf('Custom::AWSCDK-EKS-KubernetesResource', 'LlamaTargetGroupBinding');
    expect(resources[binding].DependsOn).toEqual(expect.arrayContaining([
      idOf('Custom::AWSCDK-EKS-HelmChart', 'LbcChart'),
      idOf('AWS::EKS::PodIdentityAssociation', 'LbcRoleAssociation'),
      idOf('AWS::IAM::ManagedPolicy', 'LbcPolicy'),
    ]));
  });

  test('baseUrl renders to http://<NLB DNS name>/v1', () => {
    expect(f.stack.resolve(f.endpoint.baseUrl)).toEqual({
      'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [logicalId(f.stack, f.endpoint.loadBalancer), 'DNSName'] }, '/v1']],
    });
    expect(f.endpoint.port).toBe(80);
  });

  test('selfHostedTarget is an OpenAI-compatible target with GPU timeouts that GatewayConfigValidator accepts', () => {
    const price = PrivateModelEndpoint.gpuPrice({ instanceType: 'g6e.xlarge', tokensPerSecond: 800 });
    const selfHosted = f.endpoint.selfHostedTarget({ id: 'llama-8b', servedModelName: 'llama-3.1-8b-instruct', price });
    expect(selfHosted.port).toBe(80);
    expect(selfHosted.connections).toBe(f.endpoint.connections);
    expect(selfHosted.price).toEqual(price);
    expect({ ...selfHosted.target, baseUrl: undefined }).toEqual({
      id: 'llama-8b',
      kind: TargetKind.OPENAI_COMPATIBLE,
      baseUrl: undefined,
      model: 'llama-3.1-8b-instruct',
      timeouts: { connectMs: 2000, firstTokenMs: 30_000, totalMs: 120_000 },
      description: 'vLLM Service models/vllm-llama-8b through its internal load balancer',
    });
    expect(selfHosted.target.baseUrl).toBe(f.endpoint.baseUrl);

    const config = {
      tenants: [{ id: 'acme', allowedAliases: ['chat'] }],
      targets: [selfHosted.target, { id: 'bedrock-haiku', kind: TargetKind.BEDROCK, modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0' }],
      routes: [{ alias: 'chat', targets: ['llama-8b', 'bedrock-haiku'] }],
      prices: { 'llama-3.1-8b-instruct': selfHosted.price, 'anthropic.claude-3-5-haiku-20241022-v1:0': { inputUsdPer1K: 0.0008, outputUsdPer1K: 0.004 } },
    };
    // At synth the URL is a token: the router construct validates with placeholders, as here.
    expect(GatewayConfigValidator.check(withTokenPlaceholders(config))).toEqual([]);
    // As deployed, with the NLB's DNS name in place of the token.
    const deployed = { ...config, targets: [{ ...selfHosted.target, baseUrl: 'http://internal-Endpoi-Llama-1a2b3c.elb.us-east-1.amazonaws.com/v1' }, config.targets[1]] };
    expect(GatewayConfigValidator.check(deployed)).toEqual([]);
  });

  test('selfHostedTarget merges given timeouts over the defaults and passes options through', () => {
    const t = f.endpoint.selfHostedTarget({
      id: 'llama-batch', servedModelName: 'llama', price: { inputUsdPer1K: 0.001, outputUsdPer1K: 0.002 },
      timeouts: { totalMs: 600_000 }, restrictedAllowed: false, apiKeyEnv: 'VLLM_API_KEY', description: 'batch',
    }).target;
    expect(t).toMatchObject({ timeouts: { connectMs: 2000, firstTokenMs: 30_000, totalMs: 600_000 }, restrictedAllowed: false, apiKeyEnv: 'VLLM_API_KEY', description: 'batch' });
  });

  test('a plain-HTTP endpoint cannot be cleared for restricted data', () => {
    expect(() => f.endpoint.selfHostedTarget({ id: 'llama-r', servedModelName: 'llama', price: { inputUsdPer1K: 0.1, outputUsdPer1K: 0.1 }, restrictedAllowed: true }))
      .toThrow(/restrictedAllowed needs a TLS endpoint: target 'llama-r' is reached over plain HTTP/);
  });

  test('snapshot of the endpoint and controller resources', () => {
    const resources = template.toJSON().Resources as Record<string, unknown>;
    const mine = Object.fromEntries(Object.entries(resources).filter(([id]) => /^(Lbc|Llama)/.test(id) || /fromEndpointLlama/.test(id)));
    expect(mine).toMatchSnapshot();
  });
});

describe('PrivateModelEndpoint with a certificate (TLS)', () => {
  let f: EndpointFixture;
  let template: Template;
  beforeAll(() => {
    f = endpointFixture({
      extras: (stack, vpc) => ({
        certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
        domainName: 'llama.models.internal.example.com',
        privateHostedZone: new route53.PrivateHostedZone(stack, 'Zone', { vpc, zoneName: 'models.internal.example.com' }),
        deregistrationDelay: Duration.seconds(300),
        healthCheckPath: '/v1/models',
        targetPort: 8080,
        servicePort: 80,
      }),
    });
    template = Template.fromStack(f.stack);
  });

  test('terminates TLS on 443 with the certificate and the recommended TLS policy', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'TLS',
      Certificates: [{ CertificateArn: CERT_ARN }],
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    });
  });

  test('uses the given pod port, health check path and drain delay', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080, HealthCheckPath: '/v1/models',
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '300' }]),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(f.stack, f.cluster), 'ClusterSecurityGroupId'] }, FromPort: 8080, ToPort: 8080,
    });
    expect(manifestsOfKind(template, 'TargetGroupBinding')[0].spec).toMatchObject({ serviceRef: { name: 'vllm-llama-8b', port: 80 } });
  });

  test('admits the router on 443 only', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: SG_ID(logicalId(f.stack, f.endpoint.securityGroup)), FromPort: 443, ToPort: 443,
      SourceSecurityGroupId: SG_ID(logicalId(f.stack, f.routerSecurityGroup)),
    });
  });

  test('creates the alias record and an https base URL on the domain name', () => {
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'llama.models.internal.example.com.', Type: 'A',
      AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
    });
    expect(f.endpoint.baseUrl).toBe('https://llama.models.internal.example.com/v1');
    expect(f.endpoint.selfHostedTarget({ id: 'llama', servedModelName: 'llama', price: { inputUsdPer1K: 0.1, outputUsdPer1K: 0.1 } }).port).toBe(443);
    // Only a TLS endpoint may carry restricted data.
    expect(f.endpoint.selfHostedTarget({ id: 'llama-r', servedModelName: 'llama', price: { inputUsdPer1K: 0.1, outputUsdPer1K: 0.1 }, restrictedAllowed: true }).target.restrictedAllowed).toBe(true);
  });
});

describe('PrivateModelEndpoint.gpuPrice', () => {
  test('is the instance hour over the tokens its replicas generate', () => {
    const spec = GpuInstanceTypes.of('g6e.xlarge');
    const price = PrivateModelEndpoint.gpuPrice({ instanceType: 'g6e.xlarge', tokensPerSecond: 1000 });
    // 1.861 $/h / (1000 tok/s × 3600 s) × 1000 = 0.000516944 $/1K
    expect(price.outputUsdPer1K).toBeCloseTo(spec.onDemandUsdPerHour / 3600, 9);
    expect(price).toEqual(SelfHostedPrice.fromGpuHour(spec.onDemandUsdPerHour, 1000));
  });

  test('divides by the replicas per instance and takes an hourly override, input throughput and utilization', () => {
    const price = PrivateModelEndpoint.gpuPrice({
      instanceType: 'g6.12xlarge', tokensPerSecond: 500, replicasPerInstance: 4, hourlyUsd: 3.6, inputTokensPerSecond: 5000, utilizationPercent: 50,
    });
    // 3.6 $/h over 4 × 500 tok/s at 50%: 3.6 / (2000 × 3600 × 0.5) × 1000 = 0.001
    expect(price.outputUsdPer1K).toBeCloseTo(0.001, 9);
    expect(price.inputUsdPer1K).toBeCloseTo(0.0001, 9);
    expect(price).toEqual(SelfHostedPrice.fromGpuHour(3.6, 2000, { inputTokensPerSecond: 20_000, utilizationPercent: 50 }));
  });

  test.each([
    [{ replicasPerInstance: 2 }, /replicasPerInstance must be an integer from 1 to 1.*received 2/],
    [{ replicasPerInstance: 0 }, /replicasPerInstance/],
    [{ tokensPerSecond: 0 }, /tokensPerSecond must be a number greater than 0, received 0/],
    [{ hourlyUsd: -1 }, /hourlyUsd/],
    [{ utilizationPercent: 101 }, /utilizationPercent/],
    [{ instanceType: 'm5.xlarge' }, /Unknown GPU instance type 'm5.xlarge'/],
  ])('rejects %j', (override, message) => {
    expect(() => PrivateModelEndpoint.gpuPrice({ instanceType: 'g6e.xlarge', tokensPerSecond: 100, ...override })).toThrow(message);
  });
});

describe('PrivateModelEndpoint validation', () => {
  let f: EndpointFixture;
  let n = 0;
  beforeAll(() => {
    f = endpointFixture();
  });
  const make = (props: Record<string, unknown>): PrivateModelEndpoint => new PrivateModelEndpoint(f.stack, `Bad${n++}`, {
    cluster: f.cluster, vpc: f.vpc, serviceName: 'vllm', serviceNamespace: 'models', loadBalancerController: f.controller, ...props,
  });

  test.each([
    [{ targetPort: 0 }, /targetPort must be an integer port from 1 to 65535, received 0/],
    [{ targetPort: 8000.5 }, /targetPort/],
    [{ listenerPort: 70000 }, /listenerPort must be an integer port from 1 to 65535, received 70000/],
    [{ servicePort: -1 }, /servicePort/],
    [{ serviceName: 'Vllm' }, /serviceName must be a DNS-1035 label.*received 'Vllm'/],
    [{ serviceName: '8b-model' }, /serviceName/],
    [{ serviceName: 'a'.repeat(64) }, /serviceName/],
    [{ serviceNamespace: 'Models_' }, /serviceNamespace must be a DNS-1123 label/],
    [{ healthCheckPath: 'health' }, /healthCheckPath must be a path starting with '\/'/],
    [{ deregistrationDelay: Duration.seconds(3601) }, /deregistrationDelay must be a whole number of seconds from 0 to 3600, received 3601 s/],
    [{ certificate: acm.Certificate.fromCertificateArn(new Stack(new App(), 'C'), 'C', CERT_ARN) }, /domainName is required with certificate/],
    [{ domainName: 'Not A Name' }, /domainName must be a lower-case DNS name/],
    [{ privateHostedZone: route53.PrivateHostedZone.fromPrivateHostedZoneId(new Stack(new App(), 'Z'), 'Z', 'Z123') }, /privateHostedZone needs domainName/],
  ])('rejects %j', (props, message) => {
    expect(() => make(props)).toThrow(message);
  });

  test('rejects access logs without TLS', () => {
    const bucketStack = new Stack(new App(), 'B');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const s3 = require('aws-cdk-lib/aws-s3') as typeof import('aws-cdk-lib/aws-s3');
    expect(() => make({ accessLogsBucket: s3.Bucket.fromBucketName(bucketStack, 'B', 'logs') })).toThrow(/accessLogsBucket needs certificate/);
  });

  test.each([
    [{ id: 'Llama' }, /id must be lower-case letters.*received 'Llama'/],
    [{ servedModelName: '' }, /servedModelName must be 1 to 256 characters/],
  ])('selfHostedTarget rejects %j', (override, message) => {
    expect(() => f.endpoint.selfHostedTarget({ id: 'llama', servedModelName: 'llama', price: { inputUsdPer1K: 1, outputUsdPer1K: 1 }, ...override })).toThrow(message);
  });

  test('the TargetGroupBinding validator rejects a binding without targetGroupARN or with a bad targetType', () => {
    const errors = manifestErrors([
      { apiVersion: 'elbv2.k8s.aws/v1beta1', kind: 'TargetGroupBinding', metadata: { name: 'x', namespace: 'm' }, spec: { serviceRef: { name: 's', port: 80 } } },
      { apiVersion: 'elbv2.k8s.aws/v1beta1', kind: 'TargetGroupBinding', metadata: { name: 'y', namespace: 'm' }, spec: { serviceRef: { name: 's' }, targetGroupARN: 'arn', targetType: 'pod' } },
    ]);
    expect(errors).toEqual([
      expect.stringMatching(/TargetGroupBinding m\/x: .*targetGroupARN/),
      expect.stringMatching(/TargetGroupBinding m\/y: .*(port|targetType).*(port|targetType|allowed values)/),
    ]);
  });
});
