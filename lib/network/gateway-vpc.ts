import { CfnResource, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { AiGatewayValidationError } from '../private/errors';
import { encryptedLogGroup } from '../private/kms';
import { ManagedPolicyRole } from '../private/managed-policy-role';

/** Properties of a {@link GatewayVpc}. */
export interface GatewayVpcProps {
  /**
   * The number of Availability Zones.
   * @default 2
   */
  readonly maxAzs?: number;

  /**
   * NAT gateways, each in a public subnet of its own zone. With 0 the VPC has no public subnet and
   * no route to the internet: its private subnets are isolated, and the functions reach AWS through
   * the VPC endpoints only (a gateway without self-hosted models). EKS nodes need NAT to pull images.
   * @default - one per Availability Zone (`maxAzs`)
   */
  readonly natGateways?: number;

  /**
   * The VPC's address range.
   * @default ec2.IpAddresses.cidr('10.0.0.0/16')
   */
  readonly ipAddresses?: ec2.IIpAddresses;

  /**
   * The prefix length of each private subnet. The VPC CNI gives every pod an address of its node's
   * subnet, so the default leaves room for a GPU cluster's pods (8,187 addresses per zone).
   * @default 19
   */
  readonly privateSubnetCidrMask?: number;

  /**
   * Create the VPC endpoints the gateway's functions call: Bedrock Runtime, AppConfig Data,
   * CloudWatch Logs and AWS X-Ray (interface endpoints with private DNS, HTTPS from the VPC's
   * range only), and DynamoDB and S3 (gateway endpoints). `AiGateway` then creates none of its own.
   * @default true
   */
  readonly gatewayEndpoints?: boolean;

  /**
   * The KMS key of the flow log group.
   * @default - a new key with rotation
   */
  readonly flowLogEncryptionKey?: kms.IKey;

  /**
   * How long the flow logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogRetention?: logs.RetentionDays;

  /**
   * What happens to the flow log group and its key when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The interface endpoints of the services the router and the authorizer call, by construct id. */
const INTERFACE_ENDPOINTS: ReadonlyArray<[string, ec2.InterfaceVpcEndpointAwsService]> = [
  ['BedrockRuntime', ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME],
  ['AppConfigData', ec2.InterfaceVpcEndpointAwsService.APPCONFIGDATA],
  ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
  ['XRay', ec2.InterfaceVpcEndpointAwsService.XRAY],
];

/**
 * A VPC that passes every compliance pack the library runs, for the gateway and the self-hosted
 * models: private subnets for functions, nodes and load balancers (public subnets hold only the NAT
 * gateways and assign no public IP), flow logs of all traffic to a KMS-encrypted log group with
 * retention, delivered by a role without inline policies, and the VPC endpoints the router needs.
 * It is an `ec2.Vpc`: pass it wherever a VPC goes.
 *
 * Create it in a network stack of its own and pass it to the models' stack (`SelfHostedModels`
 * `clusterProps.vpc`) and to the gateway's stack (`AiGateway` `vpc`): the stacks then depend on the
 * network stack and the gateway on the models, without a cycle.
 *
 * @example
 * const network = new Stack(app, 'Network');
 * const vpc = new GatewayVpc(network, 'Vpc');
 * const models = new SelfHostedModels(new Stack(app, 'Models'), 'Models', { clusterProps: { vpc }, models: [...] });
 * new AiGateway(new Stack(app, 'Gateway'), 'Gateway', { vpc, selfHostedTargets: models.targets, ... });
 */
export class GatewayVpc extends ec2.Vpc {
  /** The log group the flow logs go to. */
  public readonly flowLogGroup: logs.ILogGroup;
  /** The KMS key of the flow log group. */
  public readonly flowLogEncryptionKey: kms.IKey;
  /** The VPC has the endpoints the gateway's functions call (`gatewayEndpoints`). */
  public readonly hasGatewayEndpoints: boolean;
  /** The security group of the interface endpoints (with `gatewayEndpoints`). */
  public readonly endpointSecurityGroup?: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: GatewayVpcProps = {}) {
    const maxAzs = props.maxAzs ?? 2;
    const natGateways = props.natGateways ?? maxAzs;
    const cidrMask = props.privateSubnetCidrMask ?? 19;
    validateProps(scope, id, maxAzs, natGateways, cidrMask);
    const ipAddresses = props.ipAddresses ?? ec2.IpAddresses.cidr('10.0.0.0/16');
    super(scope, id, {
      maxAzs,
      natGateways,
      ipAddresses,
      subnetConfiguration: natGateways === 0
        ? [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask }]
        : [
          // NAT gateways only: they use Elastic IPs, so nothing needs a public IP on launch.
          { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
          { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask },
        ],
    });
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const { logGroup, key } = this.addEncryptedFlowLog(props, removalPolicy);
    this.flowLogGroup = logGroup;
    this.flowLogEncryptionKey = key;
    this.hasGatewayEndpoints = props.gatewayEndpoints ?? true;
    // The literal range when it is known at synth: the ingress rule's CIDR is then checkable by the packs.
    const cidr = ipAddresses.allocateVpcCidr().cidrBlock ?? this.vpcCidrBlock;
    if (this.hasGatewayEndpoints) this.endpointSecurityGroup = this.addGatewayEndpoints(Token.isUnresolved(cidr) ? this.vpcCidrBlock : cidr);
    this.acknowledgeFindings();
  }

  /** Flow logs of all traffic to a KMS-encrypted log group, delivered by a role without inline policy. */
  private addEncryptedFlowLog(props: GatewayVpcProps, removalPolicy: RemovalPolicy): { logGroup: logs.LogGroup; key: kms.IKey } {
    const encrypted = encryptedLogGroup(this, 'FlowLogs', {
      key: props.flowLogEncryptionKey,
      purpose: `the flow logs of VPC ${this.node.path}`,
      retention: props.flowLogRetention,
      removalPolicy,
    });
    const role = new ManagedPolicyRole(this, 'FlowLogRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'),
      description: `Delivers the flow logs of VPC ${this.node.path}`,
    });
    this.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(encrypted.logGroup, role),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    return encrypted;
  }

  /** The interface and gateway endpoints of the services the gateway's functions call. */
  private addGatewayEndpoints(cidr: string): ec2.ISecurityGroup {
    const securityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this,
      description: 'cdk-ai-gateway VPC endpoints: HTTPS from the VPC only',
      allowAllOutbound: false,
    });
    securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
    for (const [name, service] of INTERFACE_ENDPOINTS) {
      this.addInterfaceEndpoint(`${name}Endpoint`, { service, privateDnsEnabled: true, securityGroups: [securityGroup], open: false });
    }
    this.addGatewayEndpoint('DynamoDbEndpoint', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    this.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    return securityGroup;
  }

  private acknowledgeFindings(): void {
    const vpc = this.node.defaultChild as CfnResource;
    const defaultGroup = 'No resource of cdk-ai-gateway uses the default security group of this VPC: functions, endpoints, '
      + 'load balancers, the EKS control plane and its nodes each get their own group. Closing it needs restrictDefaultSecurityGroup, '
      + 'which adds a Lambda-backed custom resource; close it with AWS Config (EC2.2 remediation) if your organisation requires it.';
    for (const id of ['NIST.800.53.R5-VPCDefaultSecurityGroupClosed', 'HIPAA.Security-VPCDefaultSecurityGroupClosed',
      'PCI.DSS.321-VPCDefaultSecurityGroupClosed']) {
      GatewayCompliance.acknowledge(vpc, id, defaultGroup);
    }
    for (const subnet of this.publicSubnets) {
      const route = subnet.node.tryFindChild('DefaultRoute');
      if (!route) continue;
      for (const id of ['NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW', 'HIPAA.Security-VPCNoUnrestrictedRouteToIGW',
        'PCI.DSS.321-VPCNoUnrestrictedRouteToIGW']) {
        GatewayCompliance.acknowledge(route, id, 'This public subnet holds only the NAT gateway of its Availability Zone, which '
          + 'needs a default route to the internet gateway so that nodes in the private subnets can pull images and reach AWS APIs; '
          + 'public IPs are not assigned on launch, and no function, node, pod or endpoint is placed in it.');
      }
    }
  }
}

function validateProps(scope: Construct, id: string, maxAzs: number, natGateways: number, cidrMask: number): void {
  const fail = (message: string) => { throw new AiGatewayValidationError(`GatewayVpc ${id}: ${message}`, scope); };
  if (!Token.isUnresolved(maxAzs) && (!Number.isInteger(maxAzs) || maxAzs < 2)) {
    fail(`maxAzs must be a whole number of at least 2 (EKS and the load balancers need two zones), received ${maxAzs}.`);
  }
  if (!Token.isUnresolved(natGateways) && (!Number.isInteger(natGateways) || natGateways < 0 || natGateways > maxAzs)) {
    fail(`natGateways must be a whole number from 0 to maxAzs (${maxAzs}), received ${natGateways}.`);
  }
  if (!Token.isUnresolved(cidrMask) && (!Number.isInteger(cidrMask) || cidrMask < 16 || cidrMask > 28)) {
    fail(`privateSubnetCidrMask must be a whole number from 16 to 28, received ${cidrMask}.`);
  }
}
