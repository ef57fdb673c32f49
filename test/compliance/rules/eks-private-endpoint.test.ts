import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as eksv1 from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { NagRuleCompliance } from 'cdk-nag';
import { AiGatewayChecks } from '../../../lib';
import { eksPrivateEndpoint } from '../../../lib/compliance/rules/eks-private-endpoint';

const RULE = 'AiGateway-EksPrivateEndpoint';

function cluster(resourcesVpcConfig: eks.CfnCluster.ResourcesVpcConfigProperty, scope = new Stack(new App(), 'S')): eks.CfnCluster {
  return new eks.CfnCluster(scope, 'Cluster', { roleArn: 'arn:aws:iam::111122223333:role/eks', resourcesVpcConfig });
}

const SUBNETS = { subnetIds: ['subnet-1', 'subnet-2'] };

function findings(scope: Stack): string[][] {
  return new AiGatewayChecks().validateScope(scope).violations
    .filter((v) => v.ruleName.startsWith(RULE))
    .flatMap((v) => v.violatingResources.map((r) => [v.ruleName, r.constructPath ?? '']))
    .sort((a, b) => a.join().localeCompare(b.join()));
}

describe(`${RULE}: compliant`, () => {
  test('private endpoint only (what aws-eks-v2 EndpointAccess.PRIVATE writes)', () => {
    const c = cluster({ ...SUBNETS, endpointPrivateAccess: true, endpointPublicAccess: false });
    expect(eksPrivateEndpoint.check(c)).toEqual([]);
    expect(findings(c.stack)).toEqual([]);
  });

  test('an aws-eks (v1) CfnCluster is judged the same way', () => {
    const c = new eksv1.CfnCluster(new Stack(new App(), 'S'), 'Cluster', {
      roleArn: 'arn:aws:iam::111122223333:role/eks', resourcesVpcConfig: { ...SUBNETS, endpointPrivateAccess: true, endpointPublicAccess: false },
    });
    expect(eksPrivateEndpoint.check(c)).toEqual([]);
  });

  test('resources other than a cluster are not judged', () => {
    const s = new Stack(new App(), 'S');
    expect(eksPrivateEndpoint.check(new CfnResource(s, 'Topic', { type: 'AWS::SNS::Topic' }))).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});

describe(`${RULE}: non-compliant`, () => {
  test('EKS defaults (no endpoint settings): public to 0.0.0.0/0 and no private endpoint', () => {
    const c = cluster(SUBNETS);
    expect(eksPrivateEndpoint.check(c)).toEqual(['PublicAccess::0.0.0.0/0', 'PrivateAccess::disabled']);
    expect(findings(c.stack)).toEqual([
      [`${RULE}[PrivateAccess::disabled]`, 'S/Cluster'],
      [`${RULE}[PublicAccess::0.0.0.0/0]`, 'S/Cluster'],
    ]);
  });

  test('public and private, open to every address: the open CIDR is named', () => {
    const c = cluster({ ...SUBNETS, endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] });
    expect(eksPrivateEndpoint.check(c)).toEqual(['PublicAccess::0.0.0.0/0']);
  });

  test('public restricted to known ranges: one finding per CIDR, to acknowledge each', () => {
    const c = cluster({ ...SUBNETS, endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.0/24', '198.51.100.7/32'] });
    expect(eksPrivateEndpoint.check(c)).toEqual(['PublicAccess::203.0.113.0/24', 'PublicAccess::198.51.100.7/32']);
  });

  test('what aws-eks-v2 PUBLIC_AND_PRIVATE (its default) writes', () => {
    const stack = new Stack(new App(), 'S');
    const c = new eks.Cluster(stack, 'Eks', { version: eks.KubernetesVersion.V1_35, endpointAccess: eks.EndpointAccess.PUBLIC_AND_PRIVATE });
    expect(eksPrivateEndpoint.check(c.node.defaultChild as CfnResource)).toEqual(['PublicAccess::0.0.0.0/0']);
  });

  test('public only', () => {
    const c = cluster({ ...SUBNETS, endpointPrivateAccess: false, endpointPublicAccess: true });
    expect(eksPrivateEndpoint.check(c)).toEqual(['PublicAccess::0.0.0.0/0', 'PrivateAccess::disabled']);
  });

  test('a public flag only known at deploy time is not proven private', () => {
    const c = cluster({ ...SUBNETS, endpointPrivateAccess: true, endpointPublicAccess: { Ref: 'PublicParam' } as unknown as boolean });
    expect(eksPrivateEndpoint.check(c)).toEqual(['PublicAccess::0.0.0.0/0']);
  });
});
