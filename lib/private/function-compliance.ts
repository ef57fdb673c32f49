import { Reference, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { IConstruct } from 'constructs';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { flattenValue } from '../compliance/rules/iam-statements';
import { newestNodeRuntime } from './assets';
import { ManagedPolicyRole } from './managed-policy-role';

/** What a function that API Gateway invokes synchronously does, for the reasons of its acknowledgments. */
export interface SynchronousFunctionContext {
  /** How API Gateway invokes it: 'as the Lambda proxy integration of every route of the REST API'. */
  readonly invocation: string;
  /** The AWS APIs it calls: 'Amazon DynamoDB (GetItem on the tenant-key table)'. */
  readonly awsApis: string;
  /**
   * Acknowledge the findings that ask for a VPC: true only when the function runs outside a VPC
   * and calls nothing but `awsApis` (in a VPC they do not arise; a function outside a VPC that
   * calls other endpoints keeps them open).
   */
  readonly acknowledgeOutsideVpc: boolean;
  /** The prop that places it in a VPC. */
  readonly vpcProp: string;
  /** Reserved concurrency is set (then the concurrency findings do not arise). */
  readonly reservedConcurrency: boolean;
  /** The prop that sets reserved concurrency. */
  readonly concurrencyProp: string;
  /** What limits its load without reserved concurrency. */
  readonly loadLimits: string;
}

/**
 * Acknowledges, on the function's `AWS::Lambda::Function` resource, the findings that do not fit a
 * function invoked synchronously by API Gateway, each only while the props that cause it hold:
 *
 * - dead-letter queue (NIST 800-53 R5, HIPAA, Serverless): DLQs take failed asynchronous invocations only;
 * - reserved concurrency (NIST 800-53 R5, HIPAA): a prop without a default that suits every account;
 * - not in a VPC (NIST 800-53 R5, HIPAA, PCI DSS, Control Tower CT.LAMBDA.PR.3), when the function
 *   calls only AWS APIs; the `vpc` prop places it in a VPC.
 */
export function acknowledgeSynchronousFunctionFindings(fn: lambda.Function, context: SynchronousFunctionContext): void {
  const resource = fn.node.defaultChild as lambda.CfnFunction;
  const dlq = `The function is invoked synchronously, only by API Gateway ${context.invocation}: a failed invocation returns `
    + 'its error to API Gateway, which answers the client at once and records the failure in the stage access and execution '
    + 'logs and in the function log group. Lambda sends only failed asynchronous invocations to a dead-letter queue, so '
    + 'a queue here would never receive a message.';
  for (const id of ['NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ', 'Serverless-LambdaDLQ']) {
    GatewayCompliance.acknowledge(resource, id, dlq);
  }

  if (!context.reservedConcurrency) {
    const concurrency = `Reserved concurrency is the ${context.concurrencyProp} prop, unset by default because no value suits every `
      + 'account: a reservation takes executions from the account unreserved pool (Lambda refuses one that leaves fewer than '
      + `100 unreserved), and a cap set too low turns traffic bursts into errors. ${context.loadLimits}`;
    for (const id of ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency']) {
      GatewayCompliance.acknowledge(resource, id, concurrency);
    }
  }

  if (context.acknowledgeOutsideVpc) {
    acknowledgeOutsideVpc(resource, `The function runs outside a VPC because the ${context.vpcProp} prop is unset: it calls only ${context.awsApis} `
      + 'over their TLS endpoints, every request signed with SigV4 and authorized by its execution role, and reaches no '
      + `private network resource. Setting ${context.vpcProp} places it in private subnets of your VPC (self-hosted model targets need that).`);
  }
  acknowledgeImportedSubnets(fn);
}

/** What a custom resource function does, for the reasons of its acknowledgments. */
export interface CustomResourceFunctionContext {
  /** When and how CloudFormation invokes it: 'once per create, update or delete of the … custom resource'. */
  readonly invocation: string;
  /**
   * Why it needs no VPC, when it runs outside one: what it calls and what it handles. The findings
   * that ask for a VPC are acknowledged only when this is given.
   */
  readonly outsideVpc?: string;
}

/**
 * Acknowledges, on a function that only CloudFormation invokes (a custom resource handler or
 * provider framework function), the findings that do not fit a deployment-time function: the
 * dead-letter queue (NIST 800-53 R5, HIPAA, Serverless), reserved concurrency (NIST, HIPAA), X-Ray
 * tracing (Serverless), and, with `outsideVpc`, the VPC findings (NIST, HIPAA, PCI DSS, Control
 * Tower CT.LAMBDA.PR.3).
 */
export function acknowledgeCustomResourceFunctionFindings(fn: lambda.CfnFunction, context: CustomResourceFunctionContext): void {
  const invoked = `The function is invoked only by CloudFormation, ${context.invocation}`;
  const dlq = `${invoked}. Every outcome, failures included, reaches CloudFormation, which fails the stack operation and records `
    + 'the error in the stack events, and the function log group; a dead-letter queue would hold only events CloudFormation has '
    + 'already given up on, with nothing to replay them into.';
  for (const id of ['NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ', 'Serverless-LambdaDLQ']) GatewayCompliance.acknowledge(fn, id, dlq);
  const concurrency = `${invoked}, so its concurrency is bounded by the resources one deployment changes; a reservation would take `
    + 'executions from the account unreserved pool and fails deployments in accounts at the minimum unreserved concurrency.';
  for (const id of ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency']) GatewayCompliance.acknowledge(fn, id, concurrency);
  GatewayCompliance.acknowledge(fn, 'Serverless-LambdaTracing', `${invoked}; it serves no request path to trace, and each invocation `
    + 'is recorded in its CloudWatch log group and in the CloudFormation stack events (its AWS API calls in CloudTrail).');
  if (context.outsideVpc) acknowledgeOutsideVpc(fn, `${invoked}. ${context.outsideVpc}`);
}

/** The construct id, under the stack, of the function every `AwsCustomResource` of the stack shares. */
const AWS_CUSTOM_RESOURCE_FUNCTION_ID = `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`;

/** The shared `AwsCustomResource` functions already acknowledged (each finding is acknowledged once). */
const ACKNOWLEDGED_AWS_CUSTOM_RESOURCE_FUNCTIONS = new WeakSet<lambda.CfnFunction>();

/**
 * Acknowledges, once, the custom resource function findings and the runtime lag on the function
 * every `AwsCustomResource` of the stack shares (when it exists). Every cdk-ai-gateway
 * `AwsCustomResource` makes one AWS SDK call at deployment, so one reason fits them all.
 */
export function acknowledgeAwsCustomResourceFunction(stack: Stack): void {
  const fn = stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_FUNCTION_ID)?.node.defaultChild;
  if (!(fn instanceof lambda.CfnFunction) || ACKNOWLEDGED_AWS_CUSTOM_RESOURCE_FUNCTIONS.has(fn)) return;
  ACKNOWLEDGED_AWS_CUSTOM_RESOURCE_FUNCTIONS.add(fn);
  acknowledgeCustomResourceFunctionFindings(fn, {
    invocation: 'once per create or update of an AwsCustomResource of the stack (cdk-ai-gateway uses them for the DynamoDB '
      + 'prefix list lookup and to start knowledge base ingestion jobs on deploy)',
    outsideVpc: 'It only makes the AWS SDK call of its custom resource (Amazon EC2 DescribeManagedPrefixLists, Amazon Bedrock '
      + 'StartIngestionJob) and answers the CloudFormation pre-signed response URL; it handles no application data and needs no VPC resource.',
  });
  acknowledgeLatestNodeRuntimeLag(fn, {
    subject: 'the function of AwsCustomResource (shared by every AwsCustomResource of the stack)',
    job: 'The function only makes the SDK call of its custom resource at deployment and answers CloudFormation',
  });
}

/**
 * Acknowledges on a function's resource the findings that ask for it to run in a VPC (NIST 800-53
 * R5, HIPAA, PCI DSS, Control Tower CT.LAMBDA.PR.3), with `reason`: why this function needs none.
 */
export function acknowledgeOutsideVpc(resource: IConstruct, reason: string): void {
  for (const id of ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC', 'CT.LAMBDA.PR.3']) {
    GatewayCompliance.acknowledge(resource, id, reason);
  }
}

/** A function whose runtime aws-cdk-lib chooses, for the reason of {@link acknowledgeLatestNodeRuntimeLag}. */
export interface RuntimeLagContext {
  /** Which function: 'the aws-eks-v2 custom resource framework function'. */
  readonly subject: string;
  /** What it does, as a sentence without the final period: 'The function only relays CloudFormation events to …'. */
  readonly job: string;
}

/**
 * aws-cdk-lib gives some of its own functions (custom resource framework and `AwsCustomResource`
 * functions) the Node.js runtime that its Region facts name as the latest
 * (`determineLatestNodeRuntime`), which can lag behind the newest runtime the same aws-cdk-lib
 * lists (2.278.0 lists nodejs26.x and still names nodejs24.x), and offers no way to choose it.
 * Acknowledges the two latest-runtime findings only when that is the case, with the runtime it has
 * and the one the rules want.
 */
export function acknowledgeLatestNodeRuntimeLag(fn: lambda.CfnFunction, context: RuntimeLagContext): void {
  const newest = newestNodeRuntime().name;
  const runtime: unknown = Stack.of(fn).resolve(fn.runtime);
  if (runtime === newest) return;
  const has = typeof runtime === 'string' ? runtime : 'the latest Node.js runtime of the stack\'s Region facts';
  const reason = `aws-cdk-lib sets the runtime of ${context.subject} itself (${has}, from `
    + 'lambda.determineLatestNodeRuntime and its Region facts) and offers no property to change it, while the installed '
    + `aws-cdk-lib already lists ${newest}. ${context.job}; it moves to the newer runtime when an aws-cdk-lib release updates its Region facts.`;
  GatewayCompliance.acknowledge(fn, 'AwsSolutions-L1', reason);
  GatewayCompliance.acknowledge(fn, 'Serverless-LambdaLatestVersion', reason);
}

/**
 * Control Tower CT.LAMBDA.PR.3 accepts only literal subnet ids or references to subnets of the
 * same template. A function in a VPC that another stack owns names its subnets with
 * `Fn::ImportValue` (or a parameter), which the rule cannot resolve: acknowledged on `fn` only in
 * that case, naming the stack that owns the subnets when it is in the app. Call it once the
 * function's `VpcConfig` is set; a function outside a VPC, or in subnets of its own stack, keeps
 * the rule.
 *
 * @param fn the function, or its `AWS::Lambda::Function` resource (for functions aws-cdk-lib builds)
 * @returns whether the finding was acknowledged
 */
export function acknowledgeImportedSubnets(fn: lambda.IFunction | lambda.CfnFunction): boolean {
  const resource = fn instanceof lambda.CfnFunction ? fn : fn.node.defaultChild;
  if (!(resource instanceof lambda.CfnFunction)) return false;
  const stack = Stack.of(resource);
  const config = resource.vpcConfig;
  if (!config || Token.isUnresolved(config)) return false;
  const subnetIds = (config as lambda.CfnFunction.VpcConfigProperty).subnetIds ?? [];
  const owners = new Set<string>();
  let foreign = false;
  for (const id of subnetIds) {
    if (!Token.isUnresolved(id)) continue;
    const token = Tokenization.reverseString(id).firstToken;
    const owner = token instanceof Reference ? Stack.of(token.target) : undefined;
    if (owner === stack) continue;
    foreign = true;
    if (owner) owners.add(owner.stackName);
  }
  if (!foreign) return false;
  const where = owners.size ? `of stack ${[...owners].join(', ')}` : 'that this template imports';
  GatewayCompliance.acknowledge(resource, 'CT.LAMBDA.PR.3',
    `The function runs in the VPC ${where}: its VpcConfig names that VPC's private subnets, imported with Fn::ImportValue `
    + '(or a parameter), and its own security group. The Control Tower rule accepts only literal subnet ids or references to '
    + 'subnets in the same template, so it cannot see imported ones; NIST, HIPAA and PCI DSS LambdaInsideVPC pass on the same function.');
  return true;
}

/** Permissions already handled, so that calling {@link restrictApiGatewayInvokePermissions} again is harmless. */
const HANDLED = new WeakSet<lambda.CfnPermission>();

/**
 * The Lambda permissions under `scope` that let API Gateway invoke `fn`, restricted for Control
 * Tower CT.LAMBDA.PR.2 (function policies prohibit public access). aws-cdk-lib already scopes each
 * of them with `SourceArn`, but builds that ARN with `Fn::Join`, which the control cannot evaluate:
 *
 * - when the stack's account is known at synth, `SourceAccount` is set to it, which satisfies the
 *   control (and adds a second condition);
 * - otherwise the finding is acknowledged on the permission, with the reason.
 *
 * Safe to call again after more methods were added: each permission is handled once.
 *
 * @param invoker what the permission is for, for the reason: 'the methods of this REST API'
 */
export function restrictApiGatewayInvokePermissions(scope: IConstruct, fn: lambda.IFunction, invoker: string): void {
  const stack = Stack.of(scope);
  const target = JSON.stringify(stack.resolve(fn.functionArn));
  for (const node of scope.node.findAll()) {
    if (!(node instanceof lambda.CfnPermission) || HANDLED.has(node)) continue;
    if (node.principal !== 'apigateway.amazonaws.com' || JSON.stringify(stack.resolve(node.functionName)) !== target) continue;
    HANDLED.add(node);
    if (node.sourceAccount !== undefined) continue;
    if (!Token.isUnresolved(stack.account)) {
      node.sourceAccount = stack.account;
      continue;
    }
    GatewayCompliance.acknowledge(node, 'CT.LAMBDA.PR.2',
      `API Gateway (apigateway.amazonaws.com) may invoke this function only for ${invoker}: SourceArn names that execute-api `
      + 'ARN (partition, Region, account, API id), so no other API or account can use the permission. CT.LAMBDA.PR.2 accepts '
      + 'only a literal SourceArn or SourceAccount, and this stack has no account at synth, so both are resolved at '
      + 'deployment. Give the stack an explicit account (env) and SourceAccount is set, which satisfies the control.');
  }
}

/** A foundation model ARN whose only wildcard is the Region, as cdk-nag renders it. */
const ANY_REGION_MODEL_ARN = /^arn:(?:<AWS::Partition>|aws[a-z-]*):bedrock:\*::foundation-model\/[^*?]+$/;

/**
 * Acknowledges AwsSolutions-IAM5 for each foundation model ARN with a Region wildcard
 * (`arn:<partition>:bedrock:*::foundation-model/<model id>`) that `grant` gave a role of the library
 * (a `ManagedPolicyRole`: a function's execution role, a service role), on the policy that holds it: exactly those finding ids, never IAM5 as a whole,
 * so any other wildcard still surfaces. A grant without such ARNs acknowledges nothing.
 *
 * @returns the finding ids acknowledged
 */
export function acknowledgeCrossRegionModelArns(grant: iam.Grant, grantee: iam.IGrantable): string[] {
  const role = grantee.grantPrincipal;
  if (!(role instanceof ManagedPolicyRole)) return [];
  const stack = Stack.of(role);
  const ids = new Set<string>();
  for (const statement of grant.principalStatements) {
    for (const resource of statement.resources) {
      const flat = flattenValue(stack.resolve(resource));
      if (ANY_REGION_MODEL_ARN.test(flat)) ids.add(`AwsSolutions-IAM5[Resource::${flat}]`);
    }
  }
  // A role granted twice on the same models (invocation, then batch jobs) holds the finding once.
  const already = new Set(GatewayCompliance.reviewAcknowledgments(role.grantsPolicy).map((a) => a.findingId));
  const added = [...ids].filter((id) => !already.has(id));
  for (const id of added) {
    GatewayCompliance.acknowledge(role.grantsPolicy, id,
      'A cross-Region inference profile routes each request to this foundation model in any Region of its geography, and '
      + 'Bedrock authorizes the call against the model ARN of the Region that serves it; AWS documents this ARN, with the '
      + 'Region as the only wildcard and the model id named, for cross-Region inference. The grant names this one model, '
      + 'and the same statement names the tenant application inference profiles the role uses.');
  }
  return added;
}
