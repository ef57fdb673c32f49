import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsLoadBalancerController, LoadBalancerControllerPolicy } from '../../../lib/selfhosted/endpoint';
import { NODE_ROLE_LABEL, SYSTEM_NODE_ROLE } from '../../../lib/selfhosted/scheduling';
import { expectReportAcknowledgmentsJustified } from '../../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../../helpers/synthesis';
import { helmRelease } from '../helpers/template-manifests';
import { EndpointAppVariant } from './compliance-apps';
import { endpointFixture, EndpointFixture } from './fixture';

/**
 * Top-level keys of the chart's values.yaml that this construct sets, each present upstream:
 * replicaCount, clusterName, serviceAccount.{create,name}, nodeSelector, region, vpcId and
 * podDisruptionBudget in kubernetes-sigs/aws-load-balancer-controller
 * helm/aws-load-balancer-controller/values.yaml (and aws/eks-charts
 * stable/aws-load-balancer-controller/values.yaml); enableServiceMutatorWebhook is the chart value
 * the controller's v2.5+ installation guide (kubernetes-sigs.github.io/aws-load-balancer-controller/
 * v3.2/deploy/installation) names for turning the Service mutating webhook off.
 */
const UPSTREAM_VALUE_KEYS = new Set([
  'replicaCount', 'image', 'imagePullSecrets', 'nameOverride', 'fullnameOverride', 'clusterName', 'serviceAccount', 'rbac',
  'podSecurityContext', 'securityContext', 'terminationGracePeriodSeconds', 'resources', 'priorityClassName', 'nodeSelector',
  'tolerations', 'affinity', 'updateStrategy', 'serviceAnnotations', 'podAnnotations', 'podLabels', 'enableCertManager',
  'ingressClass', 'createIngressClassResource', 'region', 'vpcId', 'awsApiEndpoints', 'awsMaxRetries', 'defaultTags',
  'podDisruptionBudget', 'externalManagedTags', 'enableServiceMutatorWebhook', 'logLevel', 'env', 'hostNetwork',
]);
const UPSTREAM_SERVICE_ACCOUNT_KEYS = new Set(['create', 'annotations', 'name', 'automountServiceAccountToken']);

function statementsOf(template: Template): unknown[] {
  const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
  return (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement;
}

describe('AwsLoadBalancerController (TargetGroupBinding-only policy, the default)', () => {
  let f: EndpointFixture;
  let template: Template;
  beforeAll(() => {
    f = endpointFixture();
    template = Template.fromStack(f.stack);
  });

  test('its role trusts EKS Pod Identity with session tags and carries only the managed policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
      },
      Policies: Match.absent(),
      ManagedPolicyArns: Match.absent(),
    });
  });

  test('the Pod Identity association binds kube-system/aws-load-balancer-controller to the role', () => {
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      ClusterName: { Ref: f.stack.getLogicalId(f.cluster.node.defaultChild as never) },
      Namespace: 'kube-system',
      ServiceAccount: 'aws-load-balancer-controller',
      RoleArn: { 'Fn::GetAtt': [f.stack.getLogicalId(f.controller.role.node.defaultChild as never), 'Arn'] },
    });
  });

  test('its policy is the upstream TargetGroupBinding subset, writes scoped to the endpoint target group', () => {
    expect(statementsOf(template)).toEqual([
      {
        Effect: 'Allow',
        Action: ['ec2:DescribeVpcs', 'ec2:DescribeSecurityGroups', 'ec2:DescribeInstances',
          'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth'],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: ['elasticloadbalancing:ModifyTargetGroup', 'elasticloadbalancing:ModifyTargetGroupAttributes',
          'elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
        Resource: { Ref: f.stack.getLogicalId(f.endpoint.targetGroup.node.defaultChild as never) },
      },
    ]);
  });

  test('allowTargetGroup is idempotent', () => {
    const before = JSON.stringify(f.stack.resolve((f.controller.node.findChild('Policy') as unknown as { document: unknown }).document));
    f.controller.allowTargetGroup(f.endpoint.targetGroup);
    expect(JSON.stringify(f.stack.resolve((f.controller.node.findChild('Policy') as unknown as { document: unknown }).document))).toBe(before);
  });

  test('installs the pinned chart on the system nodes with two replicas', () => {
    const release = helmRelease(template, 'aws-load-balancer-controller');
    expect(release).toMatchObject({
      repository: 'https://aws.github.io/eks-charts',
      version: '3.5.0',
      namespace: 'kube-system',
      release: 'aws-load-balancer-controller',
    });
    expect(release.values).toEqual({
      clusterName: `{{Ref:${f.stack.getLogicalId(f.cluster.node.defaultChild as never)}}}`,
      region: 'us-east-1',
      vpcId: `{{Ref:${f.stack.getLogicalId(f.vpc.node.defaultChild as never)}}}`,
      replicaCount: 2,
      serviceAccount: { create: true, name: 'aws-load-balancer-controller' },
      nodeSelector: { [NODE_ROLE_LABEL]: SYSTEM_NODE_ROLE },
      enableServiceMutatorWebhook: false,
      podDisruptionBudget: { maxUnavailable: 1 },
    });
  });

  test('sets only values keys the upstream chart has', () => {
    const { values } = helmRelease(template, 'aws-load-balancer-controller');
    expect(Object.keys(values).filter((k) => !UPSTREAM_VALUE_KEYS.has(k))).toEqual([]);
    expect(Object.keys(values.serviceAccount as object).filter((k) => !UPSTREAM_SERVICE_ACCOUNT_KEYS.has(k))).toEqual([]);
  });

  test('the chart waits for the controller and starts after its Pod Identity association and policy', () => {
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;
    const chart = Object.values(resources).find((r) => r.Type === 'Custom::AWSCDK-EKS-HelmChart')!;
    expect(chart.Properties.Wait).toBe(true);
    expect(chart.DependsOn).toEqual(expect.arrayContaining([
      expect.stringMatching(/^LbcRoleAssociation/), expect.stringMatching(/^LbcPolicy/),
    ]));
  });
});

describe('AwsLoadBalancerController with the full policy', () => {
  let f: EndpointFixture;
  let template: Template;
  beforeAll(() => {
    f = endpointFixture({ controller: { policy: LoadBalancerControllerPolicy.FULL, replicas: 1 } });
    template = Template.fromStack(f.stack);
  });

  test('is exactly the published v3.2.2 policy (as aws-cdk-lib 2.276.0 ships it), partition from the stack', () => {
    const published = JSON.parse(readFileSync(path.join(require.resolve('aws-cdk-lib/package.json'), '..', 'aws-eks-v2', 'lib', 'addons',
      `alb-iam_policy-${AwsLoadBalancerController.FULL_POLICY_VERSION}.json`), 'utf8')) as { Statement: Array<Record<string, unknown>> };
    const partition = (r: string): unknown => (r.startsWith('arn:aws:') ? { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, r.slice('arn:aws'.length)]] } : r);
    const single = <T>(list: T[]): T | T[] => (list.length === 1 ? list[0] : list);
    const expected = published.Statement.map((s) => {
      const resources = ([] as string[]).concat(s.Resource as string | string[]);
      return {
        Effect: 'Allow',
        Action: single(s.Action as string[]),
        Resource: single(resources.map(partition)),
        ...(s.Condition ? { Condition: s.Condition } : {}),
      };
    });
    expect(statementsOf(template)).toEqual(expected);
  });

  test('lets the controller claim Services of type LoadBalancer and runs one replica without a PDB', () => {
    const { values } = helmRelease(template, 'aws-load-balancer-controller');
    expect(values).toMatchObject({ enableServiceMutatorWebhook: true, replicaCount: 1 });
    expect(values.podDisruptionBudget).toBeUndefined();
  });
});

describe('AwsLoadBalancerController validation', () => {
  test.each([
    [{ replicas: 0 }, /replicas must be an integer from 1 to 10, received 0/],
    [{ replicas: 1.5 }, /replicas/],
    [{ chartVersion: 'latest' }, /chartVersion must be a chart version such as 3.5.0, received 'latest'/],
    [{ policy: 'admin' as LoadBalancerControllerPolicy }, /policy must be one of target-group-binding-only, full, received admin/],
  ])('rejects %j', (props, message) => {
    expect(() => endpointFixture({ controller: props })).toThrow(message);
  });
});

describe('compliance', () => {
  const MINE = /^Endpoint\/(Lbc|Llama)(\/|$)|^Endpoint\/Cluster\/ClusterSecurityGroup\/from EndpointLlama/;

  test.each([
    ['HTTP endpoint, TargetGroupBinding-only controller', {}],
    ['TLS endpoint, full-policy controller', { tls: true, full: true }],
  ])('%s: no open finding on the endpoint or controller, every acknowledgment used and justified', async (_name, variant: EndpointAppVariant) => {
    const { report } = await sharedSynthesis({ module: path.join(__dirname, 'compliance-apps'), exportName: 'endpointApp', args: variant });
    const open = report.findings.filter((x) => MINE.test(x.constructPath));
    expect(open.map((x) => `${x.findingId} ${x.constructPath}`)).toEqual([]);
    const acknowledged = report.acknowledgedFindings.filter((x) => MINE.test(x.constructPath));
    expect(acknowledged.length).toBeGreaterThan(0);
    const unused = report.acknowledgments.filter((a) => MINE.test(a.constructPath) && a.findingsCovered === 0);
    expect(unused.map((a) => `${a.findingId} ${a.constructPath}`)).toEqual([]);
    expectReportAcknowledgmentsJustified(report, 'Endpoint/Lbc');
    expectReportAcknowledgmentsJustified(report, 'Endpoint/Llama');
  }, SHARED_SYNTHESIS_TIMEOUT_MS);
});
