/**
 * Fixture apps of the compliance report suites, synthesized once per run by the shared synthesis
 * (test/helpers/synthesis). Not a test file: the synthesis server loads it with its TypeScript require hook.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { GatewayAuditTrail } from '../../lib/audit/gateway-audit-trail';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { AiGateway } from '../../lib/gateway/ai-gateway';
import { ResponseReviewQueue } from '../../lib/validation/response-review-queue';

/** A consumer's stack: the gateway and its audit trail, next to a bucket of the consumer's own with findings of its own. */
export function consumerGovernanceApp(app: App): void {
  const stack = new Stack(app, 'Consumer', { env: { account: '111122223333', region: 'us-east-1' } });
  const gateway = new AiGateway(stack, 'Gateway', {
    tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10 }],
    tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard' }],
    routes: [{ alias: 'classify', model: ModelSource.foundationModel('amazon.nova-micro-v1:0') }],
    reviewQueue: new ResponseReviewQueue(stack, 'Reviews'),
    batch: {},
  });
  new GatewayAuditTrail(stack, 'Audit', { tables: [gateway.tenantKeyTable, gateway.incidentControls!.table] });
  new s3.Bucket(stack, 'TheirBucket');
}
