import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** An outbound rule of the gateway's functions, for an endpoint outside AWS's APIs that a route needs. */
export interface GatewayEgressRule {
  /** Where to: `ec2.Peer.ipv4('203.0.113.10/32')`, a prefix list, a security group. */
  readonly peer: ec2.IPeer;
  /** Which port: `ec2.Port.tcp(443)`. */
  readonly port: ec2.Port;
  /** Why, for the security group rule (which route and endpoint needs it). */
  readonly description: string;
}
