import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildExampleApp } from '../../bin/example';
import { QUIET_VALIDATION } from '../helpers/compliance';

/**
 * Snapshots of the example platform's stacks. They complement the construct tests' assertions:
 * any change to what the example synthesizes shows up in review. Asset hashes are normalised by
 * the snapshot serializer (jest.config.js), so rebundling does not churn them.
 */
describe('the example app (bin/example.ts)', () => {
  const app = buildExampleApp(new App({ context: QUIET_VALIDATION }));
  const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c));

  test('has the invocation logging stack and the gateway stack', () => {
    expect(stacks.map((s) => s.stackName).sort()).toEqual(['AiGatewayExample', 'AiGatewayInvocationLogging']);
  });

  test.each(['AiGatewayInvocationLogging', 'AiGatewayExample'])('%s matches its snapshot', (name) => {
    const stack = stacks.find((s) => s.stackName === name)!;
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });

  test('synthesizes offline without an account: no lookups, no context needed', () => {
    const manifest = app.synth().manifest;
    expect(manifest.missing ?? []).toEqual([]);
  });
});
