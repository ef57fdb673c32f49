import { CfnResource, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as eksv2 from 'aws-cdk-lib/aws-eks-v2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagMessageLevel, NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { field, list } from './eks-cluster-properties';
import { GatewayRule } from './gateway-rule';
import { flattenValue } from './iam-statements';

/**
 * `AiGateway-ServiceLogGroupManaged`: a resource that makes an AWS service write to CloudWatch
 * Logs has its log group in the same template, where retention, the KMS key and the removal
 * policy are set (and judged by the other packs). Otherwise the service creates the group on first
 * use, with unlimited retention and no customer key, outside every template.
 *
 * It judges:
 * - `AWS::ApiGateway::Stage` with execution logging (`MethodSettings` with `LoggingLevel` `INFO` or
 *   `ERROR`): needs a log group named `API-Gateway-Execution-Logs_<RestApiId>/<StageName>`, the
 *   group API Gateway writes execution logs to (`[Missing::ExecutionLogGroup]`);
 * - `AWS::EKS::Cluster` with control-plane logging: needs a log group named
 *   `/aws/eks/<Name>/cluster`, the group EKS writes to; a cluster without `Name` gets a generated
 *   name no template can know (`[Missing::ControlPlaneLogGroup]`);
 * - `AWS::Lambda::Function`: needs `LoggingConfig.LogGroup` naming a log group of the template (or
 *   a group of another template: a `Ref` to a parameter or an `Fn::ImportValue`), or a log group
 *   named `/aws/lambda/<function name>` (`[Missing::FunctionLogGroup]`).
 *
 * Names are compared after rendering intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Join`) as text, so
 * `API-Gateway-Execution-Logs_${api.restApiId}/prod` matches the stage of that API and stage.
 */
export const serviceLogGroupManaged: GatewayRule = {
  id: 'ServiceLogGroupManaged',
  info: 'A resource makes an AWS service write logs to a CloudWatch Logs group that no template creates (API Gateway execution logs, EKS control-plane logs or Lambda function logs).',
  explanation: 'API Gateway, EKS and Lambda create their log groups on first use with unlimited retention and without a customer '
    + 'managed key, outside every template the compliance packs see, so the logs escape the retention and encryption policy. '
    + 'Create the group in the template first, under the name the service writes to (API-Gateway-Execution-Logs_<rest api id>/<stage>, '
    + '/aws/eks/<cluster>/cluster, /aws/lambda/<function>) or, for Lambda, set LoggingConfig.LogGroup (the logGroup prop), and make the '
    + 'resource depend on it.',
  level: NagMessageLevel.ERROR,
  check(node: CfnResource): NagRuleResult {
    if (node instanceof apigateway.CfnStage) return checkStage(node);
    if (node instanceof eks.CfnCluster || node instanceof eksv2.CfnCluster) return checkCluster(node);
    if (node instanceof lambda.CfnFunction) return checkFunction(node);
    return NagRuleCompliance.NOT_APPLICABLE;
  },
};

function checkStage(stage: apigateway.CfnStage): NagRuleResult {
  const stack = Stack.of(stage);
  const levels = list(stack.resolve(stage.methodSettings)).map((s) => flattenValue(field(s, 'loggingLevel')).toUpperCase());
  if (!levels.some((level) => level === 'INFO' || level === 'ERROR')) return NagRuleCompliance.NOT_APPLICABLE;
  const name = `API-Gateway-Execution-Logs_${flattenValue(stack.resolve(stage.restApiId))}/${flattenValue(stack.resolve(stage.stageName))}`;
  return logGroupNames(stack).has(name) ? [] : ['Missing::ExecutionLogGroup'];
}

function checkCluster(cluster: eks.CfnCluster | eksv2.CfnCluster): NagRuleResult {
  const stack = Stack.of(cluster);
  const enabled = list(field(field(stack.resolve(cluster.logging), 'clusterLogging'), 'enabledTypes'));
  if (enabled.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
  const clusterName = stack.resolve(cluster.name);
  if (clusterName === undefined) return ['Missing::ControlPlaneLogGroup'];
  return logGroupNames(stack).has(`/aws/eks/${flattenValue(clusterName)}/cluster`) ? [] : ['Missing::ControlPlaneLogGroup'];
}

function checkFunction(fn: lambda.CfnFunction): NagRuleResult {
  const stack = Stack.of(fn);
  const target = field(stack.resolve(fn.loggingConfig), 'logGroup');
  const names = logGroupNames(stack);
  if (target !== undefined) {
    // A Ref to a log group of this template, or to a parameter: a group created here or given by the deployer.
    if (isIntrinsic(target, 'Ref') || isIntrinsic(target, 'Fn::ImportValue')) return [];
    return names.has(flattenValue(target)) ? [] : ['Missing::FunctionLogGroup'];
  }
  const functionName = stack.resolve(fn.functionName) ?? { Ref: stack.getLogicalId(fn) };
  return names.has(`/aws/lambda/${flattenValue(functionName)}`) ? [] : ['Missing::FunctionLogGroup'];
}

function isIntrinsic(value: unknown, name: string): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && name in value;
}

/** The names of the log groups of the stack, rendered with `flattenValue`. */
function logGroupNames(stack: Stack): Set<string> {
  const names = new Set<string>();
  for (const c of stack.node.findAll()) {
    if (!(c instanceof logs.CfnLogGroup) || Stack.of(c) !== stack) continue;
    const name = stack.resolve(c.logGroupName);
    if (name !== undefined) names.add(flattenValue(name));
  }
  return names;
}
