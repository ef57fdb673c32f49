import { Stack } from 'aws-cdk-lib';
import { UsageTable } from '../../lib/usage/usage-table';
import { expectAcknowledgmentsJustified, expectNoUnacknowledgedFindings } from '../helpers/compliance';

// One synthesis with every pack (five cdk-nag packs, Control Tower, AiGateway) on a stack holding
// only the usage table and its key.
describe('UsageTable compliance', () => {
  test('passes every pack; only the backup-plan findings are acknowledged, with their reason', () => {
    const report = expectNoUnacknowledgedFindings((app) => {
      const stack = new Stack(app, 'Usage', { env: { account: '111122223333', region: 'eu-west-1' } });
      new UsageTable(stack, 'Usage');
      expectAcknowledgmentsJustified(stack);
    });
    expect(report.acknowledgedFindings.map((f) => f.findingId).sort()).toEqual(['HIPAA.Security-DynamoDBInBackupPlan', 'NIST.800.53.R5-DynamoDBInBackupPlan']);
  });
});
