import { CfnElement, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { GpuAmiFamily, GpuCapacityType, GpuNodePool } from '../../../lib/selfhosted/karpenter/gpu-node-pool';
import { Karpenter } from '../../../lib/selfhosted/karpenter/karpenter';
import { NvidiaDevicePlugin } from '../../../lib/selfhosted/karpenter/nvidia-device-plugin';
import { GPU_NODE_ROLE, GPU_TAINT, NODE_ROLE_LABEL, gpuToleration, systemNodeSelector } from '../../../lib/selfhosted/scheduling';
import { actionsOf, resourcesOf, statementsOfRole, TemplateStatement } from '../../helpers/iam-statements';
import { helmRelease, kubernetesManifests, manifestsOfKind, withDeployTimeIds } from '../helpers/template-manifests';
import { expectValidManifests, KubeObject } from '../helpers/validate-manifests';
import { CLUSTER_NAME, clusterStack } from './fixtures';

// The value keys of charts/karpenter/values.yaml at Karpenter 1.15.0 (aws/karpenter-provider-aws
// commit d77d1a3a, where Chart.yaml has version 1.15.0), written down by hand from that file; the
// pinned 1.15.1 is a patch release whose notes list no chart value change.
// Keys whose value is a free-form map are listed in CHART_MAP_KEYS: below them anything goes.
const CHART_VALUE_KEYS = new Set([
  'nameOverride', 'fullnameOverride', 'additionalLabels', 'additionalAnnotations', 'imagePullPolicy', 'imagePullSecrets',
  'service.annotations', 'serviceAccount.create', 'serviceAccount.name', 'serviceAccount.annotations', 'additionalClusterRoleRules',
  'serviceMonitor.enabled', 'serviceMonitor.additionalLabels', 'serviceMonitor.relabelings', 'serviceMonitor.metricRelabelings',
  'serviceMonitor.endpointConfig', 'serviceMonitor.sampleLimit', 'replicas', 'revisionHistoryLimit', 'strategy', 'podLabels',
  'podAnnotations', 'podDisruptionBudget.name', 'podDisruptionBudget.maxUnavailable', 'podSecurityContext', 'priorityClassName',
  'terminationGracePeriodSeconds', 'hostNetwork', 'schedulerName', 'dnsPolicy', 'dnsConfig', 'initContainers', 'nodeSelector',
  'affinity', 'topologySpreadConstraints', 'tolerations', 'extraVolumes', 'controller.containerName', 'controller.image.repository',
  'controller.image.tag', 'controller.image.digest', 'controller.env', 'controller.envFrom', 'controller.securityContext.appArmorProfile',
  'controller.securityContext.seLinuxOptions', 'controller.securityContext.seccompProfile', 'controller.resources',
  'controller.extraVolumeMounts', 'controller.sidecarContainer', 'controller.sidecarVolumeMounts', 'controller.metrics.port',
  'controller.healthProbe.port', 'logLevel', 'logOutputPaths', 'logErrorOutputPaths', 'settings.batchMaxDuration',
  'settings.batchIdleDuration', 'settings.preferencePolicy', 'settings.minValuesPolicy', 'settings.clusterCABundle', 'settings.clusterName',
  'settings.clusterEndpoint', 'settings.isolatedVPC', 'settings.eksControlPlane', 'settings.vmMemoryOverheadPercent',
  'settings.interruptionQueue', 'settings.enableZonalShift', 'settings.reservedENIs', 'settings.enableDRA', 'settings.ignoreDRARequests',
  'settings.legacyNodeRepair', 'settings.disableClusterStateObservability', 'settings.disableDryRun', 'settings.amiRefreshInterval',
  'settings.subnetRefreshInterval', 'settings.securityGroupRefreshInterval', 'settings.featureGates.nodeRepair',
  'settings.featureGates.nodeOverlay', 'settings.featureGates.reservedCapacity', 'settings.featureGates.spotToSpotConsolidation',
  'settings.featureGates.staticCapacity', 'settings.featureGates.capacityBuffer', 'settings.featureGates.terminateFirstDrift',
  'settings.featureGates.terminateFirstRepair', 'settings.featureGates.podDeletionCostManagement', 'settings.awsFeatureGates.nodeClassCEL',
  'settings.awsFeatureGates.draNVIDIAGPU', 'settings.awsFeatureGates.draEFA', 'settings.awsFeatureGates.rebootForRepair',
]);
const CHART_MAP_KEYS = new Set(['additionalLabels', 'additionalAnnotations', 'service.annotations', 'serviceAccount.annotations', 'strategy',
  'podLabels', 'podAnnotations', 'podSecurityContext', 'dnsConfig', 'nodeSelector', 'affinity', 'controller.resources']);

/** The dotted paths of a values object, stopping at free-form map keys. */
function valuePaths(values: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    if (CHART_MAP_KEYS.has(path) || value === null || typeof value !== 'object' || Array.isArray(value)) return [path];
    return valuePaths(value as Record<string, unknown>, path);
  });
}

const ref = (logicalId: string) => ({ Ref: logicalId });
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
/** The one logical id of `type` that matches `pattern`. */
function logicalId(template: Template, type: string, pathFragment: RegExp): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => pathFragment.test(id));
  if (ids.length !== 1) throw new Error(`expected one ${type} matching ${pathFragment}, found ${ids.length}`);
  return ids[0];
}

describe('Karpenter with an AL2023 and a Bottlerocket GPU pool', () => {
  let template: Template;
  let karpenter: Karpenter;
  let queueId: string;
  let nodeRoleId: string;
  let controllerRoleId: string;
  let statements: TemplateStatement[];
  let manifests: KubeObject[];
  beforeAll(() => {
    const { stack, cluster } = clusterStack();
    karpenter = new Karpenter(stack, 'Karpenter', { cluster });
    karpenter.addGpuNodePool('Inference', {
      instanceFamilies: ['g6', 'g6e'], instanceSizes: ['xlarge', '2xlarge'], gpuLimit: 16, weight: 10,
      disruptionBudgets: [{ nodes: '10%' }, { nodes: '0', schedule: '0 8 * * mon-fri', duration: Duration.hours(10) }],
      tags: { CostCenter: 'ml' },
    });
    karpenter.addGpuNodePool('Bottlerocket', { amiFamily: GpuAmiFamily.BOTTLEROCKET, capacityTypes: [GpuCapacityType.ON_DEMAND], volumeSize: Size.gibibytes(500) });
    template = Template.fromStack(stack);
    queueId = logicalId(template, 'AWS::SQS::Queue', /^KarpenterInterruptionQueue[0-9A-F]{8}$/);
    nodeRoleId = logicalId(template, 'AWS::IAM::Role', /^KarpenterNodeRole[0-9A-F]{8}$/);
    controllerRoleId = logicalId(template, 'AWS::IAM::Role', /^KarpenterControllerRole[0-9A-F]{8}$/);
    statements = statementsOfRole(template, controllerRoleId);
    manifests = kubernetesManifests(template);
  });

  describe('interruption handling', () => {
    test.each([
      ['aws.health', 'AWS Health Event'],
      ['aws.ec2', 'EC2 Spot Instance Interruption Warning'],
      ['aws.ec2', 'EC2 Instance Rebalance Recommendation'],
      ['aws.ec2', 'EC2 Instance State-change Notification'],
      ['aws.ec2', 'EC2 Capacity Reservation Instance Interruption Warning'],
    ])('an EventBridge rule sends %s "%s" to the queue', (source, detailType) => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { 'source': [source], 'detail-type': [detailType] },
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: arnOf(queueId) })],
      });
    });

    test('there are exactly the five upstream rules', () => {
      expect(Object.keys(template.findResources('AWS::Events::Rule'))).toHaveLength(5);
    });

    test('the queue keeps messages 300 s and is encrypted with SQS-managed SSE', () => {
      template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 300, SqsManagedSseEnabled: true });
    });

    test('the queue policy admits EventBridge and SQS to SendMessage and denies non-TLS access', () => {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(queueId)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: arnOf(queueId) }),
            Match.objectLike({
              Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(queueId),
              Principal: { Service: Match.arrayWith(['events.amazonaws.com', 'sqs.amazonaws.com']) },
            }),
          ]),
        },
      });
    });
  });

  describe('nodes', () => {
    test('the node role is assumed by EC2 and has the four upstream managed policies', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Action: 'sts:AssumeRole', Principal: { Service: 'ec2.amazonaws.com' } })] },
        ManagedPolicyArns: ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonSSMManagedInstanceCore']
          .map((name) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::aws:policy/${name}`]] })),
      });
    });

    test('the node role has an EC2_LINUX access entry (a STANDARD entry leaves nodes unjoined)', () => {
      template.hasResourceProperties('AWS::EKS::AccessEntry', { Type: 'EC2_LINUX', PrincipalArn: arnOf(nodeRoleId), AccessPolicies: [] });
      expect(JSON.stringify(template.findResources('AWS::EKS::AccessEntry', { Properties: { PrincipalArn: arnOf(nodeRoleId) } }))).not.toContain('STANDARD');
    });

    test('an instance profile holds the node role and every EC2NodeClass names it', () => {
      const profileId = logicalId(template, 'AWS::IAM::InstanceProfile', /^KarpenterNodeInstanceProfile/);
      template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [ref(nodeRoleId)] });
      const classes = manifestsOfKind(template, 'EC2NodeClass');
      expect(classes).toHaveLength(2);
      for (const c of classes) expect((c.spec as Record<string, unknown>).instanceProfile).toBe(`{{Ref:${profileId}}}`);
    });
  });

  describe('controller identity and policy', () => {
    test('Pod Identity associates the controller role with kube-system/karpenter', () => {
      template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
        ClusterName: ref(logicalId(template, 'AWS::EKS::Cluster', /^Cluster[0-9A-F]{8}$/)), Namespace: 'kube-system', ServiceAccount: 'karpenter', RoleArn: arnOf(controllerRoleId),
      });
    });

    test('the controller role trusts pods.eks.amazonaws.com with sts:AssumeRole and sts:TagSession', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Principal: { Service: 'pods.eks.amazonaws.com' } }] },
        Description: Match.stringLikeRegexp('Karpenter 1.15.1 controller'),
      });
    });

    const sid = (s: string) => (): TemplateStatement => {
      const found = statements.filter((st) => st.Sid === s);
      expect(found).toHaveLength(1);
      return found[0];
    };

    test('EC2 create, tag and delete statements are scoped to this cluster by name', () => {
      expect(sid('AllowScopedEC2InstanceActionsWithTags')().Condition).toEqual({
        StringEquals: { [`aws:RequestTag/kubernetes.io/cluster/${CLUSTER_NAME}`]: 'owned', 'aws:RequestTag/eks:eks-cluster-name': CLUSTER_NAME },
        StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
      });
      expect(sid('AllowScopedResourceCreationTagging')().Condition).toEqual({
        StringEquals: {
          [`aws:RequestTag/kubernetes.io/cluster/${CLUSTER_NAME}`]: 'owned', 'aws:RequestTag/eks:eks-cluster-name': CLUSTER_NAME,
          'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'],
        },
        StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
      });
      for (const s of ['AllowScopedEC2LaunchTemplateAccessActions', 'AllowScopedResourceTagging', 'AllowScopedDeletion']) {
        expect(sid(s)().Condition).toMatchObject({
          StringEquals: { [`aws:ResourceTag/kubernetes.io/cluster/${CLUSTER_NAME}`]: 'owned' },
          StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
        });
      }
      expect(actionsOf(sid('AllowScopedDeletion')())).toEqual(['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate']);
      expect(template.findResources('Custom::AWSCDKCfnJson')).toEqual({});
    });

    test('EC2 ARNs are limited to the stack Region', () => {
      for (const s of statements.filter((st) => String(st.Sid).startsWith('AllowScopedEC2') || String(st.Sid).startsWith('AllowScopedResource') || st.Sid === 'AllowScopedDeletion')) {
        for (const r of resourcesOf(s)) expect(JSON.stringify(r)).toContain(':ec2:us-east-1:');
      }
    });

    test('iam:PassRole only on the node role, only to EC2', () => {
      const passRole = statements.filter((s) => actionsOf(s).includes('iam:PassRole'));
      expect(passRole).toEqual([{
        Sid: 'AllowPassingInstanceRole', Effect: 'Allow', Action: 'iam:PassRole', Resource: arnOf(nodeRoleId),
        Condition: { StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com', 'ec2.amazonaws.com.cn'] } },
      }]);
    });

    test('queue actions only on the interruption queue', () => {
      const sqsStatements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
      expect(sqsStatements).toEqual([{
        Sid: 'AllowInterruptionQueueActions', Effect: 'Allow', Action: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'], Resource: arnOf(queueId),
      }]);
    });

    test('Resource "*" only for the upstream read-only discovery actions, Describe* limited to the Region', () => {
      const wildcard = statements.filter((s) => resourcesOf(s).includes('*'));
      const allowed = /^(ec2:Describe[A-Za-z]+|pricing:GetProducts|iam:ListInstanceProfiles)$/;
      expect(wildcard.flatMap(actionsOf).filter((a) => !allowed.test(a))).toEqual([]);
      expect(wildcard.find((s) => s.Sid === 'AllowRegionalReadActions')?.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': 'us-east-1' } });
    });

    test('Karpenter never manages instance profiles: the EC2NodeClasses name the construct\'s own', () => {
      const actions = statements.flatMap(actionsOf);
      for (const a of ['iam:CreateInstanceProfile', 'iam:TagInstanceProfile', 'iam:AddRoleToInstanceProfile', 'iam:DeleteInstanceProfile']) expect(actions).not.toContain(a);
      expect(actions).toContain('iam:GetInstanceProfile');
    });

    test('eks:DescribeCluster only on this cluster', () => {
      expect(sid('AllowAPIServerEndpointDiscovery')().Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:eks:us-east-1:111122223333:cluster/${CLUSTER_NAME}`]] });
    });
  });

  describe('Helm release', () => {
    test('installs the pinned OCI chart with cluster name, queue, service account, Region (no IMDS on system nodes) and system-node placement', () => {
      const release = helmRelease(template, 'karpenter');
      expect(release).toMatchObject({ repository: 'oci://public.ecr.aws/karpenter/karpenter', version: '1.15.1', namespace: 'kube-system', release: 'karpenter' });
      expect(release.values).toEqual({
        settings: {
          clusterName: `{{Ref:${logicalId(template, 'AWS::EKS::Cluster', /^Cluster[0-9A-F]{8}$/)}}}`, interruptionQueue: `{{GetAtt:${queueId}.QueueName}}`,
          // Replaces nodes the node monitoring agent reports unhealthy (GPU XID errors, kubelet, network).
          featureGates: { nodeRepair: true },
        },
        serviceAccount: { create: true, name: 'karpenter' },
        replicas: 2,
        nodeSelector: { 'kubernetes.io/os': 'linux', ...systemNodeSelector() },
        controller: { env: [{ name: 'AWS_REGION', value: 'us-east-1' }], resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } },
      });
    });

    test('every value key exists in the chart\'s values.yaml of 1.15', () => {
      const paths = valuePaths(helmRelease(template, 'karpenter').values);
      expect(paths.filter((p) => !CHART_VALUE_KEYS.has(p))).toEqual([]);
      expect(valuePaths({ settings: { clusterNmae: 'x' } }).filter((p) => !CHART_VALUE_KEYS.has(p))).toEqual(['settings.clusterNmae']);
    });

    test('the kubectl handler may log in to ECR Public to pull the chart', () => {
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: { Statement: [Match.objectLike({ Action: ['ecr-public:GetAuthorizationToken', 'sts:GetServiceBearerToken'], Resource: '*' })] },
        Roles: [ref(logicalId(template, 'AWS::IAM::Role', /^ClusterKubectlProviderHandlerServiceRole[0-9A-F]{8}$/))],
      });
    });
  });

  describe('NodePool, EC2NodeClass and device plugin manifests', () => {
    test('every manifest is valid against the upstream schemas (Karpenter v1, core Kubernetes)', () => {
      expectValidManifests(withDeployTimeIds(manifests));
      expect(manifests.map((m) => m.kind).sort()).toEqual(['DaemonSet', 'EC2NodeClass', 'EC2NodeClass', 'NodePool', 'NodePool', 'NodePool', 'NodePool']);
    });

    test('the GPU pools carry the GPU taint, which is exactly what the device plugin tolerates', () => {
      const plugin = manifestsOfKind(template, 'DaemonSet', 'nvidia-device-plugin-daemonset')[0] as unknown as { spec: { template: { spec: Record<string, unknown> } } };
      const tolerations = plugin.spec.template.spec.tolerations as Record<string, string>[];
      expect(tolerations).toEqual([gpuToleration()]);
      for (const pool of manifestsOfKind(template, 'NodePool')) {
        const spec = (pool.spec as { template: { spec: { taints: Record<string, string>[] }; metadata: { labels: Record<string, string> } } }).template;
        expect(spec.spec.taints).toEqual([{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: GPU_TAINT.effect }]);
        expect(tolerations.some((t) => t.key === GPU_TAINT.key && t.value === GPU_TAINT.value && t.effect === GPU_TAINT.effect && t.operator === 'Equal')).toBe(true);
        expect(spec.metadata.labels).toEqual({ [NODE_ROLE_LABEL]: GPU_NODE_ROLE });
      }
      expect(plugin.spec.template.spec.affinity).toEqual({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: NODE_ROLE_LABEL, operator: 'In', values: [GPU_NODE_ROLE] }] }] } } });
      expect(plugin.spec.template.spec.priorityClassName).toBe('system-node-critical');
      expect(JSON.stringify(plugin)).toContain('nvcr.io/nvidia/k8s-device-plugin:v0.20.1');
      // A driver that fails to initialise must crash the plugin, not advertise zero GPUs.
      const env = (plugin.spec.template.spec.containers as Array<{ env: Array<{ name: string; value: string }> }>)[0].env;
      expect(env).toContainEqual({ name: 'FAIL_ON_INIT_ERROR', value: 'true' });
    });

    test('the AL2023 pool: requirements, limits, disruption, expiry, weight', () => {
      const pool = manifestsOfKind(template, 'NodePool', 'gpu-inference')[0] as unknown as { spec: Record<string, unknown> & { template: { spec: Record<string, unknown> } } };
      expect(pool.spec.template.spec.requirements).toEqual([
        { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['g6', 'g6e'] },
        { key: 'karpenter.k8s.aws/instance-size', operator: 'In', values: ['xlarge', '2xlarge'] },
        { key: 'karpenter.k8s.aws/instance-gpu-manufacturer', operator: 'In', values: ['nvidia'] },
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
        { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
        { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
      ]);
      expect(pool.spec.template.spec.nodeClassRef).toEqual({ group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'gpu-inference' });
      expect(pool.spec.template.spec.expireAfter).toBe('720h');
      // Bounds how long do-not-disrupt model pods and their PDBs can hold an expired or drifted node.
      expect(pool.spec.template.spec.terminationGracePeriod).toBe('1h');
      expect(pool.spec.limits).toEqual({ 'nvidia.com/gpu': '16' });
      expect(pool.spec.weight).toBe(10);
      expect(pool.spec.disruption).toEqual({
        consolidationPolicy: 'WhenEmpty', consolidateAfter: '10m',
        budgets: [{ nodes: '10%' }, { nodes: '0', schedule: '0 8 * * mon-fri', duration: '10h' }],
      });
    });

    test('spot is overflow only: a second pool of weight 1, same node class, requirements and limit, below the on-demand pool', () => {
      const primary = manifestsOfKind(template, 'NodePool', 'gpu-inference')[0] as unknown as { spec: { weight: number; limits: unknown; template: { spec: { requirements: Array<{ key: string; values: string[] }>; nodeClassRef: unknown } } } };
      const spot = manifestsOfKind(template, 'NodePool', 'gpu-inference-spot')[0] as unknown as typeof primary;
      expect(spot.spec.weight).toBe(1);
      expect(primary.spec.weight).toBeGreaterThan(spot.spec.weight);
      expect(spot.spec.template.spec.nodeClassRef).toEqual(primary.spec.template.spec.nodeClassRef);
      expect(spot.spec.limits).toEqual(primary.spec.limits);
      const capacity = (p: typeof primary) => p.spec.template.spec.requirements.find((r) => r.key === 'karpenter.sh/capacity-type')?.values;
      expect(capacity(primary)).toEqual(['on-demand']);
      expect(capacity(spot)).toEqual(['spot']);
      expect(spot.spec.template.spec.requirements.filter((r) => r.key !== 'karpenter.sh/capacity-type'))
        .toEqual(primary.spec.template.spec.requirements.filter((r) => r.key !== 'karpenter.sh/capacity-type'));
    });

    test('the AL2023 EC2NodeClass: pinned alias, IMDSv2 with hop limit 1, encrypted gp3 root volume, RAID0, subnets and security group by id', () => {
      const nodeClass = manifestsOfKind(template, 'EC2NodeClass', 'gpu-inference')[0] as unknown as { spec: Record<string, unknown> };
      expect(nodeClass.spec.amiSelectorTerms).toEqual([{ alias: GpuNodePool.DEFAULT_AL2023_ALIAS }]);
      expect(GpuNodePool.DEFAULT_AL2023_ALIAS).toMatch(/^al2023@v\d{8}$/);
      expect(nodeClass.spec.metadataOptions).toEqual({ httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 1, httpTokens: 'required' });
      expect(nodeClass.spec.blockDeviceMappings).toEqual([{ deviceName: '/dev/xvda', rootVolume: true, ebs: { volumeSize: '200Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true } }]);
      expect(nodeClass.spec.instanceStorePolicy).toBe('RAID0');
      expect(nodeClass.spec.tags).toEqual({ CostCenter: 'ml' });
      expect(nodeClass.spec.subnetSelectorTerms).toEqual(
        Object.keys(template.findResources('AWS::EC2::Subnet')).filter((id) => id.includes('Private')).map((id) => ({ id: `{{Ref:${id}}}` })));
      expect(nodeClass.spec.securityGroupSelectorTerms).toEqual([{ id: `{{GetAtt:${logicalId(template, 'AWS::EKS::Cluster', /^Cluster[0-9A-F]{8}$/)}.ClusterSecurityGroupId}}` }]);
    });

    test('the Bottlerocket EC2NodeClass: pinned Bottlerocket alias and the sized data volume on /dev/xvdb', () => {
      const nodeClass = manifestsOfKind(template, 'EC2NodeClass', 'gpu-bottlerocket')[0] as unknown as { spec: Record<string, unknown> };
      expect(nodeClass.spec.amiSelectorTerms).toEqual([{ alias: GpuNodePool.DEFAULT_BOTTLEROCKET_ALIAS }]);
      expect(nodeClass.spec.blockDeviceMappings).toEqual([
        { deviceName: '/dev/xvda', ebs: { volumeSize: '4Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true } },
        { deviceName: '/dev/xvdb', ebs: { volumeSize: '500Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true } },
      ]);
      // No snapshot unless one is given: the data volume starts empty.
      expect(JSON.stringify(nodeClass.spec.blockDeviceMappings)).not.toContain('snapshotID');
      const pool = manifestsOfKind(template, 'NodePool', 'gpu-bottlerocket')[0] as unknown as { spec: { template: { spec: { requirements: { key: string; values: string[] }[] } } } };
      expect(pool.spec.template.spec.requirements.find((r) => r.key === 'karpenter.sh/capacity-type')?.values).toEqual(['on-demand']);
    });

    test('one device plugin for the AL2023 pool, none added for Bottlerocket', () => {
      expect(manifestsOfKind(template, 'DaemonSet')).toHaveLength(1);
      expect(karpenter.devicePlugin).toBeInstanceOf(NvidiaDevicePlugin);
      expect(GpuNodePool.needsDevicePlugin(GpuAmiFamily.AL2023)).toBe(true);
      expect(GpuNodePool.needsDevicePlugin(GpuAmiFamily.BOTTLEROCKET)).toBe(false);
    });

    test('the pool manifests wait for the Helm chart that installs the CRDs', () => {
      const chartId = Object.keys(template.findResources('Custom::AWSCDK-EKS-HelmChart'))[0];
      const pools = Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource')).filter((r) => JSON.stringify(r.Properties).includes('NodePool'));
      expect(pools).toHaveLength(2);
      for (const p of pools) expect(p.DependsOn).toEqual(expect.arrayContaining([chartId]));
    });
  });

  test('snapshot of the Karpenter resources', () => {
    const json = template.toJSON() as { Resources: Record<string, { Type: string }> };
    const ours = Object.fromEntries(Object.entries(json.Resources).filter(([id, r]) => id.startsWith('Karpenter') || r.Type.startsWith('Custom::AWSCDK-EKS-')));
    expect(ours).toMatchSnapshot();
  });
});

describe('Karpenter variants', () => {
  test('a cluster without a literal name gets its name-keyed conditions through CfnJson', () => {
    const { stack, cluster } = clusterStack({ clusterName: null });
    new Karpenter(stack, 'Karpenter', { cluster });
    const template = Template.fromStack(stack);
    expect(Object.keys(template.findResources('Custom::AWSCDKCfnJson'))).toHaveLength(5);
  });

  test('installDevicePlugin false adds no DaemonSet; a bring-your-own node role is used as is', () => {
    const { stack, cluster } = clusterStack();
    const nodeRole = new iam.Role(stack, 'MyNodeRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const karpenter = new Karpenter(stack, 'Karpenter', { cluster, installDevicePlugin: false, nodeRole, controllerNamespace: 'karpenter', interruptionQueueRetention: Duration.minutes(10) });
    karpenter.addGpuNodePool('Inference');
    const template = Template.fromStack(stack);
    expect(manifestsOfKind(template, 'DaemonSet')).toEqual([]);
    expect(karpenter.devicePlugin).toBeUndefined();
    template.resourceCountIs('AWS::IAM::Role', Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => !id.startsWith('KarpenterNodeRole')).length);
    template.hasResourceProperties('AWS::EKS::AccessEntry', { Type: 'EC2_LINUX', PrincipalArn: arnOf(Stack.of(nodeRole).getLogicalId(nodeRole.node.defaultChild as CfnElement)) });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 600 });
    expect(helmRelease(template, 'karpenter').namespace).toBe('karpenter');
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: 'karpenter' });
  });

  test('imageSnapshotId: the Bottlerocket data volume that holds the images is created from the snapshot; the OS volume is not', () => {
    const { stack, cluster } = clusterStack();
    const karpenter = new Karpenter(stack, 'Karpenter', { cluster });
    karpenter.addGpuNodePool('Preloaded', { amiFamily: GpuAmiFamily.BOTTLEROCKET, imageSnapshotId: 'snap-0123456789abcdef0', volumeSize: Size.gibibytes(300) });
    const template = Template.fromStack(stack);
    expectValidManifests(withDeployTimeIds(kubernetesManifests(template)));
    const nodeClass = manifestsOfKind(template, 'EC2NodeClass', 'gpu-preloaded')[0] as unknown as { spec: Record<string, unknown> };
    expect(nodeClass.spec.blockDeviceMappings).toEqual([
      { deviceName: '/dev/xvda', ebs: { volumeSize: '4Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true } },
      { deviceName: '/dev/xvdb', ebs: { volumeSize: '300Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true, snapshotID: 'snap-0123456789abcdef0' } },
    ]);
  });

  test('EKS Auto Mode pool: Auto Mode NodeClass and labels, no EC2NodeClass, no device plugin', () => {
    const { stack, cluster } = clusterStack();
    GpuNodePool.forAutoMode(stack, 'AutoGpu', { cluster, instanceFamilies: ['g6e'], instanceSizes: ['xlarge'] });
    const template = Template.fromStack(stack);
    const objects = kubernetesManifests(template);
    expectValidManifests(objects);
    expect(objects.map((o) => o.metadata?.name)).toEqual(['gpu-autogpu', 'gpu-autogpu-spot']);
    const spec = (objects[0].spec as { template: { spec: { nodeClassRef: unknown; requirements: { key: string }[] } } }).template.spec;
    expect(spec.nodeClassRef).toEqual({ group: 'eks.amazonaws.com', kind: 'NodeClass', name: 'default' });
    expect(spec.requirements.map((r) => r.key)).toEqual([
      'eks.amazonaws.com/instance-family', 'eks.amazonaws.com/instance-size', 'eks.amazonaws.com/instance-gpu-manufacturer',
      'karpenter.sh/capacity-type', 'kubernetes.io/arch', 'kubernetes.io/os',
    ]);
  });
});

describe('validation', () => {
  let stack: Stack;
  let cluster: eks.Cluster;
  let karpenter: Karpenter;
  let n = 0;
  beforeAll(() => {
    ({ stack, cluster } = clusterStack());
    karpenter = new Karpenter(stack, 'Karpenter', { cluster });
  });
  const pool = (options: Parameters<Karpenter['addGpuNodePool']>[1]) => () => karpenter.addGpuNodePool(`Pool${n++}`, options);

  test.each([
    ['instanceFamilies', { instanceFamilies: ['p3'] }, /instanceFamilies: unknown GPU instance family 'p3'/],
    ['instanceFamilies (empty)', { instanceFamilies: [] }, /instanceFamilies must name at least one/],
    ['instanceSizes', { instanceFamilies: ['g6'], instanceSizes: ['huge'] }, /instanceSizes: unknown size 'huge'.*allowed sizes are xlarge/],
    ['capacityTypes', { capacityTypes: [] }, /capacityTypes must list one or both of spot, on-demand/],
    ['gpuLimit', { gpuLimit: 0 }, /gpuLimit must be a whole number of GPUs, at least 1; received 0/],
    ['amiAlias @latest', { amiAlias: 'al2023@latest' }, /amiAlias must pin .*'al2023@vYYYYMMDD'.*received 'al2023@latest'/],
    ['amiAlias of another family', { amiFamily: GpuAmiFamily.BOTTLEROCKET, amiAlias: 'al2023@v20260818' }, /amiAlias must pin an AMI release of amiFamily BOTTLEROCKET/],
    ['volumeSize', { volumeSize: Size.gibibytes(20) }, /volumeSize must be from 50 GiB .* received 20 GiB/],
    ['weight', { weight: 101 }, /weight must be a whole number from 2 \(above the spot overflow pool's 1\) to 100; received 101/],
    ['weight 1 with a spot overflow pool', { weight: 1 }, /weight must be a whole number from 2/],
    ['weight without overflow', { weight: 0, capacityTypes: [GpuCapacityType.SPOT] }, /weight must be a whole number from 1 to 100; received 0/],
    ['spotOverflow with spot capacity', { spotOverflow: true, capacityTypes: [GpuCapacityType.SPOT, GpuCapacityType.ON_DEMAND] }, /spotOverflow needs capacityTypes \[on-demand\]/],
    ['short terminationGracePeriod', { terminationGracePeriod: Duration.minutes(5) }, /terminationGracePeriod must be at least 10 minutes.*received 5 minutes/],
    ['disruptionBudgets nodes', { disruptionBudgets: [{ nodes: 'half' }] }, /disruptionBudgets\[0\]\.nodes .* received 'half'/],
    ['disruptionBudgets schedule', { disruptionBudgets: [{ nodes: '0', schedule: '0 8 * * *' }] }, /disruptionBudgets\[0\]: schedule and duration must be given together/],
    ['tags', { tags: { 'karpenter.sh/nodepool': 'x' } }, /tags: 'karpenter.sh\/nodepool' is a tag Karpenter sets itself/],
    ['expireAfter', { expireAfter: Duration.minutes(30) }, /expireAfter must be at least 1 hour/],
    ['name', { name: 'GPU_Pool' }, /GpuNodePool name must be a DNS label.*'GPU_Pool'/],
    ['imageSnapshotId', { amiFamily: GpuAmiFamily.BOTTLEROCKET, imageSnapshotId: 'ami-0123456789abcdef0' }, /imageSnapshotId must be an EBS snapshot id .*received 'ami-0123456789abcdef0'/],
    ['imageSnapshotId on AL2023', { imageSnapshotId: 'snap-0123456789abcdef0' }, /imageSnapshotId needs amiFamily BOTTLEROCKET .*received amiFamily AL2023/],
  ])('%s', (_prop, options, message) => {
    expect(pool(options as Parameters<Karpenter['addGpuNodePool']>[1])).toThrow(message);
  });

  test.each([
    ['version', { version: 'v1.15.0' }, /Karpenter version must be a release such as '1.15.1'.*received 'v1.15.0'/],
    ['version 0.x', { version: '0.37.0' }, /Karpenter version must be a 1.x release.*'0.37.0'/],
    ['controllerNamespace', { controllerNamespace: 'Kube_System' }, /controllerNamespace must be a DNS label.*'Kube_System'/],
    ['interruptionQueueRetention', { interruptionQueueRetention: Duration.seconds(30) }, /interruptionQueueRetention must be from 60 seconds to 14 days.*30 seconds/],
    ['securityGroups', { securityGroups: [] }, /securityGroups must name at least one/],
  ])('Karpenter %s', (_prop, props, message) => {
    expect(() => new Karpenter(stack, `K${n++}`, { cluster, ...props })).toThrow(message);
  });

  test('Auto Mode refuses node-class options and a Karpenter pool needs karpenter', () => {
    expect(() => GpuNodePool.forAutoMode(stack, `A${n++}`, { cluster, amiFamily: GpuAmiFamily.AL2023 })).toThrow(/amiFamily applies to self-managed Karpenter only/);
    expect(() => GpuNodePool.forAutoMode(stack, `A${n++}`, { cluster, imageSnapshotId: 'snap-0123456789abcdef0' })).toThrow(/imageSnapshotId applies to self-managed Karpenter only/);
    expect(() => new GpuNodePool(stack, `A${n++}`, { cluster })).toThrow(/karpenter is required with capacityMode KARPENTER/);
  });

  test('NvidiaDevicePlugin version', () => {
    expect(() => new NvidiaDevicePlugin(stack, `D${n++}`, { cluster, version: 'latest' })).toThrow(/NvidiaDevicePlugin version must be a release tag .*'latest'/);
  });
});
