import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagRuleCompliance } from 'cdk-nag';
import { AiGatewayChecks } from '../../../lib';
import { serviceLogGroupManaged } from '../../../lib/compliance/rules/service-log-group-managed';

const RULE = 'AiGateway-ServiceLogGroupManaged';
const newStack = () => new Stack(new App(), 'S');

function restApi(stack: Stack, loggingLevel: apigateway.MethodLoggingLevel): apigateway.RestApi {
  const api = new apigateway.RestApi(stack, 'Api', { cloudWatchRole: false, deployOptions: { stageName: 'prod', loggingLevel } });
  api.root.addMethod('GET', new apigateway.MockIntegration());
  return api;
}
const stageOf = (api: apigateway.RestApi) => api.deploymentStage.node.defaultChild as CfnResource;

function cluster(stack: Stack, name?: string, logging = true): eks.CfnCluster {
  return new eks.CfnCluster(stack, 'Cluster', {
    name,
    roleArn: 'arn:aws:iam::111122223333:role/eks',
    resourcesVpcConfig: { subnetIds: ['subnet-1'] },
    logging: logging ? { clusterLogging: { enabledTypes: [{ type: 'audit' }] } } : undefined,
  });
}

function fn(stack: Stack, props: Partial<lambda.FunctionProps> = {}): lambda.Function {
  return new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'), ...props,
  });
}
const cfnOf = (f: lambda.Function) => f.node.defaultChild as CfnResource;

const ruleFindings = (scope: Stack) => new AiGatewayChecks().validateScope(scope).violations
  .filter((v) => v.ruleName.startsWith(RULE)).map((v) => v.ruleName).sort();

describe(`${RULE}: API Gateway execution logs`, () => {
  test('compliant: a log group named API-Gateway-Execution-Logs_<api id>/<stage>', () => {
    const stack = newStack();
    const api = restApi(stack, apigateway.MethodLoggingLevel.ERROR);
    new logs.LogGroup(stack, 'Exec', { logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/prod` });
    expect(serviceLogGroupManaged.check(stageOf(api))).toEqual([]);
    expect(ruleFindings(stack)).toEqual([]);
  });

  test('non-compliant: execution logging on and no group', () => {
    const stack = newStack();
    const api = restApi(stack, apigateway.MethodLoggingLevel.INFO);
    expect(serviceLogGroupManaged.check(stageOf(api))).toEqual(['Missing::ExecutionLogGroup']);
    expect(ruleFindings(stack)).toEqual([`${RULE}[Missing::ExecutionLogGroup]`]);
  });

  test('non-compliant: a group for another stage name does not count', () => {
    const stack = newStack();
    const api = restApi(stack, apigateway.MethodLoggingLevel.ERROR);
    new logs.LogGroup(stack, 'Exec', { logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/dev` });
    expect(serviceLogGroupManaged.check(stageOf(api))).toEqual(['Missing::ExecutionLogGroup']);
  });

  test('execution logging off: not judged', () => {
    const api = restApi(newStack(), apigateway.MethodLoggingLevel.OFF);
    expect(serviceLogGroupManaged.check(stageOf(api))).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});

describe(`${RULE}: EKS control-plane logs`, () => {
  test('compliant: a log group named /aws/eks/<name>/cluster', () => {
    const stack = newStack();
    const c = cluster(stack, 'models');
    new logs.LogGroup(stack, 'ControlPlane', { logGroupName: '/aws/eks/models/cluster' });
    expect(serviceLogGroupManaged.check(c)).toEqual([]);
  });

  test('non-compliant: no group, a group of another cluster, or a cluster without a name', () => {
    const stack = newStack();
    const c = cluster(stack, 'models');
    expect(serviceLogGroupManaged.check(c)).toEqual(['Missing::ControlPlaneLogGroup']);
    new logs.LogGroup(stack, 'Other', { logGroupName: '/aws/eks/other/cluster' });
    expect(serviceLogGroupManaged.check(c)).toEqual(['Missing::ControlPlaneLogGroup']);
    expect(serviceLogGroupManaged.check(cluster(newStack()))).toEqual(['Missing::ControlPlaneLogGroup']);
  });

  test('control-plane logging off: not judged', () => {
    expect(serviceLogGroupManaged.check(cluster(newStack(), 'models', false))).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});

describe(`${RULE}: Lambda function logs`, () => {
  test('compliant: the logGroup prop (LoggingConfig.LogGroup)', () => {
    const stack = newStack();
    const f = fn(stack, { logGroup: new logs.LogGroup(stack, 'Logs') });
    expect(serviceLogGroupManaged.check(cfnOf(f))).toEqual([]);
  });

  test('compliant: a log group pre-created as /aws/lambda/<function name>', () => {
    const stack = newStack();
    const f = fn(stack);
    new logs.LogGroup(stack, 'Logs', { logGroupName: `/aws/lambda/${f.functionName}` });
    expect(serviceLogGroupManaged.check(cfnOf(f))).toEqual([]);
    const named = newStack();
    const g = fn(named, { functionName: 'router' });
    new logs.LogGroup(named, 'Logs', { logGroupName: '/aws/lambda/router' });
    expect(serviceLogGroupManaged.check(cfnOf(g))).toEqual([]);
  });

  test('compliant: a log group literal name that the template creates', () => {
    const stack = newStack();
    new logs.LogGroup(stack, 'Logs', { logGroupName: 'shared-functions' });
    const f = fn(stack);
    (f.node.defaultChild as lambda.CfnFunction).loggingConfig = { logGroup: 'shared-functions' };
    expect(serviceLogGroupManaged.check(cfnOf(f))).toEqual([]);
  });

  test('non-compliant: no log group, or a named group no template creates', () => {
    const stack = newStack();
    const f = fn(stack);
    expect(serviceLogGroupManaged.check(cfnOf(f))).toEqual(['Missing::FunctionLogGroup']);
    expect(ruleFindings(stack)).toEqual([`${RULE}[Missing::FunctionLogGroup]`]);
    (f.node.defaultChild as lambda.CfnFunction).loggingConfig = { logFormat: 'JSON', logGroup: 'nobody-creates-this' };
    expect(serviceLogGroupManaged.check(cfnOf(f))).toEqual(['Missing::FunctionLogGroup']);
  });

  test('non-compliant: a group named after another function', () => {
    const stack = newStack();
    const f = fn(stack, { functionName: 'router' });
    new logs.LogGroup(stack, 'Logs', { logGroupName: '/aws/lambda/authorizer' });
    expect(serviceLogGroupManaged.check(cfnOf(f))).toEqual(['Missing::FunctionLogGroup']);
  });

  test('other resources are not judged', () => {
    expect(serviceLogGroupManaged.check(new CfnResource(newStack(), 'Q', { type: 'AWS::SQS::Queue' }))).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});
