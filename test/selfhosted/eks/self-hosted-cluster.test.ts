import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CapacityMode, SelfHostedCluster, SelfHostedClusterProps } from '../../../lib';
import { GPU_NODE_ROLE, NODE_ROLE_LABEL, SYSTEM_NODE_ROLE } from '../../../lib/selfhosted/scheduling';

// EKS stacks are slow to synthesize: one stack per describe, built in beforeAll.
jest.setTimeout(120_000);

const ALL_LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'];

function build(props: SelfHostedClusterProps = {}, prepare?: (stack: Stack) => Partial<SelfHostedClusterProps>) {
  const stack = new Stack(new App(), 'S');
  const extra = prepare?.(stack) ?? {};
  const models = new SelfHostedCluster(stack, 'Models', { ...props, ...extra });
  return { stack, models, template: Template.fromStack(stack) };
}

/** One access entry for the role, with exactly the cluster-wide AmazonEKSClusterAdminPolicy. */
function expectClusterAdminEntry(template: Template, roleLogicalId: string): void {
  const entries = Object.values(template.findResources('AWS::EKS::AccessEntry'))
    .filter((e) => JSON.stringify(e.Properties.PrincipalArn) === JSON.stringify({ 'Fn::GetAtt': [roleLogicalId, 'Arn'] }));
  expect(entries).toHaveLength(1);
  const policies = entries[0].Properties.AccessPolicies;
  expect(policies).toHaveLength(1);
  expect(policies[0].AccessScope).toEqual({ Type: 'cluster' });
  expect(JSON.stringify(policies[0].PolicyArn)).toContain(':eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy');
  expect(entries[0].Properties.Type).toBeUndefined(); // STANDARD
}

const id = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);

describe('SelfHostedCluster defaults (KARPENTER)', () => {
  let stack: Stack;
  let models: SelfHostedCluster;
  let template: Template;
  beforeAll(() => ({ stack, models, template } = build()));

  test('private API endpoint only', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false, PublicAccessCidrs: Match.absent() }),
      // A name known at synth (Karpenter's policy conditions name the cluster), unique to the construct path.
      Name: Match.stringLikeRegexp('^[A-Za-z0-9]+$'),
    });
  });

  test('all five control-plane log types', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      Logging: { ClusterLogging: { EnabledTypes: ALL_LOG_TYPES.map((type) => ({ Type: type })) } },
    });
  });

  test('the control-plane log group EKS writes to exists before the cluster: /aws/eks/<name>/cluster, KMS, one year, kept', () => {
    const [cluster] = Object.values(template.findResources('AWS::EKS::Cluster'));
    const groupId = id(stack, models.controlPlaneLogGroup as never);
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: `/aws/eks/${cluster.Properties.Name}/cluster`,
        RetentionInDays: 365,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ModelsLogKey'), 'Arn'] },
      },
      DeletionPolicy: 'Retain',
    });
    expect(cluster.DependsOn).toEqual(expect.arrayContaining([groupId]));
  });

  test('both kubectl provider functions log to their own KMS-encrypted log groups with retention', () => {
    expect(models.kubectlLogGroups).toHaveLength(2);
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([logicalId]) => logicalId.includes('KubectlProvider'));
    expect(functions).toHaveLength(2);
    for (const [, fn] of functions) {
      const ref = fn.Properties.LoggingConfig.LogGroup.Ref;
      expect(models.kubectlLogGroups.map((g) => id(stack, g as never))).toContain(ref);
      expect(fn.DependsOn).toContain(ref);
      const group = template.toJSON().Resources[ref];
      expect(group.Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/ModelsLogKey/), 'Arn'] } });
      expect(group.DeletionPolicy).toBe('Retain');
    }
  });

  test('secrets encrypted with a new rotating key', () => {
    const keyId = id(stack, models.secretsEncryptionKey as kms.Key);
    template.hasResourceProperties('AWS::EKS::Cluster', {
      EncryptionConfig: [{ Provider: { KeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] } }, Resources: ['secrets'] }],
    });
    expect(template.findResources('AWS::KMS::Key')[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  test('Kubernetes 1.35, no Auto Mode, no self-managed networking add-ons', () => {
    expect(SelfHostedCluster.DEFAULT_KUBERNETES_VERSION.version).toBe('1.35');
    template.hasResourceProperties('AWS::EKS::Cluster', {
      Version: '1.35',
      BootstrapSelfManagedAddons: false,
      ComputeConfig: { Enabled: false },
      AccessConfig: { AuthenticationMode: 'API' },
    });
  });

  test('the five EKS add-ons, by name (the node monitoring agent reports GPU faults for node repair)', () => {
    const names = Object.values(template.findResources('AWS::EKS::Addon')).map((r) => r.Properties.AddonName).sort();
    expect(names).toEqual(['coredns', 'eks-node-monitoring-agent', 'eks-pod-identity-agent', 'kube-proxy', 'vpc-cni']);
    expect(Object.keys(models.addons).sort()).toEqual(names);
  });

  test('vpc-cni and kube-proxy before the system nodes, CoreDNS after them', () => {
    const nodegroupId = id(stack, models.systemNodeGroup!);
    const ng = template.findResources('AWS::EKS::Nodegroup')[nodegroupId];
    expect(ng.DependsOn).toEqual(expect.arrayContaining([id(stack, models.addons['vpc-cni'] as eks.Addon), id(stack, models.addons['kube-proxy'] as eks.Addon)]));
    const coreDns = template.findResources('AWS::EKS::Addon')[id(stack, models.addons.coredns as eks.Addon)];
    expect(coreDns.DependsOn).toEqual(expect.arrayContaining([nodegroupId]));
  });

  test('the Pod Identity agent is the cluster\'s own add-on, so associations elsewhere reuse it', () => {
    expect(models.addons['eks-pod-identity-agent']).toBe(models.cluster.eksPodIdentityAgent);
  });

  test('system node group: AL2023, m7i.large, 2/2/3, system label, no taint, launch template', () => {
    template.resourceCountIs('AWS::EKS::Nodegroup', 1);
    template.hasResourceProperties('AWS::EKS::Nodegroup', {
      AmiType: 'AL2023_x86_64_STANDARD',
      InstanceTypes: ['m7i.large'],
      ScalingConfig: { MinSize: 2, DesiredSize: 2, MaxSize: 3 },
      Labels: { [NODE_ROLE_LABEL]: SYSTEM_NODE_ROLE },
      Taints: Match.absent(),
      DiskSize: Match.absent(),
      NodeRole: { 'Fn::GetAtt': [id(stack, models.nodeRole as iam.Role), 'Arn'] },
      LaunchTemplate: { Id: { Ref: Match.stringLikeRegexp('^ModelsSystemLaunchTemplate') }, Version: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ModelsSystemLaunchTemplate'), 'LatestVersionNumber'] } },
    });
  });

  test('system launch template: IMDSv2 required, hop limit 1, detailed monitoring, encrypted 50 GiB gp3 root', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: Match.objectLike({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 }),
        Monitoring: { Enabled: true },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 50, VolumeType: 'gp3', DeleteOnTermination: true } }],
      }),
    });
  });

  test('node role: the three policies EKS documents for nodes', () => {
    const role = template.findResources('AWS::IAM::Role')[id(stack, models.nodeRole as iam.Role)];
    const arns = JSON.stringify(role.Properties.ManagedPolicyArns);
    for (const name of ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly']) expect(arns).toContain(`:iam::aws:policy/${name}`);
    expect(role.Properties.ManagedPolicyArns).toHaveLength(3);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([expect.objectContaining({ Principal: { Service: 'ec2.amazonaws.com' } })]);
  });

  test('no GPU node group unless asked', () => {
    expect(models.gpuNodeGroup).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::EKS::Nodegroup', { AmiType: Match.stringLikeRegexp('NVIDIA') }, 0);
  });

  test('kubectl handler: default v36 layer, in the private subnets, own security group', () => {
    const layers = template.findResources('AWS::Lambda::LayerVersion');
    expect(Object.values(layers).some((l) => /kubectl/i.test(JSON.stringify(l)))).toBe(true);
    const sgId = id(stack, models.kubectlSecurityGroup as ec2.SecurityGroup);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'onEvent handler for EKS kubectl resource provider',
      Role: { 'Fn::GetAtt': [id(stack, models.kubectlRole as iam.Role), 'Arn'] },
      VpcConfig: { SecurityGroupIds: [{ 'Fn::GetAtt': [sgId, 'GroupId'] }], SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('privateSubnet') }]) },
    });
  });

  test('kubectl security group: HTTPS out only; the control plane admits it on 443', () => {
    const sgId = id(stack, models.kubectlSecurityGroup as ec2.SecurityGroup);
    const sg = template.findResources('AWS::EC2::SecurityGroup')[sgId];
    expect(sg.Properties.SecurityGroupEgress).toEqual([{ CidrIp: '0.0.0.0/0', Description: expect.any(String), FromPort: 443, IpProtocol: 'tcp', ToPort: 443 }]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [id(stack, models.controlPlaneSecurityGroup as ec2.SecurityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] },
      IpProtocol: 'tcp', FromPort: 443, ToPort: 443,
    });
  });

  test('kubectl role: cluster admin access entry, statements in a customer-managed policy', () => {
    expectClusterAdminEntry(template, id(stack, models.kubectlRole as iam.Role));
    template.resourceCountIs('AWS::IAM::Policy', 1); // only the custom resource framework's, which aws-cdk-lib owns
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [{ Action: 'eks:DescribeCluster', Effect: 'Allow', Resource: { 'Fn::GetAtt': [id(stack, models.cluster), 'Arn'] } }], Version: '2012-10-17' },
    });
  });

  test('new VPC: 2 AZs, no public IP on launch, NAT per AZ, flow logs to an encrypted log group', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    template.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false }, 4);
    template.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true }, 0);
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', ResourceType: 'VPC' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }, RetentionInDays: 365 });
    expect(models.flowLogGroup).toBeDefined();
  });

  test('control plane in the private subnets; nodes use the EKS cluster security group', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ SubnetIds: [{ Ref: Match.stringLikeRegexp('privateSubnet1') }, { Ref: Match.stringLikeRegexp('privateSubnet2') }] }),
    });
    expect(models.nodeSecurityGroup).toBe(models.clusterSecurityGroup);
    expect(stack.resolve(models.clusterSecurityGroup.securityGroupId)).toEqual({ 'Fn::GetAtt': [id(stack, models.cluster), 'ClusterSecurityGroupId'] });
  });

  test('snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('SelfHostedCluster with a GPU node group (AL2023 NVIDIA)', () => {
  let stack: Stack;
  let models: SelfHostedCluster;
  let template: Template;
  beforeAll(() => ({ stack, models, template } = build({ gpuNodeGroup: { instanceTypes: ['g6.xlarge', 'g6.2xlarge'] } })));

  test('AL2023 NVIDIA AMI, 1/1/1 on demand, GPU label and nvidia.com/gpu NO_SCHEDULE taint', () => {
    template.hasResourceProperties('AWS::EKS::Nodegroup', {
      AmiType: 'AL2023_x86_64_NVIDIA',
      InstanceTypes: ['g6.xlarge', 'g6.2xlarge'],
      CapacityType: 'ON_DEMAND',
      ScalingConfig: { MinSize: 1, DesiredSize: 1, MaxSize: 1 },
      Labels: { [NODE_ROLE_LABEL]: GPU_NODE_ROLE },
      Taints: [{ Key: 'nvidia.com/gpu', Value: 'true', Effect: 'NO_SCHEDULE' }],
      LaunchTemplate: { Id: { Ref: Match.stringLikeRegexp('^ModelsGpuLaunchTemplate') }, Version: Match.anyValue() },
    });
  });

  test('GPU launch template: IMDSv2 required, hop limit 1, encrypted 200 GiB gp3 root for weights', () => {
    const lt = Object.entries(template.findResources('AWS::EC2::LaunchTemplate')).find(([k]) => k.startsWith('ModelsGpuLaunchTemplate'))![1];
    expect(lt.Properties.LaunchTemplateData).toMatchObject({
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      Monitoring: { Enabled: true },
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 200, VolumeType: 'gp3' } }],
    });
  });

  test('shares the node role, and waits for vpc-cni and kube-proxy', () => {
    const ng = template.findResources('AWS::EKS::Nodegroup')[id(stack, models.gpuNodeGroup!)];
    expect(ng.Properties.NodeRole).toEqual({ 'Fn::GetAtt': [id(stack, models.nodeRole as iam.Role), 'Arn'] });
    expect(ng.DependsOn).toEqual(expect.arrayContaining([id(stack, models.addons['vpc-cni'] as eks.Addon), id(stack, models.addons['kube-proxy'] as eks.Addon)]));
  });
});

describe('SelfHostedCluster with an existing VPC, own layer, key, Bottlerocket GPU nodes, admin role, public endpoint', () => {
  let stack: Stack;
  let models: SelfHostedCluster;
  let template: Template;
  let vpc: ec2.Vpc;
  const LAYER_ARN = 'arn:aws:lambda:us-east-1:111122223333:layer:kubectl-1-36:3';
  let admin: iam.Role;
  let key: kms.Key;
  beforeAll(() => ({ stack, models, template } = build({
    gpuNodeGroup: { instanceTypes: ['g6e.xlarge'], amiType: eks.NodegroupAmiType.BOTTLEROCKET_X86_64_NVIDIA, diskSize: 300, capacityType: eks.CapacityType.SPOT, minSize: 0, desiredSize: 1, maxSize: 2 },
    systemNodeGroup: { instanceTypes: [new ec2.InstanceType('m7i.xlarge')], minSize: 3, desiredSize: 3, maxSize: 5, diskSize: 80 },
    endpointAccess: eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom('203.0.113.0/24'),
    clusterLogging: [eks.ClusterLoggingTypes.AUDIT, eks.ClusterLoggingTypes.AUTHENTICATOR],
  }, (s) => {
    vpc = new ec2.Vpc(s, 'Network', { maxAzs: 2, natGateways: 1 });
    const layer = lambda.LayerVersion.fromLayerVersionArn(s, 'MyKubectl', LAYER_ARN);
    admin = new iam.Role(s, 'Admin', { assumedBy: new iam.AccountRootPrincipal() });
    key = new kms.Key(s, 'MyKey', { enableKeyRotation: true });
    return { vpc, kubectlLayer: layer, adminRoles: [admin], secretsEncryptionKey: key, logEncryptionKey: key, logRetention: logs.RetentionDays.SIX_MONTHS, logRemovalPolicy: RemovalPolicy.DESTROY };
  })));

  test('the control-plane and kubectl log groups use the given key, retention and removal policy', () => {
    const groups = [models.controlPlaneLogGroup, ...models.kubectlLogGroups];
    expect(groups).toHaveLength(3);
    for (const group of groups) {
      const resource = template.toJSON().Resources[id(stack, group as never)];
      expect(resource.Properties).toMatchObject({ RetentionInDays: 180, KmsKeyId: { 'Fn::GetAtt': [id(stack, key as never), 'Arn'] } });
      expect(resource.DeletionPolicy).toBe('Delete');
    }
  });

  test('uses the given VPC: no VPC of its own, control plane in its private subnets', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    expect(models.vpc).toBe(vpc);
    expect(models.flowLogGroup).toBeUndefined();
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ SubnetIds: vpc.privateSubnets.map((sn) => ({ Ref: stack.getLogicalId(sn.node.defaultChild as never) })) }),
    });
  });

  test('injects the given kubectl layer and no default one', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'onEvent handler for EKS kubectl resource provider',
      Layers: Match.arrayWith([LAYER_ARN]),
    });
    expect(models.node.tryFindChild('KubectlLayer')).toBeUndefined();
  });

  test('encrypts secrets with the given key', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', { EncryptionConfig: [{ Provider: { KeyArn: { 'Fn::GetAtt': [id(stack, key), 'Arn'] } }, Resources: ['secrets'] }] });
    expect(models.secretsEncryptionKey).toBe(key);
  });

  test('a restricted public endpoint and the chosen log types are passed through', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: true, PublicAccessCidrs: ['203.0.113.0/24'] }),
      Logging: { ClusterLogging: { EnabledTypes: [{ Type: 'audit' }, { Type: 'authenticator' }] } },
    });
  });

  test('admin role gets a cluster-admin access entry', () => {
    expectClusterAdminEntry(template, id(stack, admin));
  });

  test('Bottlerocket NVIDIA GPU nodes: spot, 0/1/2, 4 GiB OS volume and 300 GiB data volume, both encrypted', () => {
    template.hasResourceProperties('AWS::EKS::Nodegroup', {
      AmiType: 'BOTTLEROCKET_x86_64_NVIDIA', CapacityType: 'SPOT', InstanceTypes: ['g6e.xlarge'],
      ScalingConfig: { MinSize: 0, DesiredSize: 1, MaxSize: 2 },
      Taints: [{ Key: 'nvidia.com/gpu', Value: 'true', Effect: 'NO_SCHEDULE' }],
    });
    const lt = Object.entries(template.findResources('AWS::EC2::LaunchTemplate')).find(([k]) => k.startsWith('ModelsGpuLaunchTemplate'))![1];
    expect(lt.Properties.LaunchTemplateData.BlockDeviceMappings).toEqual([
      { DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 4, VolumeType: 'gp3', DeleteOnTermination: true } },
      { DeviceName: '/dev/xvdb', Ebs: { Encrypted: true, VolumeSize: 300, VolumeType: 'gp3', DeleteOnTermination: true } },
    ]);
  });

  test('system node group options are passed through', () => {
    template.hasResourceProperties('AWS::EKS::Nodegroup', {
      AmiType: 'AL2023_x86_64_STANDARD', InstanceTypes: ['m7i.xlarge'], ScalingConfig: { MinSize: 3, DesiredSize: 3, MaxSize: 5 },
    });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: Match.objectLike({ VolumeSize: 80, Encrypted: true }) }] }),
    });
  });
});

describe('SelfHostedCluster in AUTO_MODE', () => {
  let models: SelfHostedCluster;
  let template: Template;
  beforeAll(() => ({ models, template } = build({ capacityMode: CapacityMode.AUTO_MODE })));

  test('Auto Mode compute with the built-in node pools, block storage and load balancing', () => {
    expect(models.capacityMode).toBe(CapacityMode.AUTO_MODE);
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ComputeConfig: { Enabled: true, NodePools: ['system', 'general-purpose'], NodeRoleArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } },
      StorageConfig: { BlockStorage: { Enabled: true } },
      KubernetesNetworkConfig: Match.objectLike({ ElasticLoadBalancing: { Enabled: true } }),
      BootstrapSelfManagedAddons: Match.absent(),
    });
  });

  test('still private, logged and encrypted', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false }),
      Logging: { ClusterLogging: { EnabledTypes: ALL_LOG_TYPES.map((type) => ({ Type: type })) } },
      EncryptionConfig: [Match.objectLike({ Resources: ['secrets'] })],
    });
  });

  test('no node group and no add-on: Auto Mode manages them', () => {
    template.resourceCountIs('AWS::EKS::Nodegroup', 0);
    template.resourceCountIs('AWS::EKS::Addon', 0);
    template.resourceCountIs('AWS::EC2::LaunchTemplate', 0);
    expect(models.gpuNodeGroup).toBeUndefined();
    expect(models.systemNodeGroup).toBeUndefined();
    expect(models.addons).toEqual({});
  });
});

describe('SelfHostedCluster validation', () => {
  const make = (props: SelfHostedClusterProps) => () => new SelfHostedCluster(new Stack(new App(), 'S'), 'Models', props);

  test.each<[string, SelfHostedClusterProps, RegExp]>([
    ['bad cluster name', { clusterName: '-models' }, /clusterName must be 1 to 100 letters.*received '-models'/],
    ['min > desired', { systemNodeGroup: { minSize: 3, desiredSize: 2 } }, /systemNodeGroup sizes .*minSize 3, desiredSize 2, maxSize 3/],
    ['desired > max', { systemNodeGroup: { desiredSize: 4, maxSize: 3 } }, /systemNodeGroup sizes .*desiredSize 4, maxSize 3/],
    ['negative size', { systemNodeGroup: { minSize: -1 } }, /systemNodeGroup\.minSize .*received -1/],
    ['fractional size', { gpuNodeGroup: { instanceTypes: ['g6.xlarge'], maxSize: 1.5 } }, /gpuNodeGroup\.maxSize .*received 1\.5/],
    ['GPU min > desired', { gpuNodeGroup: { instanceTypes: ['g6.xlarge'], minSize: 2 } }, /gpuNodeGroup sizes .*minSize 2, desiredSize 1, maxSize 1/],
    ['max 0', { gpuNodeGroup: { instanceTypes: ['g6.xlarge'], minSize: 0, desiredSize: 0, maxSize: 0 } }, /gpuNodeGroup\.maxSize must be at least 1, received 0/],
    ['unknown GPU family', { gpuNodeGroup: { instanceTypes: ['m7i.large'] } }, /gpuNodeGroup\.instanceTypes: Unknown GPU instance type 'm7i\.large'.*g6/],
    ['unknown GPU size', { gpuNodeGroup: { instanceTypes: ['g6.3xlarge'] } }, /gpuNodeGroup\.instanceTypes: Unknown GPU instance type 'g6\.3xlarge'.*xlarge/],
    ['no GPU type', { gpuNodeGroup: { instanceTypes: [] } }, /gpuNodeGroup\.instanceTypes must name at least one/],
    ['GPU AMI that is not NVIDIA', { gpuNodeGroup: { instanceTypes: ['g6.xlarge'], amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD } }, /gpuNodeGroup\.amiType must be one of AL2023_x86_64_NVIDIA, BOTTLEROCKET_x86_64_NVIDIA, received 'AL2023_x86_64_STANDARD'/],
    ['GPU disk too small', { gpuNodeGroup: { instanceTypes: ['g6.xlarge'], diskSize: 20 } }, /gpuNodeGroup\.diskSize .*between 50 and 16384, received 20/],
    ['system disk too small', { systemNodeGroup: { diskSize: 8 } }, /systemNodeGroup\.diskSize .*between 20 and 16384, received 8/],
    ['no system type', { systemNodeGroup: { instanceTypes: [] } }, /systemNodeGroup\.instanceTypes must name at least one/],
    ['hop limit 0', { systemNodeGroup: { httpPutResponseHopLimit: 0 } }, /systemNodeGroup\.httpPutResponseHopLimit .*received 0/],
    ['gpuNodeGroup in AUTO_MODE', { capacityMode: CapacityMode.AUTO_MODE, gpuNodeGroup: { instanceTypes: ['g6.xlarge'] } }, /gpuNodeGroup cannot be used with capacityMode AUTO_MODE.*g6\.xlarge/],
    ['systemNodeGroup in AUTO_MODE', { capacityMode: CapacityMode.AUTO_MODE, systemNodeGroup: { minSize: 1 } }, /systemNodeGroup cannot be used with capacityMode AUTO_MODE/],
    ['empty logging list', { clusterLogging: [] }, /clusterLogging must name at least one log type \(allowed: api, audit, authenticator, controllerManager, scheduler\)/],
    ['duplicate log type', { clusterLogging: [eks.ClusterLoggingTypes.API, eks.ClusterLoggingTypes.API] }, /clusterLogging lists a log type twice: received api, api/],
    ['unknown log type', { clusterLogging: ['kubelet' as eks.ClusterLoggingTypes] }, /clusterLogging: unknown log type\(s\) kubelet; allowed: api/],
    ['unknown capacity mode', { capacityMode: 'FARGATE' as CapacityMode }, /capacityMode must be one of KARPENTER, AUTO_MODE, received 'FARGATE'/],
  ])('%s', (_name, props, message) => {
    expect(make(props)).toThrow(message);
    expect(make(props)).toThrow(expect.objectContaining({ name: 'AiGatewayValidationError' }));
  });
});
