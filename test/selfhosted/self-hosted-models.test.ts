import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acmpca from 'aws-cdk-lib/aws-acmpca';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { TargetKind } from '../../lambda/shared/config';
import { resolveCapabilities } from '../../lambda/shared/capability-defaults';
import { CapacityMode, GpuAmiFamily, SelfHostedModelOptions, SelfHostedModels, SelfHostedModelsProps, ToolCallParser } from '../../lib';
import { NODE_ROLE_LABEL, SYSTEM_NODE_ROLE, systemNodeSelector } from '../../lib/selfhosted/scheduling';
import { NodePoolShape, PodShape, schedulableOn } from './helpers/scheduling';
import { registerTargetGroupBindingValidator } from './helpers/target-group-binding';
import { helmReleases, kubernetesManifests, manifestsOfKind, withDeployTimeIds } from './helpers/template-manifests';
import { expectValidManifests } from './helpers/validate-manifests';

registerTargetGroupBindingValidator();

const ENV = { account: '111122223333', region: 'us-east-1' };
const LLAMA: SelfHostedModelOptions = { name: 'llama-8b', modelId: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: 'g6.xlarge', tokensPerSecond: 400 };
const QWEN: SelfHostedModelOptions = { name: 'qwen-32b', modelId: 'Qwen/Qwen2.5-32B-Instruct', instanceType: 'g6e.12xlarge', gpusPerReplica: 2, tokensPerSecond: 600, targetId: 'qwen' };

function build(props: SelfHostedModelsProps): { stack: Stack; models: SelfHostedModels; template: Template } {
  const stack = new Stack(new App(), 'Models', { env: ENV });
  const models = new SelfHostedModels(stack, 'SelfHosted', props);
  return { stack, models, template: Template.fromStack(stack) };
}

/** The logical id of the `Custom::AWSCDK-EKS-KubernetesResource` that applies `kind`/`name`. */
function manifestResourceId(template: Template, kind: string, name: string): string {
  const [id] = Object.entries(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'))
    .filter(([, r]) => JSON.stringify(r.Properties.Manifest).includes(`\\"kind\\":\\"${kind}\\"`) && JSON.stringify(r.Properties.Manifest).includes(`\\"name\\":\\"${name}\\"`))
    .map(([logicalId]) => logicalId);
  if (!id) throw new Error(`no manifest resource for ${kind} ${name}`);
  return id;
}

describe('SelfHostedModels with self-managed Karpenter (default)', () => {
  let f: ReturnType<typeof build>;
  beforeAll(() => {
    // Llama serves tool calls (a parser), Qwen does not.
    f = build({ models: [{ ...LLAMA, toolCallParser: ToolCallParser.LLAMA3_JSON }, QWEN] });
  });

  test('one cluster with a private endpoint, Karpenter with its interruption queue, a GPU pool, the LB controller, KEDA and AMP', () => {
    const { template } = f;
    template.resourceCountIs('AWS::EKS::Cluster', 1);
    template.hasResourceProperties('AWS::EKS::Cluster', { ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false }) });
    template.resourceCountIs('AWS::SQS::Queue', 1);
    // On-demand, with spot as overflow.
    expect(manifestsOfKind(template, 'NodePool').map((p) => p.metadata?.name)).toEqual([f.models.gpuNodePool.poolName, f.models.gpuNodePool.overflowPoolName]);
    expect(manifestsOfKind(template, 'EC2NodeClass')).toHaveLength(1);
    expect(manifestsOfKind(template, 'DaemonSet').map((d) => d.metadata?.name)).toEqual([expect.stringMatching(/nvidia-device-plugin/)]);
    const charts = Object.values(template.findResources('Custom::AWSCDK-EKS-HelmChart')).map((r) => r.Properties.Chart);
    expect(charts.sort()).toEqual(['aws-load-balancer-controller', 'dcgm-exporter', 'karpenter', 'keda']);
    template.resourceCountIs('AWS::APS::Workspace', 1);
    template.resourceCountIs('AWS::APS::Scraper', 1);
  });

  test('each model gets its own Deployment, ScaledObject and internal load balancer', () => {
    const { template } = f;
    expect(manifestsOfKind(template, 'Deployment').map((d) => d.metadata?.name).sort()).toEqual(['llama-8b', 'qwen-32b']);
    expect(manifestsOfKind(template, 'ScaledObject')).toHaveLength(2);
    expect(manifestsOfKind(template, 'TargetGroupBinding').map((t) => (t.spec as { serviceRef: { name: string } }).serviceRef.name).sort())
      .toEqual(['llama-8b', 'qwen-32b']);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 2);
    template.allResourcesProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal', Type: 'network' });
  });

  test('every Kubernetes object in the template is valid against its upstream schema', () => {
    expectValidManifests(withDeployTimeIds(kubernetesManifests(f.template)));
  });

  test('targets: OpenAI-compatible, the load balancer\'s URL, the served model, and a price from the GPU hour', () => {
    const [llama, qwen] = f.models.targets;
    expect(llama.target).toMatchObject({ id: 'llama-8b', kind: TargetKind.OPENAI_COMPATIBLE, model: 'llama-8b' });
    const [, parts] = f.stack.resolve(llama.target.baseUrl)['Fn::Join'];
    expect(parts).toEqual(['http://', { 'Fn::GetAtt': [expect.stringMatching(/^SelfHostedEndpoint0/), 'DNSName'] }, '/v1']);
    // g6.xlarge ≈ $0.8048/h at 400 output tokens/s: 0.8048 / (400 × 3600) × 1000 per 1K tokens.
    expect(llama.price.outputUsdPer1K).toBeCloseTo((0.8048 / (400 * 3600)) * 1000, 8);
    // g6e.12xlarge has 4 GPUs; 2 per replica makes 2 replicas per instance sharing its hourly price.
    expect(qwen.target.id).toBe('qwen');
    expect(qwen.price.outputUsdPer1K).toBeCloseTo((10.493 / (600 * 2 * 3600)) * 1000, 8);
    expect(llama.port).toBe(80);
  });

  test('the GPU pool exists before the models; Service, then TargetGroupBinding, then Deployment (readiness gates are injected at pod creation)', () => {
    const { template } = f;
    const deployment = manifestResourceId(template, 'Deployment', 'llama-8b');
    const service = manifestResourceId(template, 'Service', 'llama-8b');
    const nodePool = manifestResourceId(template, 'NodePool', f.models.gpuNodePool.poolName);
    const binding = manifestResourceId(template, 'TargetGroupBinding', 'llama-8b');
    const resources = template.toJSON().Resources as Record<string, { DependsOn?: string[] }>;
    expect(service).not.toBe(deployment);
    expect(resources[deployment].DependsOn).toEqual(expect.arrayContaining([nodePool, binding, service]));
    expect(resources[binding].DependsOn).toEqual(expect.arrayContaining([service]));
    expect(resources[binding].DependsOn).not.toContain(deployment);
  });

  test('the models namespace carries the readiness-gate label; no Deployment sets replicas while KEDA scales it', () => {
    const [namespace] = manifestsOfKind(f.template, 'Namespace', 'models');
    expect((namespace.metadata as { labels?: Record<string, string> }).labels).toMatchObject({ 'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled' });
    for (const deployment of manifestsOfKind(f.template, 'Deployment')) {
      expect(deployment.spec).not.toHaveProperty('replicas');
    }
    for (const so of manifestsOfKind(f.template, 'ScaledObject')) {
      expect((so.spec as { minReplicaCount: number }).minReplicaCount).toBeGreaterThanOrEqual(2);
    }
  });

  test('tool calls: vLLM runs with the parser, and only that model\'s target has the tools capability', () => {
    const args = (name: string): string[] => (manifestsOfKind(f.template, 'Deployment', name)[0].spec as { template: { spec: { containers: Array<{ args: string[] }> } } }).template.spec.containers[0].args;
    const llama = args('llama-8b');
    expect(llama.slice(llama.indexOf('--enable-auto-tool-choice'), llama.indexOf('--enable-auto-tool-choice') + 3)).toEqual(['--enable-auto-tool-choice', '--tool-call-parser', 'llama3_json']);
    expect(args('qwen-32b')).not.toContain('--enable-auto-tool-choice');
    expect(args('qwen-32b')).not.toContain('--tool-call-parser');
    const [withParser, without] = f.models.targets.map((t) => t.target);
    expect(withParser.capabilities).toEqual({ tools: true });
    expect(without.capabilities).toBeUndefined();
    // What routing sees: tools on the model with a parser only.
    expect(resolveCapabilities(TargetKind.OPENAI_COMPATIBLE, withParser.model!, withParser.capabilities).tools).toBe(true);
    expect(resolveCapabilities(TargetKind.OPENAI_COMPATIBLE, without.model!, without.capabilities).tools).toBe(false);
  });

  test('vLLM drains for the router\'s total deadline, and the target group keeps a draining pod that long', () => {
    const args = (manifestsOfKind(f.template, 'Deployment', 'llama-8b')[0].spec as { template: { spec: { containers: Array<{ args: string[] }> } } }).template.spec.containers[0].args;
    expect(args[args.indexOf('--shutdown-timeout') + 1]).toBe(String(f.models.targets[0].target.timeouts!.totalMs! / 1000));
    f.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '135' }]),
    });
  });
});

type CfnResources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }>;

/** The logical ids of the Helm charts, by chart name. */
function helmChartIds(template: Template): Record<string, string> {
  return Object.fromEntries(Object.entries(template.findResources('Custom::AWSCDK-EKS-HelmChart'))
    .map(([id, r]) => [r.Properties.Chart as string, id]));
}

/** The pods of every chart of the template, as their values place them. */
function chartPods(template: Template): PodShape[] {
  return helmReleases(template).map((h) => ({
    name: h.chart ?? '?',
    nodeSelector: (h.values.nodeSelector ?? {}) as Record<string, string>,
    tolerations: (h.values.tolerations ?? []) as PodShape['tolerations'],
  }));
}

/** The GPU NodePools of the template, as their nodes are labelled and tainted. */
function gpuNodePools(template: Template): NodePoolShape[] {
  return manifestsOfKind(template, 'NodePool').map((p) => {
    const t = (p.spec as { template: { metadata: { labels: Record<string, string> }; spec: { taints: NodePoolShape['taints'] } } }).template;
    return { name: p.metadata?.name ?? '', labels: { 'kubernetes.io/os': 'linux', ...t.metadata.labels }, taints: t.spec.taints };
  });
}

/** The node pools of the system managed node groups in the template, as their nodes are labelled and tainted. */
function managedNodeGroupPools(template: Template): NodePoolShape[] {
  return Object.entries(template.findResources('AWS::EKS::Nodegroup')).map(([id, r]) => ({
    name: id,
    labels: { 'kubernetes.io/os': 'linux', ...(r.Properties.Labels ?? {}) as Record<string, string> },
    taints: ((r.Properties.Taints ?? []) as Array<{ Key: string; Value?: string; Effect: string }>)
      .map((t) => ({ key: t.Key, value: t.Value, effect: ({ NO_SCHEDULE: 'NoSchedule', NO_EXECUTE: 'NoExecute', PREFER_NO_SCHEDULE: 'PreferNoSchedule' } as Record<string, string>)[t.Effect] })),
  }));
}

// EKS Auto Mode's built-in node pools (EKS user guide, "Enable or disable built-in NodePools"):
// `system` is tainted CriticalAddonsOnly:NoSchedule for critical add-ons, `general-purpose` is not
// tainted. Karpenter labels each node with its pool; neither carries the library's node-role label.
const AUTO_MODE_POOLS: NodePoolShape[] = [
  { name: 'system', labels: { 'kubernetes.io/os': 'linux', 'karpenter.sh/nodepool': 'system' }, taints: [{ key: 'CriticalAddonsOnly', effect: 'NoSchedule' }] },
  { name: 'general-purpose', labels: { 'kubernetes.io/os': 'linux', 'karpenter.sh/nodepool': 'general-purpose' }, taints: [] },
];

describe('first deployment: cluster services wait for their nodes and DNS', () => {
  let template: Template;
  let resources: CfnResources;
  beforeAll(() => {
    template = build({ models: [LLAMA] }).template;
    resources = template.toJSON().Resources as CfnResources;
  });

  test('every chart (Karpenter, KEDA, load balancer controller) depends on the system node group and the CoreDNS add-on', () => {
    const [systemNodes] = Object.entries(template.findResources('AWS::EKS::Nodegroup')).filter(([, r]) => r.Properties.Labels?.[NODE_ROLE_LABEL] === SYSTEM_NODE_ROLE).map(([id]) => id);
    const [coreDns] = Object.entries(template.findResources('AWS::EKS::Addon')).filter(([, r]) => r.Properties.AddonName === 'coredns').map(([id]) => id);
    expect(systemNodes).toBeDefined();
    expect(coreDns).toBeDefined();
    const charts = helmChartIds(template);
    expect(Object.keys(charts).sort()).toEqual(['aws-load-balancer-controller', 'dcgm-exporter', 'karpenter', 'keda']);
    // The cluster services; the DCGM exporter is a DaemonSet of the GPU nodes, which come later.
    for (const [chart, id] of Object.entries(charts).filter(([c]) => c !== 'dcgm-exporter')) {
      expect({ chart, dependsOn: resources[id].DependsOn }).toEqual({ chart, dependsOn: expect.arrayContaining([systemNodes, coreDns]) });
    }
    // CoreDNS itself runs on the system nodes.
    expect(resources[coreDns].DependsOn).toEqual(expect.arrayContaining([systemNodes]));
  });

  test('every chart waits for its pods, with a timeout longer than Helm\'s 5-minute default (15 minutes, the custom resource\'s limit)', () => {
    for (const [chart, id] of Object.entries(helmChartIds(template)).filter(([c]) => c !== 'dcgm-exporter')) {
      expect({ chart, ...resources[id].Properties }).toMatchObject({ chart, Wait: true, Timeout: '900s' });
    }
  });
});

describe('scheduling: every chart\'s pods have a node in each capacity mode', () => {
  test('self-managed Karpenter: the charts select the system node group', () => {
    const { template } = build({ models: [LLAMA] });
    const system = managedNodeGroupPools(template);
    const gpu = gpuNodePools(template);
    expect(system.length).toBeGreaterThan(0);
    const pods = chartPods(template);
    expect(pods.map((p) => p.name).sort()).toEqual(['aws-load-balancer-controller', 'dcgm-exporter', 'karpenter', 'keda']);
    for (const pod of pods) {
      const expected = pod.name === 'dcgm-exporter' ? gpu.map((p) => p.name) : system.map((p) => p.name);
      expect({ pod: pod.name, pools: schedulableOn(pod, [...system, ...gpu]) }).toEqual({ pod: pod.name, pools: expected });
    }
  });

  test('EKS Auto Mode: the charts run on the built-in pools, which carry no node-role label', () => {
    const { template } = build({ models: [LLAMA], clusterProps: { capacityMode: CapacityMode.AUTO_MODE } });
    template.resourceCountIs('AWS::EKS::Nodegroup', 0);
    const pods = chartPods(template);
    const gpu = gpuNodePools(template);
    expect(pods.map((p) => p.name).sort()).toEqual(['aws-load-balancer-controller', 'dcgm-exporter', 'keda']);
    for (const pod of pods) {
      const expected = pod.name === 'dcgm-exporter' ? gpu.map((p) => p.name) : ['system', 'general-purpose'];
      expect({ pod: pod.name, pools: schedulableOn(pod, [...AUTO_MODE_POOLS, ...gpu]) }).toEqual({ pod: pod.name, pools: expected });
    }
    // The check can fail: the self-managed selector finds no Auto Mode node.
    expect(schedulableOn({ name: 'old', nodeSelector: systemNodeSelector(), tolerations: [] }, AUTO_MODE_POOLS)).toEqual([]);
  });

  test('the weights copy Job (default weights) runs on the system nodes in each mode, never on a GPU pool', () => {
    const jobPod = (template: Template): PodShape => {
      const [job] = manifestsOfKind(template, 'Job');
      const spec = (job.spec as { template: { spec: { nodeSelector: Record<string, string>; tolerations?: PodShape['tolerations'] } } }).template.spec;
      return { name: String(job.metadata?.name), nodeSelector: spec.nodeSelector, tolerations: spec.tolerations ?? [] };
    };
    const karpenter = build({ models: [LLAMA] }).template;
    expect(schedulableOn(jobPod(karpenter), [...managedNodeGroupPools(karpenter), ...gpuNodePools(karpenter)])).toEqual(managedNodeGroupPools(karpenter).map((p) => p.name));
    const auto = build({ models: [LLAMA], clusterProps: { capacityMode: CapacityMode.AUTO_MODE } }).template;
    expect(schedulableOn(jobPod(auto), [...AUTO_MODE_POOLS, ...gpuNodePools(auto)])).toEqual(['system', 'general-purpose']);
  });
});

describe('support matrix at synth', () => {
  test('a Kubernetes version outside a pinned component\'s range is a synth warning naming the component', () => {
    const { stack } = build({ models: [LLAMA], clusterProps: { version: eks.KubernetesVersion.of('1.33') } });
    Annotations.fromStack(stack).hasWarning('/Models/SelfHosted', Match.stringLikeRegexp('Kubernetes 1.33 is outside the documented range of KEDA 2\\.21\\.1 \\(1\\.34–1\\.36\\)'));
  });

  test('the default version raises none', () => {
    const { stack } = build({ models: [LLAMA] });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('outside the documented range'))).toEqual([]);
  });
});

describe('TLS from the router to the models', () => {
  const DOMAIN = 'models.internal.example.com';

  test('a certificate you bring: a TLS listener on 443 per model, https base URLs on <target>.<domain>, alias records', () => {
    const stack = new Stack(new App(), 'Models', { env: ENV });
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-0b0a-0908-0706-050403020100');
    const zone = new route53.PrivateHostedZone(stack, 'Zone', { zoneName: DOMAIN, vpc: ec2.Vpc.fromVpcAttributes(stack, 'ZoneVpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'] }) });
    const models = new SelfHostedModels(stack, 'SelfHosted', { models: [{ ...LLAMA, restrictedAllowed: true }, QWEN], tls: { domainName: DOMAIN, certificate, privateHostedZone: zone } });
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443, Protocol: 'TLS', Certificates: [{ CertificateArn: certificate.certificateArn }], SslPolicy: Match.stringLikeRegexp('TLS'),
    }, 2);
    template.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'TCP' }, 0);
    expect(models.targets.map((t) => t.target.baseUrl)).toEqual([`https://llama-8b.${DOMAIN}/v1`, `https://qwen.${DOMAIN}/v1`]);
    expect(models.targets.map((t) => t.port)).toEqual([443, 443]);
    expect(models.targets[0].target.restrictedAllowed).toBe(true);
    template.resourceCountIs('AWS::Route53::RecordSet', 2);
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: `llama-8b.${DOMAIN}.`, Type: 'A' });
  });

  test('a private CA: one ACM private certificate for *.<domain> issued by it', () => {
    const stack = new Stack(new App(), 'Models', { env: ENV });
    const ca = acmpca.CertificateAuthority.fromCertificateAuthorityArn(stack, 'Ca', 'arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/11111111-2222-3333-4444-555555555555');
    const models = new SelfHostedModels(stack, 'SelfHosted', { models: [LLAMA], tls: { domainName: DOMAIN, certificateAuthority: ca } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CertificateManager::Certificate', { DomainName: `*.${DOMAIN}`, CertificateAuthorityArn: ca.certificateAuthorityArn });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'TLS' });
    expect(models.certificate).toBeDefined();
  });

  test.each<[string, Partial<SelfHostedModelsProps>, RegExp]>([
    ['restricted without TLS', { models: [{ ...LLAMA, restrictedAllowed: true }] }, /models\['llama-8b'\]\.restrictedAllowed needs tls: a target cleared for restricted data is reached only over TLS/],
    ['TLS without certificate or CA', { tls: { domainName: DOMAIN } }, /tls needs exactly one of certificate .* and certificateAuthority/],
    ['TLS with a bad domain', { tls: { domainName: 'Models_Internal', certificate: acm.Certificate.fromCertificateArn(new Stack(), 'C', 'arn:aws:acm:us-east-1:1:certificate/x') } }, /tls\.domainName must be a lower-case DNS name.*'Models_Internal'/],
  ])('%s fails at synth', (_name, props, message) => {
    expect(() => build({ models: [LLAMA], ...props })).toThrow(message);
  });
});

describe('the vLLM image through an ECR pull-through cache', () => {
  test('a Docker Hub cache rule, the models\' image from ECR, and import rights for both node roles on the prefix only', () => {
    const stack = new Stack(new App(), 'Models', { env: ENV });
    const credentials = secretsmanager.Secret.fromSecretNameV2(stack, 'DockerHub', 'ecr-pullthroughcache/docker-hub');
    const models = new SelfHostedModels(stack, 'SelfHosted', { models: [LLAMA, { ...QWEN, image: 'example.com/own/vllm:1' }], imageCache: { dockerHubCredentials: credentials } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'docker-hub', UpstreamRegistry: 'docker-hub', UpstreamRegistryUrl: 'registry-1.docker.io', CredentialArn: Match.anyValue(),
    });
    const image = (name: string) => (manifestsOfKind(template, 'Deployment', name)[0].spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0].image;
    expect(image('llama-8b')).toBe('111122223333.dkr.ecr.us-east-1.{{Ref:AWS::URLSuffix}}/docker-hub/vllm/vllm-openai:v0.29.0');
    expect(image('qwen-32b')).toBe('example.com/own/vllm:1');
    const roleIds = [models.karpenter!.nodeRole, models.selfHostedCluster!.nodeRole!].map((r) => stack.getLogicalId(r.node.defaultChild as never));
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'],
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:us-east-1:111122223333:repository/docker-hub/*']] } }] },
      Roles: roleIds.map((id) => ({ Ref: id })),
    });
  });

  test.each<[string, Partial<SelfHostedModelsProps>, RegExp]>([
    ['in Auto Mode', { clusterProps: { capacityMode: CapacityMode.AUTO_MODE } }, /imageCache applies to self-managed Karpenter/],
    ['with a bad prefix', { imageCache: { dockerHubCredentials: secretsmanager.Secret.fromSecretNameV2(new Stack(), 'S', 'ecr-pullthroughcache/x'), repositoryPrefix: 'Docker Hub' } }, /imageCache\.repositoryPrefix must be .*'Docker Hub'/],
  ])('%s fails at synth', (_name, props, message) => {
    expect(() => build({ models: [LLAMA], imageCache: { dockerHubCredentials: secretsmanager.Secret.fromSecretNameV2(new Stack(), 'S', 'ecr-pullthroughcache/x') }, ...props })).toThrow(message);
  });
});

describe('SelfHostedModels variants', () => {
  test('EKS Auto Mode: no Karpenter, no device plugin, a NodePool on the Auto Mode NodeClass', () => {
    const { template } = build({ models: [LLAMA], clusterProps: { capacityMode: CapacityMode.AUTO_MODE } });
    template.resourceCountIs('AWS::SQS::Queue', 0);
    expect(manifestsOfKind(template, 'EC2NodeClass')).toEqual([]);
    expect(manifestsOfKind(template, 'DaemonSet')).toEqual([]);
    const [pool] = manifestsOfKind(template, 'NodePool');
    expect(manifestsOfKind(template, 'NodePool')).toHaveLength(2);
    expect((pool.spec as { template: { spec: { nodeClassRef: unknown } } }).template.spec.nodeClassRef).toMatchObject({ group: 'eks.amazonaws.com', kind: 'NodeClass' });
  });

  test('an AL2023 GPU node group gets the device plugin even when the Karpenter pool runs Bottlerocket', () => {
    const { template } = build({
      models: [LLAMA],
      clusterProps: { gpuNodeGroup: { instanceTypes: ['g6.xlarge'] } },
      gpuNodePool: { amiFamily: GpuAmiFamily.BOTTLEROCKET },
      autoscaling: false,
    });
    expect(manifestsOfKind(template, 'DaemonSet')).toHaveLength(1);
    expect(manifestsOfKind(template, 'ScaledObject')).toEqual([]);
    template.resourceCountIs('AWS::APS::Workspace', 0);
  });

  test('an existing cluster and VPC: nothing of the cluster is created', () => {
    const stack = new Stack(new App(), 'Models', { env: ENV });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
    });
    const cluster = new eks.Cluster(stack, 'Theirs', {
      version: eks.KubernetesVersion.V1_35, vpc, vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }], clusterName: 'theirs', endpointAccess: eks.EndpointAccess.PRIVATE,
      kubectlProviderOptions: { kubectlLayer: new KubectlV36Layer(stack, 'Kubectl') },
    });
    const models = new SelfHostedModels(stack, 'SelfHosted', { models: [LLAMA], existingCluster: cluster, vpc, metrics: { serverAddress: 'http://prometheus.monitoring:9090' } });
    const template = Template.fromStack(stack);
    expect(models.selfHostedCluster).toBeUndefined();
    expect(models.cluster).toBe(cluster);
    template.resourceCountIs('AWS::EKS::Cluster', 1);
    template.resourceCountIs('AWS::APS::Workspace', 0);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Subnets: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'] });
  });

  const make = (props: SelfHostedModelsProps) => () => build(props);
  test.each<[string, SelfHostedModelsProps, RegExp]>([
    ['no models', { models: [] }, /models must name at least one model/],
    ['duplicate target id', { models: [LLAMA, { ...QWEN, targetId: 'llama-8b' }] }, /target id 'llama-8b' appears twice/],
    ['vpc without existingCluster', { models: [LLAMA], vpc: ec2.Vpc.fromVpcAttributes(new Stack(), 'V', { vpcId: 'vpc-1', availabilityZones: ['a'] }) }, /vpc applies only with existingCluster/],
    ['metrics without autoscaling', { models: [LLAMA], autoscaling: false, metrics: { serverAddress: 'http://p:9090' } }, /metrics is set, but autoscaling is false/],
    ['tensor parallelism beyond the GPUs', { models: [{ ...LLAMA, tensorParallelSize: 2 }] }, /tensorParallelSize must be an integer from 1 to 1.*received 2/],
    ['unknown instance family', { models: [LLAMA], gpuNodePool: { instanceFamilies: ['g6', 'm7i'] } }, /unknown GPU instance family 'm7i'/],
    ['a model the pool cannot launch', { models: [LLAMA], gpuNodePool: { instanceFamilies: ['g6e'] } }, /models\['llama-8b'\]\.instanceType 'g6\.xlarge' is not one the GPU pool launches \(gpuNodePool\.instanceFamilies g6e\)/],
    ['a size outside the pool', { models: [LLAMA], gpuNodePool: { instanceSizes: ['2xlarge'] } }, /instanceSizes 2xlarge/],
  ])('%s fails at synth', (_name, props, message) => {
    expect(make(props)).toThrow(message);
  });
});
