import { App, Stack } from 'aws-cdk-lib';
import { AiGateway } from '../../lib/gateway/ai-gateway';
import { AI_GATEWAY_BASE, ENV } from '../gateway/compliance-apps';

/** Apps the shared synthesis builds for the batch route's suites (test/helpers/synthesis). */

/** An AiGateway with the Batch API on. */
export function batchGatewayApp(app: App): void {
  new AiGateway(new Stack(app, 'Stack', { env: ENV }), 'Gateway', { ...AI_GATEWAY_BASE, batch: { maxRunningBatchesPerTenant: 3 } });
}
