/**
 * Fixture apps of tenant-key-table.test.ts's compliance test, synthesized once per run by the
 * shared synthesis (test/helpers/synthesis). Not a test file: the synthesis server loads it with its TypeScript require hook.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import { TenantKeyTable } from '../../../lib';

/** The tenant key table alone (stack `Test`), in an organization's backup plan when `withPlan`. */
export function tenantKeyTableApp(app: App, args: { readonly withPlan?: boolean } = {}): void {
  const s = new Stack(app, 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
  const backupPlan = args.withPlan ? backup.BackupPlan.fromBackupPlanId(s, 'OrgPlan', 'plan-0123456789') : undefined;
  new TenantKeyTable(s, 'Keys', { backupPlan });
}
