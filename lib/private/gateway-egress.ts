import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { GatewayEgressRule } from '../gateway/gateway-egress';
import { ISelfHostedTarget } from '../selfhosted/self-hosted-target';

/** Where the router and the authorizer may connect to (internal). */
export interface GatewayEgressOptions {
  /** The security group of the gateway's interface endpoints, when the gateway created them. */
  readonly endpointSecurityGroup?: ec2.ISecurityGroup;
  /** The AWS-managed prefix list of the DynamoDB gateway endpoint. */
  readonly dynamoDbPrefixListId?: string;
  /** The self-hosted models the router calls. */
  readonly selfHostedTargets: ISelfHostedTarget[];
  /** Named external endpoints (router only). */
  readonly external: GatewayEgressRule[];
}

/**
 * The outbound rules of the router's and the authorizer's security groups (both created with
 * `allowAllOutbound: false`):
 * - HTTPS to the security group of the gateway's interface endpoints (Bedrock Runtime, AppConfig
 *   Data, CloudWatch Logs, X-Ray);
 * - HTTPS to DynamoDB through its gateway endpoint: the prefix list when its id is known, else any
 *   IPv4 address on 443 (the prefix list id is Region-specific and has no CloudFormation
 *   attribute);
 * - without the gateway's endpoints (the VPC's own endpoints or a NAT serve the AWS APIs): HTTPS to
 *   any IPv4 address;
 * - router only: each self-hosted target's port on its security groups, and the named external
 *   endpoints.
 */
export function restrictGatewayEgress(scope: Construct, router: ec2.SecurityGroup, authorizer: ec2.SecurityGroup, options: GatewayEgressOptions): void {
  const https = ec2.Port.tcp(443);
  for (const [sg, who] of [[router, 'router'], [authorizer, 'tenant authorizer']] as const) {
    if (!options.endpointSecurityGroup) {
      sg.addEgressRule(ec2.Peer.anyIpv4(), https, `${who}: HTTPS to AWS APIs through the VPC's own endpoints or NAT (createVpcEndpoints is false)`);
      continue;
    }
    sg.addEgressRule(options.endpointSecurityGroup, https, `${who}: HTTPS to the gateway's interface VPC endpoints`);
    sg.addEgressRule(options.dynamoDbPrefixListId ? ec2.Peer.prefixList(options.dynamoDbPrefixListId) : ec2.Peer.anyIpv4(), https,
      options.dynamoDbPrefixListId
        ? `${who}: HTTPS to DynamoDB through its gateway endpoint`
        : `${who}: HTTPS to DynamoDB through its gateway endpoint (set dynamoDbPrefixListId to allow its prefix list only)`);
  }
  // In the gateway's scope, like the matching ingress rules: a model stack need not know the gateway.
  options.selfHostedTargets.forEach((t, i) => t.connections.securityGroups.forEach((target, j) => {
    new ec2.CfnSecurityGroupEgress(scope, `SelfHostedEgress${i}x${j}`, {
      groupId: router.securityGroupId,
      destinationSecurityGroupId: target.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: t.port,
      toPort: t.port,
      description: `cdk-ai-gateway router to self-hosted target ${t.target.id}`,
    });
  }));
  for (const rule of options.external) router.addEgressRule(rule.peer, rule.port, rule.description);
}
