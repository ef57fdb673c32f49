import { App, Stack } from 'aws-cdk-lib';
import { UsageTable } from '../../lib/usage/usage-table';

/** Apps the shared synthesis builds for usage-table-compliance.test.ts (test/helpers/synthesis). */

/** A stack holding only the usage table and its key. */
export function usageTableApp(app: App): void {
  const stack = new Stack(app, 'Usage', { env: { account: '111122223333', region: 'eu-west-1' } });
  new UsageTable(stack, 'Usage');
}
