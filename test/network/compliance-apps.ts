/**
 * Fixture apps of the network suites' compliance tests, synthesized once per run by the shared
 * synthesis (test/helpers/synthesis). Not a test file: the synthesis server loads it with its TypeScript require hook.
 */
import { App, Stack } from 'aws-cdk-lib';
import { GatewayVpc } from '../../lib';

const ENV = { account: '111122223333', region: 'us-east-1' };

/** Both shapes of `GatewayVpc`: with a NAT gateway and isolated. */
export function gatewayVpcApp(app: App): void {
  new GatewayVpc(new Stack(app, 'WithNat', { env: ENV }), 'Vpc');
  new GatewayVpc(new Stack(app, 'Isolated', { env: ENV }), 'Vpc', { natGateways: 0 });
}
