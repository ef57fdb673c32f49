import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { acknowledgeAwsCustomResourceFunction } from './function-compliance';
import { FunctionExecutionRole, shareWithAwsCustomResourceFunction } from './function-role';
import { encryptedLogGroup } from './kms';
import { GatewayEgressRule } from '../gateway/gateway-egress';
import { ISelfHostedTarget } from '../selfhosted/self-hosted-target';

/** Where the router and the authorizer may connect to (internal). */
export interface GatewayEgressOptions {
  /** The security group of the gateway's interface endpoints, when the gateway created them. */
  readonly endpointSecurityGroup?: ec2.ISecurityGroup;
  /**
   * The AWS-managed prefix list of the DynamoDB gateway endpoint; looked up at deploy time (one
   * custom resource per stack, see {@link dynamoDbPrefixListLookup}) when absent.
   */
  readonly dynamoDbPrefixListId?: string;
  /** The log settings of the lookup's function (key, retention, removal policy). */
  readonly lookupLogs: PrefixListLookupLogs;
  /** The self-hosted models the router calls. */
  readonly selfHostedTargets: ISelfHostedTarget[];
  /** Named external endpoints (router only). */
  readonly external: GatewayEgressRule[];
  /**
   * The router (and the workers that share its network) reaches S3 through its gateway endpoint:
   * the batch route's bucket. @default false
   */
  readonly s3?: boolean;
}

/**
 * The security group a standalone router or authorizer creates in a VPC when it is given none: no
 * ingress, and HTTPS (TCP 443) to any IPv4 address as its only outbound rule (the AWS APIs through
 * the VPC's endpoints or a NAT); the owner adds what else a route needs.
 */
export function httpsOnlySecurityGroup(scope: Construct, vpc: ec2.IVpc, who: string, reaches: string): ec2.SecurityGroup {
  const securityGroup = new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc,
    description: `cdk-ai-gateway ${who}: no ingress; egress to ${reaches}`,
    allowAllOutbound: false,
  });
  securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), `${who}: HTTPS to ${reaches}`);
  return securityGroup;
}

/**
 * The outbound rules of the router's and the authorizer's security groups (both created with
 * `allowAllOutbound: false`):
 * - HTTPS to the security group of the gateway's interface endpoints (Bedrock Runtime, AppConfig
 *   Data, CloudWatch Logs, X-Ray);
 * - HTTPS to DynamoDB through its gateway endpoint: its AWS-managed prefix list, by the id given or
 *   else resolved at deploy time (the id is Region-specific and has no CloudFormation attribute);
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
    const prefixListId = options.dynamoDbPrefixListId ?? dynamoDbPrefixListLookup(scope, options.lookupLogs);
    sg.addEgressRule(ec2.Peer.prefixList(prefixListId), https, `${who}: HTTPS to DynamoDB through its gateway endpoint`);
  }
  if (options.endpointSecurityGroup && options.s3) {
    router.addEgressRule(ec2.Peer.prefixList(managedPrefixListId(scope, 's3', options.lookupLogs)), https, 'router: HTTPS to S3 through its gateway endpoint (batch files)');
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

/** The log settings of the prefix list lookup's function. */
export interface PrefixListLookupLogs {
  /** Encrypts its log group; a new key when absent. */
  readonly key?: kms.IKey;
  readonly retention?: logs.RetentionDays;
  readonly removalPolicy?: RemovalPolicy;
}

/** The construct id, under the stack, of the DynamoDB prefix list lookup (one per stack). */
const LOOKUP_ID = 'CdkAiGatewayDynamoDbPrefixList';
/** The response field that holds the prefix list id. */
const PREFIX_LIST_ID_PATH = 'PrefixLists.0.PrefixListId';

/**
 * The id of the Region's AWS-managed DynamoDB prefix list (`com.amazonaws.<region>.dynamodb`),
 * resolved at deploy time: CloudFormation has no attribute for it. One `AwsCustomResource` per
 * stack calls EC2 `DescribeManagedPrefixLists` with a `prefix-list-name` filter, with the SDK of
 * the Lambda runtime (`installLatestAwsSdk` off: the action is years old). Its function has its own
 * encrypted log group and an execution role without managed AWS policies or inline policies: the
 * only permission besides its own logs is `ec2:DescribeManagedPrefixLists`, in this Region.
 * A deployment fails when the Region has no such prefix list.
 */
export function dynamoDbPrefixListLookup(scope: Construct, logOptions: PrefixListLookupLogs): string {
  return managedPrefixListId(scope, 'dynamodb', logOptions);
}

/** The AWS-managed prefix lists of gateway endpoints the gateway's functions reach. */
export type GatewayEndpointService = 'dynamodb' | 's3';

/**
 * The id of the Region's AWS-managed prefix list of `service` (`com.amazonaws.<region>.<service>`),
 * resolved at deploy time like {@link dynamoDbPrefixListLookup}: one lookup construct per stack,
 * one call per service, the same function, role and policy.
 */
export function managedPrefixListId(scope: Construct, service: GatewayEndpointService, logOptions: PrefixListLookupLogs): string {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(LOOKUP_ID);
  const lookups = existing instanceof DynamoDbPrefixListLookup ? existing : new DynamoDbPrefixListLookup(stack, LOOKUP_ID, logOptions);
  return lookups.prefixListId(service);
}

/** Each service's lookup: DynamoDB's keeps the id and type it always had. */
const LOOKUPS: Readonly<Record<GatewayEndpointService, { readonly id: string; readonly resourceType: string }>> = {
  dynamodb: { id: 'Lookup', resourceType: 'Custom::DynamoDbPrefixList' },
  s3: { id: 'S3Lookup', resourceType: 'Custom::S3PrefixList' },
};

class DynamoDbPrefixListLookup extends Construct {
  private readonly ids = new Map<GatewayEndpointService, string>();
  private readonly role: FunctionExecutionRole;
  private readonly policy: iam.ManagedPolicy;
  private readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, logOptions: PrefixListLookupLogs) {
    super(scope, id);
    const stack = Stack.of(this);
    const purpose = 'the DynamoDB prefix list lookup of cdk-ai-gateway';
    const { logGroup } = encryptedLogGroup(this, 'LogGroup', {
      key: logOptions.key,
      purpose: `the logs of ${purpose}`,
      retention: logOptions.retention,
      removalPolicy: logOptions.removalPolicy,
    });
    const role = new FunctionExecutionRole(this, 'Role', { purpose, logGroup, tracing: false, vpc: false });
    const statement = new iam.PolicyStatement({
      sid: 'DescribeManagedPrefixLists',
      actions: ['ec2:DescribeManagedPrefixLists'],
      // The action supports no resource-level permissions: '*' is the only resource; the Region
      // condition keeps the grant to this stack's Region.
      resources: ['*'],
      conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
    });
    const policy = new iam.ManagedPolicy(this, 'DescribePolicy', {
      description: `Lets ${purpose} read the AWS-managed prefix lists of the Region`,
      statements: [statement],
    });
    role.addManagedPolicy(policy);
    GatewayCompliance.acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]',
      'ec2:DescribeManagedPrefixLists supports no resource-level permissions (the Service Authorization Reference lists no '
      + 'resource type for it), so IAM requires Resource "*". The policy holds only this read action, limited to the stack\'s '
      + 'Region with aws:RequestedRegion; the deployment uses it to find the id of the AWS-managed DynamoDB (and, with the batch route, S3) prefix list.');

    this.role = role;
    this.policy = policy;
    this.logGroup = logGroup;
  }

  /** The prefix list id of `service`, looked up once per stack. */
  public prefixListId(service: GatewayEndpointService): string {
    const known = this.ids.get(service);
    if (known !== undefined) return known;
    const stack = Stack.of(this);
    const name = `com.amazonaws.${stack.region}.${service}`;
    const call: cr.AwsSdkCall = {
      service: 'EC2',
      action: 'describeManagedPrefixLists',
      parameters: { Filters: [{ Name: 'prefix-list-name', Values: [name] }] },
      outputPaths: [PREFIX_LIST_ID_PATH],
      physicalResourceId: cr.PhysicalResourceId.fromResponse(PREFIX_LIST_ID_PATH),
    };
    const lookup = new cr.AwsCustomResource(this, LOOKUPS[service].id, {
      resourceType: LOOKUPS[service].resourceType,
      onUpdate: call,
      role: this.role,
      logGroup: this.logGroup,
      memorySize: 256,
      installLatestAwsSdk: false,
    });
    shareWithAwsCustomResourceFunction(lookup, this.role, this.policy);
    lookup.node.addDependency(this.policy);
    const id = lookup.getResponseField(PREFIX_LIST_ID_PATH);
    if (this.ids.size === 0) acknowledgeAwsCustomResourceFunction(stack);
    this.ids.set(service, id);
    return id;
  }
}
