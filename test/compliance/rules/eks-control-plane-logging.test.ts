import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { NagRuleCompliance } from 'cdk-nag';
import { AiGatewayChecks } from '../../../lib';
import { eksControlPlaneLogging } from '../../../lib/compliance/rules/eks-control-plane-logging';

const RULE = 'AiGateway-EksControlPlaneLogging';
const ALL = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'];

function cluster(types?: string[]): eks.CfnCluster {
  return new eks.CfnCluster(new Stack(new App(), 'S'), 'Cluster', {
    roleArn: 'arn:aws:iam::111122223333:role/eks',
    resourcesVpcConfig: { subnetIds: ['subnet-1'], endpointPrivateAccess: true, endpointPublicAccess: false },
    logging: types ? { clusterLogging: { enabledTypes: types.map((type) => ({ type })) } } : undefined,
  });
}

const ruleFindings = (scope: Stack) => new AiGatewayChecks().validateScope(scope).violations
  .filter((v) => v.ruleName.startsWith(RULE)).map((v) => v.ruleName).sort();

describe(`${RULE}: compliant`, () => {
  test('all five types', () => {
    const c = cluster(ALL);
    expect(eksControlPlaneLogging.check(c)).toEqual([]);
    expect(ruleFindings(c.stack)).toEqual([]);
  });

  test('all five types in any order, as aws-eks-v2 writes them', () => {
    const stack = new Stack(new App(), 'S');
    const c = new eks.Cluster(stack, 'Eks', {
      version: eks.KubernetesVersion.V1_35,
      clusterLogging: [eks.ClusterLoggingTypes.SCHEDULER, eks.ClusterLoggingTypes.API, eks.ClusterLoggingTypes.AUDIT,
        eks.ClusterLoggingTypes.CONTROLLER_MANAGER, eks.ClusterLoggingTypes.AUTHENTICATOR],
    });
    expect(eksControlPlaneLogging.check(c.node.defaultChild as CfnResource)).toEqual([]);
  });

  test('resources other than a cluster are not judged', () => {
    expect(eksControlPlaneLogging.check(new CfnResource(new Stack(new App(), 'S'), 'Q', { type: 'AWS::SQS::Queue' }))).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});

describe(`${RULE}: non-compliant`, () => {
  test('no logging at all: one finding per type', () => {
    const c = cluster();
    expect(eksControlPlaneLogging.check(c)).toEqual(ALL.map((t) => `Missing::${t}`));
    expect(ruleFindings(c.stack)).toEqual(ALL.map((t) => `${RULE}[Missing::${t}]`).sort());
  });

  test('audit and authenticator only', () => {
    expect(eksControlPlaneLogging.check(cluster(['audit', 'authenticator']))).toEqual(['Missing::api', 'Missing::controllerManager', 'Missing::scheduler']);
  });

  test('everything but audit', () => {
    expect(eksControlPlaneLogging.check(cluster(['api', 'authenticator', 'controllerManager', 'scheduler']))).toEqual(['Missing::audit']);
  });

  test('the type names are case-sensitive, as in the EKS API', () => {
    expect(eksControlPlaneLogging.check(cluster(['API', 'audit', 'authenticator', 'controllerManager', 'scheduler']))).toEqual(['Missing::api']);
  });
});
