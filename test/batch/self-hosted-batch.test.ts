/**
 * SelfHostedBatch: the worker's access entry mapped to a namespaced Role, the Jobs' namespace,
 * service account and Pod Identity role, the low priority class, the worker's HTTPS to the API
 * endpoint and its configuration; the dependency edges that order them; the packs. One shared
 * synthesis (self-hosted-batch-apps.ts).
 */
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AiGateway, ModelWeights, SelfHostedBatch } from '../../lib';
import { expectReportAcknowledgmentsJustified } from '../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, SharedApp, sharedSynthesis, TemplateJson } from '../helpers/synthesis';
import { AI_GATEWAY_BASE, ENV } from '../gateway/compliance-apps';
import { manifestErrors } from '../selfhosted/helpers/validate-manifests';

let app: SharedApp;
let template: Template;
let json: TemplateJson;

beforeAll(async () => {
  app = await sharedSynthesis({ module: join(__dirname, 'self-hosted-batch-apps'), exportName: 'selfHostedBatchApp' });
  template = app.template('Stack');
  json = app.templateJson('Stack');
}, SHARED_SYNTHESIS_TIMEOUT_MS);

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] };
const resources = (): Record<string, Resource> => json.Resources as Record<string, Resource>;
/** The logical id of the one resource whose id is `prefix` and a hash. */
function idAt(prefix: string): string {
  const found = Object.keys(resources()).filter((id) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id));
  if (found.length !== 1) throw new Error(`${found.length} resources ${prefix}…`);
  return found[0];
}
const dependsOn = (prefix: string): string[] => resources()[idAt(prefix)].DependsOn ?? [];
/** The Kubernetes objects of a manifest resource. */
function objectsAt(prefix: string): Record<string, unknown>[] {
  return JSON.parse(resources()[idAt(prefix)].Properties!.Manifest as string) as Record<string, unknown>[];
}
const workerId = (): string => Object.entries(resources()).find(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Handler === 'index.batchHandler')![0];

describe('Kubernetes access', () => {
  test('the worker\'s role has a STANDARD access entry mapped to the launcher group, with no access policy', () => {
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GatewayRouterRole[0-9A-F]{8}$'), 'Arn'] },
      Type: 'STANDARD', KubernetesGroups: [SelfHostedBatch.LAUNCHER_GROUP], AccessPolicies: Match.absent(),
    });
  });

  test('the group is bound to a Role of the batch namespace: Jobs create/get/list/delete, pods and logs get/list, nothing cluster-wide', () => {
    const objects = objectsAt('SelfHostedBatchRbac');
    expect(objects.map((o) => [o.kind, (o.metadata as { namespace?: string }).namespace])).toEqual([
      ['ServiceAccount', 'gateway-batch'], ['Role', 'gateway-batch'], ['RoleBinding', 'gateway-batch'],
    ]);
    expect([objects[1].rules, objects[2].subjects]).toEqual([
      [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'delete'] }, { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }],
      [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: SelfHostedBatch.LAUNCHER_GROUP }],
    ]);
  });

  test('every Kubernetes object it applies is valid against the upstream schemas', () => {
    const objects = ['SelfHostedBatchNamespace', 'SelfHostedBatchPriorityClass', 'SelfHostedBatchRbac'].flatMap(objectsAt);
    expect([objects.length, manifestErrors(objects as unknown as Parameters<typeof manifestErrors>[0])]).toEqual([5, []]);
  });

  test('the batch priority class is below the model servers\' and never preempts', () => {
    expect(objectsAt('SelfHostedBatchPriorityClass')).toEqual([expect.objectContaining({
      kind: 'PriorityClass', metadata: expect.objectContaining({ name: 'gateway-batch-low' }), value: -100, preemptionPolicy: 'Never', globalDefault: false,
    })]);
  });

  test('the worker reaches the API endpoint on 443 from its own security group: ingress to, and egress towards, both cluster security groups', () => {
    const router = { 'Fn::GetAtt': [Match.stringLikeRegexp('^GatewayRouterSecurityGroup'), 'GroupId'] };
    const clusterGroups = [{ 'Fn::GetAtt': [idAt('SelfHostedCluster'), 'ClusterSecurityGroupId'] }, { 'Fn::GetAtt': [idAt('SelfHostedClusterControlPlaneSecurityGroup'), 'GroupId'] }];
    for (const group of clusterGroups) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'cdk-ai-gateway batch worker to the Kubernetes API', GroupId: group, SourceSecurityGroupId: router,
      });
      template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
        IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'cdk-ai-gateway batch worker to the Kubernetes API', GroupId: router, DestinationSecurityGroupId: group,
      });
    }
  });
});

describe('the Jobs\' pods', () => {
  test('their service account gets a Pod Identity role', () => {
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      Namespace: 'gateway-batch', ServiceAccount: 'gateway-batch', RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SelfHostedBatchJobRole'), 'Arn'] },
    });
  });

  test('which may read Job inputs and write Job outputs only, and use the bucket key only through S3', () => {
    const policy = resources()[idAt('SelfHostedBatchJobRolePolicy')];
    const statements = (policy.Properties!.PolicyDocument as { Statement: { Sid: string; Action: string; Resource: unknown; Condition?: unknown }[] }).Statement;
    expect(statements.slice(0, 3).map((s) => [s.Sid, s.Action, JSON.stringify(s.Resource).replace(/"[A-Za-z0-9]+(Bucket|Key)[A-Za-z0-9]*"/g, '"X"')])).toEqual([
      ['ReadInputs', 's3:GetObject', JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['X', 'Arn'] }, '/jobs/*/input.jsonl']] })],
      ['WriteOutputs', 's3:PutObject', JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['X', 'Arn'] }, '/jobs/*/output.jsonl']] })],
      ['BucketKey', ['kms:Decrypt', 'kms:GenerateDataKey'], JSON.stringify({ 'Fn::GetAtt': ['X', 'Arn'] })],
    ].map(([sid, action, resource]) => [sid, action, resource]));
    expect(statements[2].Condition).toEqual({ StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } });
  });

  test('and read the model\'s weights as its Deployment does: the weights prefix of the weights bucket, listing limited to it, and its key', () => {
    const policy = resources()[idAt('SelfHostedBatchJobRolePolicy')];
    const statements = (policy.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement.slice(3);
    const bucket = idAt('ModelWeightsBucket');
    const key = idAt('ModelWeightsBucketKey');
    const prefix = 'huggingface/meta-llama/Llama-3.1-8B-Instruct/main/';
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, `/${prefix}*`]] } },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucket, 'Arn'] }, Condition: { StringLike: { 's3:prefix': [prefix, `${prefix}*`] } } },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [key, 'Arn'] } },
    ]);
  });

  test('the weights copy Job of the batch namespace writes under the same prefix, never the batch bucket; the Jobs\' role may not write weights', () => {
    const copyPolicy = resources()[idAt('SelfHostedBatchWeightsllama8bWeightsCopyRolePolicy')];
    const text = JSON.stringify(copyPolicy.Properties!.PolicyDocument);
    expect(text).toContain('/huggingface/meta-llama/Llama-3.1-8B-Instruct/main/*');
    expect(text).not.toMatch(/GatewayBatch|\/jobs\//);
    const jobPolicy = JSON.stringify(resources()[idAt('SelfHostedBatchJobRolePolicy')].Properties!.PolicyDocument);
    expect(jobPolicy.match(/s3:PutObject/g)).toHaveLength(1); // WriteOutputs only
  });
});

describe('the worker\'s configuration', () => {
  test('names the cluster, the namespace, and each target\'s GPUs, GPU-hour price and placement (spot preferred by the Job)', () => {
    const env = (resources()[workerId()].Properties!.Environment as { Variables: Record<string, unknown> }).Variables.GATEWAY_BATCH_SELF_HOSTED;
    const text = JSON.stringify(env);
    for (const fact of ['\\"namespace\\":\\"gateway-batch\\"', '\\"priorityClassName\\":\\"gateway-batch-low\\"', '\\"gpus\\":1', '\\"gpuHourUsd\\":0.8048',
      '\\"node.kubernetes.io/instance-type\\":\\"g6.xlarge\\"', '\\"idleHours\\":{\\"startHour\\":22,\\"endHour\\":6}']) {
      expect(text).toContain(fact);
    }
    // The Deployment's weights: synced from S3 into the model cache before run-batch, which loads that path.
    for (const fact of ['\\"model\\":\\"/cache/weights\\"', '\\"name\\":\\"load-weights\\"', '\\"name\\":\\"model-cache\\",\\"mountPath\\":\\"/cache\\"',
      '\\"PREFIX\\",\\"value\\":\\"huggingface/meta-llama/Llama-3.1-8B-Instruct/main/\\"']) {
      expect(text).toContain(fact);
    }
    // The endpoint and the CA (1.5 KB of Lambda's 4 KB of environment) come from DescribeCluster.
    expect(text).not.toMatch(/CertificateAuthorityData|Endpoint/);
  });

  test('the worker\'s whole environment, weights included, fits Lambda\'s 4 KB (each reference counted as a 64-character name)', () => {
    const variables = (resources()[workerId()].Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    const size = (v: unknown): number => {
      if (typeof v === 'string') return v.length;
      if (Array.isArray(v)) return v.reduce((n: number, x) => n + size(x), 0);
      const o = v as Record<string, unknown>;
      if ('Fn::Join' in o) return size((o['Fn::Join'] as [string, unknown[]])[1]);
      return 64; // Ref, Fn::GetAtt: a name or an ARN
    };
    const total = Object.entries(variables).reduce((n, [k, v]) => n + k.length + size(v), 0);
    expect(total).toBeLessThan(4096);
  });

  test('the worker may describe the models\' cluster (its endpoint and CA), that cluster only', () => {
    const statements = Object.values(resources())
      .filter((r) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
      .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement)
      .filter((st) => JSON.stringify(st.Action).includes('eks:DescribeCluster'));
    // (Karpenter's controller describes the cluster too.)
    expect([statements.filter((st) => JSON.stringify(st.Resource).includes('"*"')), statements])
      .toEqual([[], expect.arrayContaining([expect.objectContaining({ Action: 'eks:DescribeCluster', Resource: { 'Fn::GetAtt': [idAt('SelfHostedCluster'), 'Arn'] } })])]);
  });
});

describe('dependency edges', () => {
  test('the namespace and the priority class come after the GPU pool and the system nodes (hence the cluster)', () => {
    const after = [idAt('SelfHostedClusterKubectlReadyBarrier'), idAt('SelfHostedClustermanifestGpuNodePoolGpuNodePool'), idAt('SelfHostedClusterNodegroupSystemNodes')];
    expect([dependsOn('SelfHostedBatchNamespace'), dependsOn('SelfHostedBatchPriorityClass')])
      .toEqual([expect.arrayContaining(after), expect.arrayContaining(after)]);
  });

  test('the service account and RBAC come after the namespace', () => {
    expect(dependsOn('SelfHostedBatchRbac')).toContain(idAt('SelfHostedBatchNamespace'));
  });

  test('the worker (the only creator of Jobs) comes after the access entry, RBAC, priority class and Pod Identity association', () => {
    expect(resources()[workerId()].DependsOn).toEqual(expect.arrayContaining([
      idAt('SelfHostedBatchWorkerAccess'), idAt('SelfHostedBatchRbac'), idAt('SelfHostedBatchPriorityClass'),
      idAt('SelfHostedBatchNamespace'), idAt('SelfHostedBatchJobRoleAssociation'),
    ]));
  });
});

describe('compliance', () => {
  test('no unacknowledged finding on the construct; every acknowledgment has a reason', () => {
    expect(app.report.pluginFailures).toEqual([]);
    expect(app.report.findings.filter((f) => f.constructPath.startsWith('Stack/SelfHostedBatch/')).map((f) => `${f.findingId} ${f.constructPath}`)).toEqual([]);
    expectReportAcknowledgmentsJustified(app.report, 'Stack/SelfHostedBatch');
  });
});

describe('validation', () => {
  // One gateway in a VPC and one outside, shared: each attempt adds a construct with its own id.
  let inVpc: { stack: Stack; gateway: AiGateway };
  let outside: { stack: Stack; gateway: AiGateway };
  let attempts = 0;
  beforeAll(() => {
    const gatewayIn = (vpc: boolean) => {
      const stack = new Stack(new App(), 'V', { env: ENV });
      const network = vpc ? { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 }) } : {};
      return { stack, gateway: new AiGateway(stack, 'Gateway', { ...AI_GATEWAY_BASE, ...network, batch: {} }) };
    };
    inVpc = gatewayIn(true);
    outside = gatewayIn(false);
  });
  const attempt = (props: Partial<ConstructorParameters<typeof SelfHostedBatch>[2]>, vpc = true): (() => void) => () => {
    const { stack, gateway } = vpc ? inVpc : outside;
    const id = `Attempt${++attempts}`;
    const kubectlProvider = eks.KubectlProvider.fromKubectlProviderAttributes(stack, `${id}Kubectl`, {
      serviceToken: 'arn:aws:lambda:us-east-1:111122223333:function:kubectl-provider',
    });
    const cluster = eks.Cluster.fromClusterAttributes(stack, `${id}Cluster`, {
      clusterName: 'models', clusterSecurityGroupId: 'sg-0123456789abcdef0', kubectlProvider,
      clusterEndpoint: 'https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com', clusterCertificateAuthorityData: 'Q0E=',
    });
    new SelfHostedBatch(stack, id, {
      batch: gateway.batch!, cluster, models: [{ targetId: 'llama-8b', model: 'm', servedModelName: 'llama-8b', instanceType: 'g6.xlarge' }], ...props,
    });
  };

  test('accepts the defaults (the attempts below fail only by what they change)', () => {
    expect(attempt({})).not.toThrow();
  });

  test.each([
    ['a worker outside a VPC', {}, false, /outside a VPC/],
    ['no model', { models: [] }, true, /models must name at least one/],
    ['more GPUs than the instance has', { models: [{ targetId: 'x', model: 'm', servedModelName: 'x', instanceType: 'g6.xlarge', gpus: 2 }] }, true, /gpus must be a whole number from 1 to 1/],
    ['a priority not below the model servers\'', { priority: 0 }, true, /priority must be a whole number below 0/],
    ['equal idle hours', { idleHours: { startHour: 3, endHour: 3 } }, true, /idleHours must be two different whole hours/],
    ['a namespace that is not a DNS label', { jobNamespace: 'Batch_Jobs' }, true, /jobNamespace must be a DNS label/],
  ])('refuses %s', (_name, props, vpc, message) => {
    expect(attempt(props as Partial<ConstructorParameters<typeof SelfHostedBatch>[2]>, vpc)).toThrow(message);
  });

  test('a gated model\'s token: the Jobs\' role may read that secret, and the Job fetches it before run-batch and reads it through HF_TOKEN_PATH', () => {
    const tokenSecret = secretsmanager.Secret.fromSecretCompleteArn(inVpc.stack, `Token${attempts}`, 'arn:aws:secretsmanager:us-east-1:111122223333:secret:hf-token-AbCdEf');
    attempt({ models: [{ targetId: 'llama-8b', model: 'meta-llama/Llama-3.1-8B-Instruct', servedModelName: 'llama-8b', instanceType: 'g6.xlarge', weights: ModelWeights.fromHuggingFace({ tokenSecret }) }] })();
    const batch = inVpc.stack.node.children.filter((c): c is SelfHostedBatch => c instanceof SelfHostedBatch).pop()!;
    const role = batch.jobRole as unknown as { grantsPolicy: iam.ManagedPolicy };
    const statements = (inVpc.stack.resolve(role.grantsPolicy.document.toJSON()) as { Statement: { Action: unknown; Resource: unknown }[] }).Statement;
    expect(statements.slice(3)).toEqual([
      expect.objectContaining({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:hf-token-AbCdEf' }),
    ]);
    // The worker's configuration (this attempt wrote it last).
    const environment = inVpc.stack.resolve((inVpc.gateway.batch!.worker.node.defaultChild as lambda.CfnFunction).environment) as { variables: Record<string, unknown> };
    const text = JSON.stringify(environment.variables.GATEWAY_BATCH_SELF_HOSTED);
    for (const fact of ['\\"model\\":\\"meta-llama/Llama-3.1-8B-Instruct\\"', '\\"name\\":\\"fetch-hf-token\\"', '\\"HF_TOKEN_PATH\\",\\"value\\":\\"/var/run/secrets/huggingface/token\\"',
      '\\"name\\":\\"hf-token\\",\\"emptyDir\\":{\\"medium\\":\\"Memory\\"']) {
      expect(text).toContain(fact);
    }
  });

  test('refuses models whose weights would not fit the worker\'s 4 KB environment, and names the way out', () => {
    const weights = (name: string) => ModelWeights.fromHuggingFaceViaS3({ bucket: s3.Bucket.fromBucketName(inVpc.stack, `Weights${name}${attempts}`, 'weights-bucket') });
    const model = (name: string) => ({ targetId: name, model: `org/${name}`, servedModelName: name, instanceType: 'g6.xlarge', weights: weights(name) });
    expect(attempt({ models: [model('one')] })).not.toThrow();
    expect(attempt({ models: [model('one'), model('two'), model('three')] })).toThrow(/about \d+ bytes of Lambda's 4 KB environment \(at most 2800 fit.*each model with weights adds about 1 KB/);
  });
});
