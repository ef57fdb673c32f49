import { join } from 'node:path';
import { expectReportAcknowledgmentsJustified, expectReportPassed } from '../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';

// One shared synthesis with every pack (five cdk-nag packs, Control Tower, AiGateway) on a stack
// holding only the registry, its key and its Prompt Management prompts (compliance-apps.ts).
describe('PromptRegistry compliance', () => {
  test('passes every pack with nothing acknowledged', async () => {
    const { report } = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'promptRegistryApp' });
    expectReportPassed(report);
    expectReportAcknowledgmentsJustified(report, 'Prompts');
    expect(report.acknowledgedFindings).toEqual([]);
  }, SHARED_SYNTHESIS_TIMEOUT_MS);
});
