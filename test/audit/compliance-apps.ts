/**
 * Fixture apps of gateway-audit-trail.test.ts's compliance test, synthesized once per run by the
 * shared synthesis (test/helpers/synthesis). Not a test file: the synthesis server loads it with its TypeScript require hook.
 */
import { App, Stack } from 'aws-cdk-lib';
import { GatewayAuditTrail } from '../../lib/audit/gateway-audit-trail';
import { TenantKeyTable } from '../../lib/gateway/tenant-keys/tenant-key-table';
import { IncidentControlsTable } from '../../lib/incident/incident-controls-table';

/** The trail over the tenant key table and the incident controls table, with its defaults. */
export function auditTrailApp(app: App): void {
  const stack = new Stack(app, 'S', { env: { account: '111122223333', region: 'us-east-1' } });
  const keys = new TenantKeyTable(stack, 'Keys').table;
  const controls = new IncidentControlsTable(stack, 'Controls');
  new GatewayAuditTrail(stack, 'Audit', { tables: [keys, controls.table] });
}
