import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { GatewayObservability, GatewayObservabilityProps } from '../../lib';

export const ROUTES = ['support-summary', 'classify'];
export const TENANTS = ['acme', 'globex'];
export const FUNCTION_NAME = 'gateway-router';
export const LOG_GROUP_NAME = '/aws/lambda/gateway-router';

export interface ObservabilityFixture {
  readonly stack: Stack;
  readonly observability: GatewayObservability;
}

/**
 * A stack with a GatewayObservability over an imported router function and log group, so the
 * template holds only what the observability construct creates.
 */
export function observabilityStack(
  props: Partial<Omit<GatewayObservabilityProps, 'routerFunction' | 'routerLogGroup'>> = {},
  app: App = new App(),
  extend?: (stack: Stack) => Partial<GatewayObservabilityProps>,
): ObservabilityFixture {
  const stack = new Stack(app, 'Observed', { env: { account: '111111111111', region: 'eu-west-1' } });
  const routerFunction = lambda.Function.fromFunctionAttributes(stack, 'Router', {
    functionArn: `arn:aws:lambda:eu-west-1:111111111111:function:${FUNCTION_NAME}`,
    sameEnvironment: true,
  });
  const routerLogGroup = logs.LogGroup.fromLogGroupName(stack, 'RouterLogs', LOG_GROUP_NAME);
  const observability = new GatewayObservability(stack, 'Observability', {
    routerFunction,
    routerLogGroup,
    routes: ROUTES,
    tenants: TENANTS,
    ...props,
    ...extend?.(stack),
  });
  return { stack, observability };
}
