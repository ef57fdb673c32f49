import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { eksClusterView, field, list } from './eks-cluster-properties';
import { GatewayRule } from './gateway-rule';
import { flattenValue } from './iam-statements';

/**
 * `AiGateway-EksPrivateEndpoint`: the Kubernetes API endpoint of an EKS cluster is private.
 *
 * cdk-nag's `EKS1` does not judge the native `AWS::EKS::Cluster` that `aws-eks-v2` creates. This
 * rule reports, for each `AWS::EKS::Cluster`:
 * - `PublicAccess::0.0.0.0/0` (or `::/0`) when the public endpoint is on and open to every address
 *   (`EndpointPublicAccess` true or absent — the EKS default — without `PublicAccessCidrs`, or with
 *   an open CIDR);
 * - `PublicAccess::<cidr>` for each CIDR a restricted public endpoint admits;
 * - `PrivateAccess::disabled` when the private endpoint is off, so node and in-VPC traffic to the API
 *   leaves the VPC.
 */
export const eksPrivateEndpoint: GatewayRule = {
  id: 'EksPrivateEndpoint',
  info: 'The EKS cluster\'s Kubernetes API endpoint is reachable from the internet, or its private endpoint is off.',
  explanation: 'A public API endpoint leaves the API server\'s authentication as the only barrier against stolen kubeconfigs, '
    + 'credential stuffing and API server vulnerabilities; open to 0.0.0.0/0 it can be reached from any address. Set '
    + 'EndpointPrivateAccess true and EndpointPublicAccess false (aws-eks-v2: EndpointAccess.PRIVATE) and reach the API from '
    + 'inside the VPC; if a public endpoint is unavoidable, restrict PublicAccessCidrs to known ranges and acknowledge each.',
  level: NagMessageLevel.ERROR,
  check(node: CfnResource): NagRuleResult {
    const view = eksClusterView(node);
    if (!view) return NagRuleCompliance.NOT_APPLICABLE;
    const config = view.resourcesVpcConfig;
    const findings: string[] = [];
    // EKS defaults: public access on, private access off.
    if (field(config, 'endpointPublicAccess') !== false) {
      const cidrs = list(field(config, 'publicAccessCidrs')).map(flattenValue);
      if (cidrs.length === 0) {
        findings.push('PublicAccess::0.0.0.0/0');
      } else {
        for (const cidr of cidrs) findings.push(`PublicAccess::${cidr}`);
      }
    }
    if (field(config, 'endpointPrivateAccess') !== true) findings.push('PrivateAccess::disabled');
    return findings;
  },
};

