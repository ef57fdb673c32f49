import { App, Duration, Stack } from 'aws-cdk-lib';
import { UsageSweeper } from '../../lib/usage/usage-sweeper';
import { UsageTable } from '../../lib/usage/usage-table';

/** Apps the shared synthesis builds for the usage suites' compliance tests (test/helpers/synthesis). */

/** A stack holding only the usage table and its key. */
export function usageTableApp(app: App): void {
  const stack = new Stack(app, 'Usage', { env: { account: '111122223333', region: 'eu-west-1' } });
  new UsageTable(stack, 'Usage');
}

/** The usage sweeper with its usage table, for usage-sweeper.test.ts. */
export function usageSweeperApp(app: App): void {
  const stack = new Stack(app, 'Sweeper', { env: { account: '111122223333', region: 'eu-west-1' } });
  new UsageSweeper(stack, 'Sweeper', { usageTable: new UsageTable(stack, 'Usage'), routerTimeout: Duration.minutes(15) });
}
