import { App, CfnElement, Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { GPU_NODE_ROLE, GPU_RESOURCE, GPU_TAINT, NODE_ROLE_LABEL, systemNodeSelector } from '../../../lib/selfhosted/scheduling';
import {
  Keda, ManagedPrometheus, ModelWeights, PrometheusSource, ToolCallParser, VllmModel, VllmModelProps,
} from '../../../lib/selfhosted/vllm';
import { statementsOfRole } from '../../helpers/iam-statements';
import { helmRelease, helmReleases, kubernetesManifests, manifestsOfKind } from '../helpers/template-manifests';
import { expectValidManifests, KubeObject } from '../helpers/validate-manifests';
import { clusterStack } from './fixtures';

// Value keys of kedacore/charts keda/values.yaml that the Keda construct may set. Provenance: the
// stored index holds keda/values.yaml only at an older commit (023f21c2), where `nodeSelector` and
// `tolerations` are top-level values applied to the operator and metrics server; the templates of
// every stored version read `.Values.nodeSelector` and `.Values.tolerations`. Not verified against
// the 2.21.1 values.yaml itself. Keys below a map key are free-form.
const KEDA_CHART_VALUE_KEYS = new Set(['nodeSelector', 'tolerations']);
const KEDA_CHART_MAP_KEYS = new Set(['nodeSelector']);

/** The dotted paths of a values object, stopping at free-form map keys. */
function kedaValuePaths(values: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    if (KEDA_CHART_MAP_KEYS.has(path) || value === null || typeof value !== 'object' || Array.isArray(value)) return [path];
    return kedaValuePaths(value as Record<string, unknown>, path);
  });
}

type Json = Record<string, unknown>;
/** Follows a dotted path into a parsed manifest (array indexes as numbers). */
function pick(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o === undefined || o === null ? undefined : (o as Json)[k]), obj);
}
function one(template: Template, kind: string, name: string): KubeObject {
  const found = manifestsOfKind(template, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0];
}
function container(deployment: KubeObject): Json {
  return (pick(deployment, 'spec.template.spec.containers') as Json[])[0];
}
function argValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}
function logicalIdOf(stack: Stack, c: Construct): string {
  const element = CfnElement.isCfnElement(c) ? c : c.node.defaultChild;
  if (!CfnElement.isCfnElement(element)) throw new Error(`${c.node.path} has no CloudFormation element`);
  return stack.getLogicalId(element);
}

describe('two models side by side with managed Prometheus and KEDA', () => {
  let stack: Stack;
  let template: Template;
  let llama: VllmModel;
  let qwen: VllmModel;
  let metrics: ManagedPrometheus;
  let keda: Keda;
  let bucket: s3.Bucket;
  let bucketKey: kms.Key;
  let secret: secretsmanager.Secret;
  let cluster: eks.Cluster;

  beforeAll(() => {
    const built = clusterStack();
    stack = built.stack;
    cluster = built.cluster;
    keda = new Keda(stack, 'Keda', { cluster });
    metrics = PrometheusSource.managed(stack, 'Metrics', { cluster, keda });
    secret = new secretsmanager.Secret(stack, 'HfToken');
    llama = new VllmModel(stack, 'Llama', {
      cluster, name: 'llama', modelId: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: 'g6.xlarge',
      weights: ModelWeights.fromHuggingFace({ tokenSecret: secret }), maxModelLen: 8192,
      startupTimeout: Duration.minutes(20), autoscaling: { prometheus: metrics, keda },
    });
    bucketKey = new kms.Key(stack, 'BucketKey');
    bucket = new s3.Bucket(stack, 'Weights', { encryptionKey: bucketKey });
    qwen = new VllmModel(stack, 'Qwen', {
      cluster, name: 'qwen', instanceType: 'g6.12xlarge', servedModelName: 'qwen-32b', weights: ModelWeights.fromS3(bucket, 'models/qwen/'),
      enablePrefixCaching: false, minReplicas: 2, maxReplicas: 4, extraArgs: ['--max-num-seqs', '64'],
      autoscaling: { prometheus: metrics, keda, queueDepthPerReplica: 3, kvCacheUsageTarget: 0.7, scaleDownStabilization: Duration.minutes(15) },
    });
    template = Template.fromStack(stack);
  });

  test('every Kubernetes manifest in the template is valid against the upstream schemas', () => {
    const manifests = kubernetesManifests(template);
    expect(new Set(manifests.map((m) => m.kind))).toEqual(new Set([
      'Namespace', 'ServiceAccount', 'Deployment', 'Service', 'PodDisruptionBudget', 'ScaledObject', 'TriggerAuthentication',
    ]));
    expectValidManifests(manifests);
  });

  test('the objects exposed for the lead are the ones applied, and valid', () => {
    expect(llama.kubernetesObjects.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'PodDisruptionBudget', 'ScaledObject']);
    expectValidManifests(llama.kubernetesObjects as unknown as KubeObject[]);
  });

  test('KEDA: pinned chart on the system nodes, operator identity through Pod Identity', () => {
    const release = helmRelease(template, 'keda');
    expect(release).toMatchObject({ repository: 'https://kedacore.github.io/charts', version: Keda.DEFAULT_CHART_VERSION, namespace: 'keda', release: 'keda' });
    expect(release.values).toEqual({ nodeSelector: systemNodeSelector() });
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      Namespace: 'keda', ServiceAccount: 'keda-operator', RoleArn: { 'Fn::GetAtt': [logicalIdOf(stack, keda.operatorRole as unknown as Construct), 'Arn'] },
    });
    expect(helmReleases(template)).toHaveLength(1);
  });

  test('every KEDA value key exists in the chart\'s values.yaml', () => {
    const paths = kedaValuePaths(helmRelease(template, 'keda').values);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((p) => !KEDA_CHART_VALUE_KEYS.has(p))).toEqual([]);
    expect(kedaValuePaths({ nodeSelecter: { a: 'b' } }).filter((p) => !KEDA_CHART_VALUE_KEYS.has(p))).toEqual(['nodeSelecter.a']);
  });

  test('the KEDA operator may query this workspace only', () => {
    const statements = statementsOfRole(template, logicalIdOf(stack, keda.operatorRole as unknown as Construct));
    expect(statements).toEqual([{
      Effect: 'Allow',
      Action: ['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata'],
      Resource: { 'Fn::GetAtt': [logicalIdOf(stack, metrics.workspace), 'Arn'] },
    }]);
  });

  test('AMP workspace on the AWS owned key (managed scrapers cannot write to a CMK workspace); scraper fed by the cluster', () => {
    template.hasResourceProperties('AWS::APS::Workspace', { KmsKeyArn: Match.absent() });
    template.resourcePropertiesCountIs('AWS::KMS::Key', { Description: Match.stringLikeRegexp('Prometheus') }, 0);
    template.hasResourceProperties('AWS::APS::Scraper', {
      Source: { EksConfiguration: {
        ClusterArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'Arn'] },
        SubnetIds: stack.resolve(cluster.vpc.privateSubnets.map((subnet) => subnet.subnetId)),
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'ClusterSecurityGroupId'] }],
      } },
      Destination: { AmpConfiguration: { WorkspaceArn: { 'Fn::GetAtt': [logicalIdOf(stack, metrics.workspace), 'Arn'] } } },
    });
    expect(cluster.vpc.privateSubnets.length).toBeGreaterThanOrEqual(2);
  });

  test('the scrape configuration keeps only vLLM pods on their http port and labels namespace and pod', () => {
    const scraper = Object.values(template.findResources('AWS::APS::Scraper'))[0];
    const yaml = Buffer.from(scraper.Properties.ScrapeConfiguration.ConfigurationBlob as string, 'base64').toString('utf8');
    expect(yaml).toContain('scrape_interval: 30s');
    expect(yaml).toContain('- role: pod');
    expect(yaml).toMatch(/source_labels: \[__meta_kubernetes_pod_label_app_kubernetes_io_name\]\n\s+action: keep\n\s+regex: vllm/);
    expect(yaml).toMatch(/source_labels: \[__meta_kubernetes_pod_container_port_name\]\n\s+action: keep\n\s+regex: http/);
    expect(yaml).toMatch(/source_labels: \[__meta_kubernetes_namespace\]\n\s+target_label: namespace/);
  });

  test('no access entry and no RBAC for the scraper: CreateScraper makes the access entry on an API-mode cluster', () => {
    template.resourcePropertiesCountIs('AWS::EKS::AccessEntry', { PrincipalArn: Match.stringLikeRegexp('AmazonPrometheusScraper') }, 0);
    expect(manifestsOfKind(template, 'ClusterRole').filter((m) => /aps-collector/.test(String(m.metadata?.name)))).toEqual([]);
    expect(manifestsOfKind(template, 'ClusterRoleBinding').filter((m) => /aps-collector/.test(String(m.metadata?.name)))).toEqual([]);
    // The precondition of that: the fixture cluster (aws-eks-v2) authenticates with access entries.
    template.hasResourceProperties('AWS::EKS::Cluster', { AccessConfig: Match.objectLike({ AuthenticationMode: 'API' }) });
  });

  test('one namespace and one TriggerAuthentication for the two models', () => {
    expect(manifestsOfKind(template, 'Namespace', 'models')).toHaveLength(1);
    const auth = manifestsOfKind(template, 'TriggerAuthentication', VllmModel.AWS_TRIGGER_AUTH_NAME);
    expect(auth).toHaveLength(1);
    expect(auth[0].spec).toEqual({ podIdentity: { provider: 'aws' } });
  });

  test('the two models do not collide: own names, selectors, service accounts and roles', () => {
    for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'ScaledObject', 'ServiceAccount']) {
      expect(manifestsOfKind(template, kind).map((m) => m.metadata?.name).sort()).toEqual(['llama', 'qwen']);
    }
    expect(pick(one(template, 'Service', 'llama'), 'spec.selector')).toEqual({ 'app.kubernetes.io/name': 'vllm', 'app.kubernetes.io/instance': 'llama' });
    expect(pick(one(template, 'Service', 'qwen'), 'spec.selector')).toEqual({ 'app.kubernetes.io/name': 'vllm', 'app.kubernetes.io/instance': 'qwen' });
    template.resourcePropertiesCountIs('AWS::EKS::PodIdentityAssociation', { Namespace: 'models' }, 2);
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: 'models', ServiceAccount: 'llama' });
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: 'models', ServiceAccount: 'qwen' });
    expect(llama.role.node.path).not.toEqual(qwen.role.node.path);
  });

  test('GPU pods tolerate GPU_TAINT and require GPU nodes of the sized instance type', () => {
    const spec = pick(one(template, 'Deployment', 'llama'), 'spec.template.spec') as Json;
    expect(spec.tolerations).toEqual([{ key: GPU_TAINT.key, operator: 'Equal', value: GPU_TAINT.value, effect: GPU_TAINT.effect }]);
    expect(pick(spec, 'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms')).toEqual([{ matchExpressions: [
      { key: NODE_ROLE_LABEL, operator: 'In', values: [GPU_NODE_ROLE] },
      { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['g6.xlarge'] },
    ] }]);
  });

  test('the GPU limit and requests follow the instance and GPUs per replica', () => {
    expect(pick(container(one(template, 'Deployment', 'llama')), 'resources')).toEqual({
      requests: { 'cpu': '3300m', 'memory': '12800Mi', [GPU_RESOURCE]: '1' },
      limits: { 'memory': '12800Mi', [GPU_RESOURCE]: '1' },
    });
    expect(pick(container(one(template, 'Deployment', 'qwen')), `resources.limits`)).toEqual({ 'memory': '184064Mi', [GPU_RESOURCE]: '4' });
    expect(llama.gpusPerReplica).toBe(1);
    expect(qwen.instance).toMatchObject({ instanceType: 'g6.12xlarge', gpuCount: 4 });
  });

  test('vLLM arguments: model, served name, tensor parallel size, memory, prefix caching, drain, extra args', () => {
    const llamaArgs = container(one(template, 'Deployment', 'llama')).args as string[];
    expect(container(one(template, 'Deployment', 'llama')).image).toBe(VllmModel.DEFAULT_IMAGE);
    expect(llamaArgs[0]).toBe('meta-llama/Llama-3.1-8B-Instruct');
    expect(argValue(llamaArgs, '--served-model-name')).toBe('llama');
    expect(argValue(llamaArgs, '--tensor-parallel-size')).toBe('1');
    expect(argValue(llamaArgs, '--gpu-memory-utilization')).toBe('0.9');
    expect(argValue(llamaArgs, '--max-model-len')).toBe('8192');
    expect(argValue(llamaArgs, '--port')).toBe('8000');
    expect(llamaArgs).toContain('--enable-prefix-caching');
    expect(llamaArgs).not.toContain('--load-format');

    const qwenArgs = container(one(template, 'Deployment', 'qwen')).args as string[];
    expect(qwenArgs[0]).toBe(`s3://{{Ref:${logicalIdOf(stack, bucket)}}}/models/qwen/`);
    expect(argValue(qwenArgs, '--load-format')).toBe('runai_streamer');
    expect(argValue(qwenArgs, '--served-model-name')).toBe('qwen-32b');
    expect(argValue(qwenArgs, '--tensor-parallel-size')).toBe('4');
    expect(qwenArgs).toContain('--no-enable-prefix-caching');
    expect(qwenArgs).not.toContain('--max-model-len');
    expect(qwenArgs.slice(-2)).toEqual(['--max-num-seqs', '64']);
  });

  test('port 8000 named http; ClusterIP Service on 8000', () => {
    expect(container(one(template, 'Deployment', 'llama')).ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
    expect(pick(one(template, 'Service', 'llama'), 'spec')).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' }] });
    expect(llama.port).toBe(8000);
    expect(llama.clusterUrl).toBe('http://llama.models.svc.cluster.local:8000/v1');
  });

  test('probes: the startup probe covers the configured load time; readiness and liveness on /health', () => {
    const c = container(one(template, 'Deployment', 'llama'));
    const startup = c.startupProbe as Json;
    expect(startup.httpGet).toEqual({ path: '/health', port: 'http' });
    expect((startup.periodSeconds as number) * (startup.failureThreshold as number)).toBeGreaterThanOrEqual(20 * 60);
    expect(pick(c, 'readinessProbe.httpGet')).toEqual({ path: '/health', port: 'http' });
    expect(pick(c, 'livenessProbe.httpGet')).toEqual({ path: '/health', port: 'http' });
    const defaults = container(one(template, 'Deployment', 'qwen')).startupProbe as Json;
    expect((defaults.periodSeconds as number) * (defaults.failureThreshold as number)).toBeGreaterThanOrEqual(15 * 60);
  });

  test('/dev/shm is a memory emptyDir mounted at /dev/shm (8 GiB with tensor parallelism)', () => {
    for (const [name, size] of [['llama', '1024Mi'], ['qwen', '8192Mi']]) {
      const deployment = one(template, 'Deployment', name);
      const volumes = pick(deployment, 'spec.template.spec.volumes') as Json[];
      expect(volumes).toContainEqual({ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: size } });
      expect(container(deployment).volumeMounts).toContainEqual({ name: 'shm', mountPath: '/dev/shm' });
    }
  });

  test('graceful drain: grace period longer than the preStop sleep plus vLLM\'s --shutdown-timeout', () => {
    const deployment = one(template, 'Deployment', 'llama');
    const c = container(deployment);
    const preStop = Number((pick(c, 'lifecycle.preStop.exec.command') as string[])[1]);
    const shutdown = Number(argValue(c.args as string[], '--shutdown-timeout'));
    expect(preStop).toBe(15);
    // The router's default total deadline of a self-hosted target: a request it still waits for is never cut.
    expect(shutdown).toBe(120);
    expect(pick(deployment, 'spec.template.spec.terminationGracePeriodSeconds') as number).toBeGreaterThan(preStop + shutdown);
    expect(pick(deployment, 'spec.strategy')).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });

  test('containers drop every capability and cannot escalate; the pod mounts no API token', () => {
    const spec = pick(one(template, 'Deployment', 'llama'), 'spec.template.spec') as Json;
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of [...(spec.containers as Json[]), ...(spec.initContainers as Json[])]) {
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    }
    expect(pick(one(template, 'ServiceAccount', 'llama'), 'automountServiceAccountToken')).toBe(false);
  });

  test('PodDisruptionBudget: at least one replica stays while nodes drain, never maxUnavailable', () => {
    for (const name of ['llama', 'qwen']) {
      expect(pick(one(template, 'PodDisruptionBudget', name), 'spec')).toMatchObject({ minAvailable: 1 });
      expect(pick(one(template, 'PodDisruptionBudget', name), 'spec.maxUnavailable')).toBeUndefined();
    }
  });

  test('production defaults: two replicas, no replicas field while KEDA owns scaling, do-not-disrupt while serving, replicas spread over nodes', () => {
    expect(llama.minReplicas).toBe(2);
    expect(pick(one(template, 'ScaledObject', 'llama'), 'spec.minReplicaCount')).toBe(2);
    for (const name of ['llama', 'qwen']) {
      const deployment = one(template, 'Deployment', name);
      expect(pick(deployment, 'spec')).not.toHaveProperty('replicas');
      expect(pick(deployment, 'spec.template.metadata.annotations')).toEqual({ 'karpenter.sh/do-not-disrupt': 'true' });
      expect(pick(deployment, 'spec.template.spec.topologySpreadConstraints')).toEqual([expect.objectContaining({ topologyKey: 'kubernetes.io/hostname', maxSkew: 1 })]);
    }
  });

  test('the models namespace asks the load balancer controller for pod readiness gates', () => {
    expect(pick(one(template, 'Namespace', 'models'), 'metadata.labels')).toMatchObject({ 'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled' });
  });

  test('the Service is its own manifest, applied before the Deployment', () => {
    const resources = template.toJSON().Resources as Record<string, { DependsOn?: string[] }>;
    const service = logicalIdOf(stack, llama.serviceManifest);
    expect(resources[logicalIdOf(stack, llama.workloadManifest)].DependsOn).toEqual(expect.arrayContaining([service]));
    expect(JSON.stringify(template.toJSON().Resources[service].Properties.Manifest)).not.toContain('Deployment');
  });

  test('the Hugging Face token is fetched at start through Pod Identity, never templated nor stored in a Kubernetes Secret', () => {
    const spec = pick(one(template, 'Deployment', 'llama'), 'spec.template.spec') as Json;
    const init = (spec.initContainers as Json[])[0];
    expect(init.name).toBe('fetch-hf-token');
    expect(init.env).toContainEqual({ name: 'SECRET_ARN', value: `{{Ref:${logicalIdOf(stack, secret)}}}` });
    expect(container(one(template, 'Deployment', 'llama')).env).toContainEqual({ name: 'HF_TOKEN_PATH', value: '/var/run/secrets/huggingface/token' });
    expect(spec.volumes).toContainEqual({ name: 'hf-token', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    expect(manifestsOfKind(template, 'Secret')).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/secretsmanager:resolve|SecretString\}\}/);
    expect(statementsOfRole(template, logicalIdOf(stack, llama.role as unknown as Construct))).toEqual([{
      Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: logicalIdOf(stack, secret) },
    }]);
  });

  test('S3 weights: read-only on the prefix, list limited to it, decrypt with the bucket key; no inline policy', () => {
    const statements = statementsOfRole(template, logicalIdOf(stack, qwen.role as unknown as Construct));
    const bucketArn = { 'Fn::GetAtt': [logicalIdOf(stack, bucket), 'Arn'] };
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [bucketArn, '/models/qwen/*']] } },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': ['models/qwen/', 'models/qwen/*'] } } },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [logicalIdOf(stack, bucketKey), 'Arn'] } },
    ]);
    template.resourceCountIs('AWS::IAM::Policy', Object.keys(template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^Cluster') }]) },
    })).length);
    for (const model of [llama, qwen]) {
      expect(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalIdOf(stack, model.role as unknown as Construct) }] } })).toEqual({});
    }
    expect(container(one(template, 'Deployment', 'qwen')).env).toContainEqual({ name: 'AWS_REGION', value: 'us-east-1' });
  });

  test('the pod roles trust EKS Pod Identity only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Principal: { Service: 'pods.eks.amazonaws.com' } }] },
      Description: Match.stringLikeRegexp('vLLM model llama'),
    });
  });

  test('ScaledObject: queue depth and KV-cache usage of this model, never the deprecated gauge', () => {
    const so = one(template, 'ScaledObject', 'llama');
    expect(pick(so, 'spec')).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'llama' },
      minReplicaCount: 2, maxReplicaCount: 2, pollingInterval: 15, cooldownPeriod: 300,
      advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 600 } } } },
    });
    const triggers = pick(so, 'spec.triggers') as Json[];
    const server = `https://aps-workspaces.us-east-1.{{Ref:AWS::URLSuffix}}/workspaces/{{GetAtt:${logicalIdOf(stack, metrics.workspace)}.WorkspaceId}}`;
    expect(triggers).toEqual([
      { type: 'prometheus', metricType: 'AverageValue', authenticationRef: { name: VllmModel.AWS_TRIGGER_AUTH_NAME }, metadata: {
        serverAddress: server, query: 'sum(vllm:num_requests_waiting{namespace="models",model_name="llama"})', threshold: '5', activationThreshold: '0', awsRegion: 'us-east-1',
      } },
      { type: 'prometheus', metricType: 'AverageValue', authenticationRef: { name: VllmModel.AWS_TRIGGER_AUTH_NAME }, metadata: {
        serverAddress: server, query: 'sum(vllm:kv_cache_usage_perc{namespace="models",model_name="llama"})', threshold: '0.8', activationThreshold: '0', awsRegion: 'us-east-1',
      } },
    ]);
    const qwenTriggers = pick(one(template, 'ScaledObject', 'qwen'), 'spec.triggers') as Json[];
    expect(qwenTriggers.map((t) => [pick(t, 'metadata.query'), pick(t, 'metadata.threshold')])).toEqual([
      ['sum(vllm:num_requests_waiting{namespace="models",model_name="qwen-32b"})', '3'],
      ['sum(vllm:kv_cache_usage_perc{namespace="models",model_name="qwen-32b"})', '0.7'],
    ]);
    expect(pick(one(template, 'ScaledObject', 'qwen'), 'spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds')).toBe(900);
    expect(JSON.stringify(kubernetesManifests(template))).not.toContain('gpu_cache_usage_perc');
  });

  test('snapshot of the model resources', () => {
    const resources = template.toJSON().Resources as Record<string, { Type: string }>;
    const mine = Object.fromEntries(Object.entries(resources).filter(([, r]) => [
      'Custom::AWSCDK-EKS-KubernetesResource', 'Custom::AWSCDK-EKS-HelmChart', 'AWS::APS::Workspace', 'AWS::APS::Scraper',
      'AWS::EKS::PodIdentityAssociation', 'AWS::IAM::ManagedPolicy',
    ].includes(r.Type)));
    expect(mine).toMatchSnapshot();
  });
});

describe('without autoscaling, with an existing Prometheus', () => {
  test('no ScaledObject; an unsigned Prometheus URL adds no TriggerAuthentication', () => {
    const { stack, cluster } = clusterStack();
    new VllmModel(stack, 'Fixed', { cluster, name: 'fixed', modelId: 'Qwen/Qwen2.5-7B-Instruct', instanceType: 'g6.xlarge', minReplicas: 2, createNamespace: false, weights: ModelWeights.fromHuggingFace() });
    new VllmModel(stack, 'Scaled', {
      cluster, name: 'scaled', modelNamespace: 'other', modelId: 'Qwen/Qwen2.5-7B-Instruct', instanceType: 'g5.xlarge', minReplicas: 0, scaleToZero: true, weights: ModelWeights.fromHuggingFace(),
      autoscaling: { prometheus: PrometheusSource.fromUrl('http://prometheus.monitoring.svc:9090/') },
    });
    const template = Template.fromStack(stack);
    expectValidManifests(kubernetesManifests(template));
    expect(manifestsOfKind(template, 'ScaledObject').map((m) => m.metadata?.name)).toEqual(['scaled']);
    expect(manifestsOfKind(template, 'Namespace').map((m) => m.metadata?.name)).toEqual(['other']);
    expect(manifestsOfKind(template, 'TriggerAuthentication')).toEqual([]);
    const trigger = (pick(one(template, 'ScaledObject', 'scaled'), 'spec.triggers') as Json[])[0];
    expect(trigger.authenticationRef).toBeUndefined();
    expect(pick(trigger, 'metadata.serverAddress')).toBe('http://prometheus.monitoring.svc:9090');
    expect(pick(trigger, 'metadata.awsRegion')).toBeUndefined();
    expect(pick(one(template, 'ScaledObject', 'scaled'), 'spec.minReplicaCount')).toBe(0);
    // Without KEDA the Deployment holds the count itself.
    expect(pick(one(template, 'Deployment', 'fixed'), 'spec.replicas')).toBe(2);
    // A model without AWS access has a role without any policy.
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  });
});

describe('a Hugging Face token secret under a customer-managed key', () => {
  test('an imported secret with its key: kms:Decrypt on that key, only through Secrets Manager in the Region', () => {
    const { stack, cluster } = clusterStack();
    const key = kms.Key.fromKeyArn(stack, 'HfKey', 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555');
    const model = new VllmModel(stack, 'M', {
      cluster, name: 'gated', modelId: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: 'g6e.xlarge',
      weights: ModelWeights.fromHuggingFace({ tokenSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Hf', 'hf-token'), tokenSecretKey: key }),
    });
    const statements = statementsOfRole(Template.fromStack(stack), logicalIdOf(stack, model.role as unknown as Construct));
    expect(statements).toContainEqual({
      Effect: 'Allow', Action: 'kms:Decrypt', Resource: key.keyArn,
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.us-east-1.', { Ref: 'AWS::URLSuffix' }]] } } },
    });
  });

  test('without a key, no KMS permission is added', () => {
    const { stack, cluster } = clusterStack();
    const model = new VllmModel(stack, 'M', {
      cluster, name: 'gated', modelId: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: 'g6e.xlarge',
      weights: ModelWeights.fromHuggingFace({ tokenSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Hf', 'hf-token') }),
    });
    const statements = statementsOfRole(Template.fromStack(stack), logicalIdOf(stack, model.role as unknown as Construct));
    expect(JSON.stringify(statements)).not.toContain('kms:');
  });
});

describe('maxModelLen against the GPU memory', () => {
  const llama8b = { name: 'llama', modelId: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: 'g6.xlarge' };
  const argsOf = (props: Omit<VllmModelProps, 'cluster'>) => {
    const { stack, cluster } = clusterStack();
    const model = new VllmModel(stack, 'M', { cluster, ...props });
    const template = Template.fromStack(stack);
    return { model, stack, args: container(one(template, 'Deployment', props.name)).args as string[] };
  };

  test('Llama 3.1 8B with its 128K context on an L4 is refused with the length that fits', () => {
    expect(() => argsOf({ ...llama8b, maxModelLen: 131072 })).toThrow(
      /maxModelLen 131072 does not fit meta-llama\/Llama-3\.1-8B-Instruct on 1 × L4 \(24 GiB\) of g6\.xlarge .*KV cache holds about \d+ tokens \(128 KiB each\).*Use maxModelLen ≤ \d+/);
  });

  test('without maxModelLen it defaults to the longest length that fits, and says so', () => {
    const { model, stack, args } = argsOf(llama8b);
    const len = Number(argValue(args, '--max-model-len'));
    // 24 GiB × 0.9 − 16.06 GB of bf16 weights − 1.5 GiB overhead, at 128 KiB of KV cache per token.
    // (25,769,803,776 × 0.9 − 16,060,000,000 − 1,610,612,736) / 131,072 = 42,131 tokens, rounded down to 41 × 1024.
    expect(len).toBe(41_984);
    expect(len % 1024).toBe(0);
    expect(len).toBeLessThan(131072);
    expect(model.maxModelLen).toBe(len);
    Annotations.fromStack(stack).hasInfo('/Models/M', Match.stringLikeRegexp(`maxModelLen defaults to ${len} tokens`));
  });

  test('a length that fits, or a model whose context fits, is passed through unchanged', () => {
    expect(argValue(argsOf({ ...llama8b, maxModelLen: 16384 }).args, '--max-model-len')).toBe('16384');
    expect(argValue(argsOf({ name: 'qwen', modelId: 'Qwen/Qwen2.5-7B-Instruct', instanceType: 'g6e.xlarge' }).args, '--max-model-len')).toBeUndefined();
  });

  test('weights that do not fit at all are refused; an unknown model is not checked', () => {
    expect(() => argsOf({ name: 'big', modelId: 'meta-llama/Llama-3.1-70B-Instruct', instanceType: 'g6.xlarge' })).toThrow(/weights \(131\.5 GiB\) leave no room for a KV cache/);
    expect(argValue(argsOf({ name: 'custom', modelId: 'example/unknown-model', instanceType: 'g6.xlarge', maxModelLen: 1_000_000 }).args, '--max-model-len')).toBe('1000000');
    expect(() => argsOf({ name: 'declared', modelId: 'example/own', instanceType: 'g6.xlarge', maxModelLen: 200_000,
      architecture: { parameterBillions: 8, layers: 32, kvHeads: 8, headDim: 128, contextLength: 131072 } })).toThrow(/maxModelLen 200000 does not fit example\/own/);
  });
});

describe('validation', () => {
  let stack: Stack;
  let cluster: eks.Cluster;
  let n = 0;
  beforeAll(() => {
    ({ stack, cluster } = clusterStack(new App(), 'Validation'));
  });
  const make = (props: Partial<VllmModelProps>) => () => new VllmModel(new Construct(stack, `Case${n++}`), 'Model', {
    cluster, name: 'm', modelId: 'Qwen/Qwen2.5-7B-Instruct', instanceType: 'g6.xlarge', ...props,
  });

  test.each<[string, Partial<VllmModelProps>, RegExp]>([
    ['tensor parallel size above the GPUs of a replica', { instanceType: 'g6.12xlarge', gpusPerReplica: 2, tensorParallelSize: 4 }, /tensorParallelSize must be an integer from 1 to 2 .*received 4/],
    ['tensor parallel size above the GPUs of the instance', { tensorParallelSize: 2 }, /tensorParallelSize .* 1 .*g6\.xlarge.*received 2/],
    ['more GPUs per replica than the instance has', { gpusPerReplica: 2 }, /gpusPerReplica must be an integer from 1 to 1 .*received 2/],
    ['unknown instance type', { instanceType: 'p9.huge' }, /instanceType: Unknown GPU instance type 'p9\.huge'/],
    ['unknown size', { instanceType: 'g6.tiny' }, /instanceType: .*g6 sizes are/],
    ['GPU memory utilization above 1', { gpuMemoryUtilization: 1.2 }, /gpuMemoryUtilization must be in \(0, 1\]; received 1.2/],
    ['GPU memory utilization of 0', { gpuMemoryUtilization: 0 }, /gpuMemoryUtilization .* received 0/],
    ['zero replicas without scaleToZero', { minReplicas: 0 }, /minReplicas is 0 but scaleToZero/],
    ['min above max', { minReplicas: 3, maxReplicas: 2 }, /maxReplicas must be .*≥ minReplicas \(3\); received 2/],
    ['bad name', { name: 'Llama_8B' }, /name must be a DNS-1035 label .*received 'Llama_8B'/],
    ['name starting with a digit', { name: '8b' }, /name must be a DNS-1035 label/],
    ['startup timeout under 2 minutes', { startupTimeout: Duration.seconds(90) }, /startupTimeout must be at least 2 minutes.*received 90 seconds/],
    ['missing model id with Hugging Face weights', { modelId: undefined }, /modelId is required with Hugging Face weights/],
    ['shared memory larger than half the replica memory', { sharedMemorySize: Size.gibibytes(8) }, /sharedMemorySize must be below half/],
    ['bad max model length', { maxModelLen: 0 }, /maxModelLen must be a positive integer; received 0/],
  ])('%s', (_case, props, message) => {
    expect(make(props)).toThrow(message);
    expect(make(props)).toThrow(expect.objectContaining({ name: 'AiGatewayValidationError' }));
  });

  test('tool calling flags in extraArgs: refused, naming toolCallParser', () => {
    expect(make({ extraArgs: ['--tool-call-parser', 'hermes'] })).toThrow(/extraArgs must not hold '--tool-call-parser': set toolCallParser/);
    expect(make({ extraArgs: ['--enable-auto-tool-choice'] })).toThrow(/extraArgs must not hold '--enable-auto-tool-choice'/);
    expect(make({ extraArgs: ['--tool-call-parser=hermes'] })).toThrow(/extraArgs must not hold '--tool-call-parser=hermes'/);
  });

  test('ToolCallParser.of: a vLLM parser name, or a clear error', () => {
    expect(ToolCallParser.of('qwen3_coder').name).toBe('qwen3_coder');
    expect(ToolCallParser.HERMES.name).toBe('hermes');
    expect(() => ToolCallParser.of('Hermes; rm -rf')).toThrow(/name must be a vLLM tool parser name .*received 'Hermes; rm -rf'/);
    expect(() => ToolCallParser.of('')).toThrow(/AiGatewayValidationError|name must be/);
  });

  test('a model id with S3 weights', () => {
    const bucket = new s3.Bucket(new Construct(stack, 'B'), 'Bucket');
    expect(make({ weights: ModelWeights.fromS3(bucket, 'models/x') })).toThrow(/modelId must be omitted with S3 weights.*s3:\/\/<bucket>\/models\/x\//);
  });

  test('an empty or wildcard S3 prefix', () => {
    const bucket = s3.Bucket.fromBucketName(stack, 'Imported', 'weights');
    expect(() => ModelWeights.fromS3(bucket, '/')).toThrow(/prefix must be a non-empty key prefix/);
    expect(() => ModelWeights.fromS3(bucket, 'models/*')).toThrow(/prefix must be a non-empty key prefix .*received 'models\/\*'/);
  });

  test('autoscaling thresholds', () => {
    const prometheus = PrometheusSource.fromUrl('http://prometheus:9090');
    expect(make({ autoscaling: { prometheus, kvCacheUsageTarget: 1.5 } })).toThrow(/autoscaling.kvCacheUsageTarget must be in \(0, 1\]; received 1.5/);
    expect(make({ autoscaling: { prometheus, queueDepthPerReplica: 0 } })).toThrow(/autoscaling.queueDepthPerReplica must be above 0; received 0/);
    expect(make({ autoscaling: { prometheus, scaleDownStabilization: Duration.hours(2) } })).toThrow(/autoscaling.scaleDownStabilization .* received 7200/);
  });

  test('a Prometheus URL that is not http(s)', () => {
    expect(() => PrometheusSource.fromUrl('prometheus:9090')).toThrow(/PrometheusSource.fromUrl: url must be an http\(s\) URL; received 'prometheus:9090'/);
  });

  test('a scrape interval outside the managed scraper range 30–300 s', () => {
    const scraper = (seconds: number) => () => PrometheusSource.managed(new Construct(stack, `Case${n++}`), 'Metrics', { cluster, scrapeInterval: Duration.seconds(seconds) });
    expect(scraper(15)).toThrow(/scrapeInterval must be between 30 and 300 seconds.*received 15 seconds/);
    expect(scraper(301)).toThrow(/scrapeInterval .* received 301 seconds/);
    expect(scraper(30)).not.toThrow();
  });

  test('scaleToZero still needs autoscaling', () => {
    expect(make({ minReplicas: 0, scaleToZero: true })).toThrow(/minReplicas 0 \(scaleToZero\) needs autoscaling/);
  });
});
