import { join } from 'node:path';
import { expectReportAcknowledgmentsJustified, expectReportPassed } from '../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, SharedApp, sharedSynthesis } from '../helpers/synthesis';

let app: SharedApp;
beforeAll(async () => {
  app = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'tenantKnowledgeBaseApp' });
}, SHARED_SYNTHESIS_TIMEOUT_MS);

test('TenantKnowledgeBase passes every pack', () => {
  expectReportPassed(app.report);
  expectReportAcknowledgmentsJustified(app.report, 'Kb/Handbook');
});
