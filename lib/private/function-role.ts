import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { ManagedPolicyRole } from './managed-policy-role';
import { AiGatewayValidationError } from './errors';

/** Options of a {@link FunctionExecutionRole}. */
export interface FunctionExecutionRoleProps {
  /** What the function does, for the descriptions of the role and its policies. */
  readonly purpose: string;
  /** The function's own log group: the only log group the role may write to. */
  readonly logGroup: logs.ILogGroup;
  /** The function traces to AWS X-Ray (tracing active or pass-through). */
  readonly tracing: boolean;
  /** The function runs in a VPC: Lambda manages its network interfaces with this role. */
  readonly vpc: boolean;
  /**
   * The function also sends its own spans to X-Ray's OTLP endpoint (`xray:PutSpans`,
   * `xray:PutSpansForIndexing`), in the tracing policy. @default false
   */
  readonly spans?: boolean;
}

/** The X-Ray write actions of OTLP span export (X-Ray's OTLP endpoint, CloudWatch Transaction Search). */
const XRAY_SPAN_ACTIONS = ['xray:PutSpans', 'xray:PutSpansForIndexing'];

/** The two X-Ray write actions Lambda's active tracing needs (what `lambda.Function` grants for `tracing`). */
const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

/**
 * The network interface actions Lambda performs with the execution role to attach a function to a
 * VPC: the EC2 actions of the AWS managed `AWSLambdaVPCAccessExecutionRole` (v3), without its
 * `logs:*` on every log group.
 */
const NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/**
 * The execution role of a Lambda function of this library: no AWS managed policy (AwsSolutions-IAM4)
 * and no inline policy (NIST 800-53 / HIPAA / PCI DSS `IAMNoInlinePolicy`). Its permissions are
 * customer-managed policies attached through the role's `ManagedPolicyArns`, so the role never
 * exists without them:
 *
 * - `grantsPolicy`: write to the function's own log group (`logs:CreateLogStream`,
 *   `logs:PutLogEvents` on that log group only), plus every statement granted to the role later
 *   (`grant*` methods and `addToPrincipalPolicy` land here instead of an inline default policy);
 * - `TracingPolicy`, with tracing: the X-Ray write actions, which have no resource-level permissions
 *   and so need `Resource: "*"`. The finding is acknowledged on that policy only, so a wildcard
 *   granted later for anything else still surfaces;
 * - `NetworkInterfacesPolicy`, in a VPC: the network interface actions Lambda uses to place the
 *   function in the VPC, likewise acknowledged on that policy only.
 */
export class FunctionExecutionRole extends ManagedPolicyRole {
  private readonly tracingPolicy?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: FunctionExecutionRoleProps) {
    super(scope, id, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.purpose}`,
      policyDescription: `Permissions of ${props.purpose}`,
    });
    this.grantsPolicy.addStatements(new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      // The log group's ARN attribute ends in ':*', which covers its log streams and nothing else.
      resources: [props.logGroup.logGroupArn],
    }));

    if (props.tracing || props.spans) {
      const statements = props.tracing ? [new iam.PolicyStatement({ sid: 'WriteTraces', actions: XRAY_ACTIONS, resources: ['*'] })] : [];
      if (props.spans) statements.push(new iam.PolicyStatement({ sid: 'WriteSpans', actions: XRAY_SPAN_ACTIONS, resources: ['*'] }));
      this.tracingPolicy = new iam.ManagedPolicy(this, 'TracingPolicy', { description: `Lets ${props.purpose} send traces to AWS X-Ray`, statements });
      this.addManagedPolicy(this.tracingPolicy);
      const actions = statements.flatMap((s) => s.actions);
      GatewayCompliance.acknowledge(this.tracingPolicy, 'AwsSolutions-IAM5[Resource::*]',
        `${actions.join(', ')} support no resource-level permissions (the Service Authorization Reference lists no resource `
        + 'type for them), so IAM requires Resource "*". This policy holds only these X-Ray write actions, which active tracing '
        + 'and the span export of the function need; it grants no read access.');
    }
    if (props.vpc) {
      const network = new iam.ManagedPolicy(this, 'NetworkInterfacesPolicy', {
        description: `Lets Lambda attach ${props.purpose} to its VPC`,
        statements: [new iam.PolicyStatement({ sid: 'ManageVpcNetworkInterfaces', actions: NETWORK_INTERFACE_ACTIONS, resources: ['*'] })],
      });
      this.addManagedPolicy(network);
      GatewayCompliance.acknowledge(network, 'AwsSolutions-IAM5[Resource::*]',
        'Lambda creates, describes and deletes the function\'s elastic network interfaces in the VPC with its execution '
        + 'role; ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets support no resource-level permissions, and the Lambda '
        + 'developer guide requires the interface actions on all resources. This policy holds only the EC2 network interface '
        + 'actions of AWSLambdaVPCAccessExecutionRole, without its CloudWatch Logs permissions on every log group.');
    }
  }

  /**
   * Adds a statement to `grantsPolicy` (never to an inline policy). The X-Ray statement that
   * `lambda.Function` adds for tracing is already in the tracing policy and is not repeated.
   */
  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (this.tracingPolicy && isTracingStatement(statement)) {
      return { statementAdded: true, policyDependable: this.tracingPolicy };
    }
    return super.addToPrincipalPolicy(statement);
  }
}

/** Exactly the statement `lambda.Function` adds for tracing: allow the two X-Ray writes on `*`, nothing else. */
function isTracingStatement(statement: iam.PolicyStatement): boolean {
  const json = statement.toStatementJson() as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]).map(String).sort();
  return json.Effect === 'Allow'
    && Object.keys(json).every((k) => ['Effect', 'Action', 'Resource'].includes(k))
    && JSON.stringify(list(json.Action)) === JSON.stringify([...XRAY_ACTIONS].sort())
    && JSON.stringify(list(json.Resource)) === JSON.stringify(['*']);
}

/**
 * Gives the function every `AwsCustomResource` of the stack shares the permissions of `resource`:
 * when another `AwsCustomResource` created that function first, it runs with that one's role (not
 * `role`), which then gets `policy` too (a managed policy: no inline statement, its acknowledgments kept).
 */
export function shareWithAwsCustomResourceFunction(resource: cr.AwsCustomResource, role: iam.IRole, policy: iam.IManagedPolicy): void {
  const runsWith = resource.grantPrincipal;
  if (runsWith === role) return;
  if (runsWith instanceof iam.Role) runsWith.addManagedPolicy(policy);
  else throw new AiGatewayValidationError('The shared AwsCustomResource function runs with a role cdk-ai-gateway cannot add a policy to.', resource);
}
