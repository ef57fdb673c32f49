import { join } from 'node:path';
import { expectReportAcknowledgmentsJustified, expectReportPassed } from '../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';

// One shared synthesis with every pack (five cdk-nag packs, Control Tower, AiGateway) on a stack
// holding only the usage table and its key.
describe('UsageTable compliance', () => {
  test('passes every pack; only the backup-plan findings are acknowledged, with their reason', async () => {
    const { report } = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'usageTableApp' });
    expectReportPassed(report);
    expectReportAcknowledgmentsJustified(report, 'Usage');
    expect(report.acknowledgedFindings.map((f) => f.findingId).sort()).toEqual(['HIPAA.Security-DynamoDBInBackupPlan', 'NIST.800.53.R5-DynamoDBInBackupPlan']);
  }, SHARED_SYNTHESIS_TIMEOUT_MS);
});
