/**
 * The Lambda runtime of the pre-bundled handlers follows the installed aws-cdk-lib: the newest
 * Node.js runtime it lists, as cdk-nag's latest-runtime rules demand. And the one function whose
 * runtime aws-cdk-lib sets (the aws-eks-v2 custom resource framework) is acknowledged for those
 * rules only while it lags behind, with both runtimes named.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { GatewayCompliance, SelfHostedCluster } from '../../lib';
import { BUNDLED_RUNTIME, newestNodeRuntime } from '../../lib/private/assets';

const FRAMEWORK = /KubectlProvider\/Provider\/framework-onEvent\/Resource$/;
const LATEST_RUNTIME_RULES = ['AwsSolutions-L1', 'Serverless-LambdaLatestVersion'];

function frameworkRuntimeAcknowledgments(): { findingId: string; reason: string }[] {
  const stack = new Stack(new App(), 'Models', { env: { region: 'us-east-1' } });
  new SelfHostedCluster(stack, 'Models');
  return GatewayCompliance.reviewAcknowledgments(stack)
    .filter((a) => FRAMEWORK.test(a.constructPath) && LATEST_RUNTIME_RULES.includes(a.findingId));
}

describe('newestNodeRuntime', () => {
  test('picks the highest nodejs<major>.x, by number, skipping other families and variable runtimes', () => {
    // Not `new lambda.Runtime(...)`, which would add it to lambda.Runtime.ALL for the whole file.
    const nodejs100 = { ...lambda.Runtime.NODEJS_24_X, name: 'nodejs100.x' } as lambda.Runtime;
    expect(newestNodeRuntime([lambda.Runtime.NODEJS_22_X, nodejs100, lambda.Runtime.NODEJS_24_X])).toBe(nodejs100);
    expect(newestNodeRuntime([lambda.Runtime.NODEJS_24_X, lambda.Runtime.PYTHON_3_13, lambda.Runtime.NODEJS_LATEST])).toBe(lambda.Runtime.NODEJS_24_X);
  });

  test('throws, naming what it looked for, when the list has no Node.js runtime', () => {
    expect(() => newestNodeRuntime([lambda.Runtime.PYTHON_3_13])).toThrow(/no Node\.js Lambda runtime \(nodejs<major>\.x\)/);
  });

  test('the bundled handlers run on the newest NODEJS_<major>_X that the installed aws-cdk-lib declares', () => {
    const dts = readFileSync(join(require.resolve('aws-cdk-lib/package.json'), '..', 'aws-lambda', 'lib', 'runtime.d.ts'), 'utf8');
    const newest = Math.max(...[...dts.matchAll(/static readonly NODEJS_(\d+)_X: Runtime;/g)].map((m) => Number(m[1])));
    expect(BUNDLED_RUNTIME.name).toBe(`nodejs${newest}.x`);
  });
});

describe('the aws-eks-v2 provider framework function', () => {
  test('has no latest-runtime acknowledgment while aws-cdk-lib gives it the newest Node.js runtime', () => {
    expect(frameworkRuntimeAcknowledgments()).toEqual([]);
  });

  test('is acknowledged for both latest-runtime rules, naming its runtime and the newer one, once aws-cdk-lib lists a newer runtime', () => {
    // What an aws-cdk-lib release that adds a runtime before updating its Region facts looks like
    // (2.278.0: NODEJS_26_X listed, the framework still on nodejs24.x). Registered last in this file:
    // a Runtime joins lambda.Runtime.ALL for good.
    new lambda.Runtime('nodejs99.x', lambda.RuntimeFamily.NODEJS);
    const acks = frameworkRuntimeAcknowledgments();
    expect(acks.map((a) => a.findingId).sort()).toEqual(LATEST_RUNTIME_RULES);
    for (const ack of acks) {
      expect(ack.reason).toContain('(nodejs24.x, from lambda.determineLatestNodeRuntime');
      expect(ack.reason).toContain('already lists nodejs99.x');
    }
  });
});
