import { join } from 'node:path';
import { expectReportAcknowledgmentsJustified, expectReportPassed } from '../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, SharedApp, sharedSynthesis } from '../helpers/synthesis';

describe.each([
  ['S3 Vectors', 'tenantKnowledgeBaseApp', 'Kb/Handbook'],
  ['OpenSearch Serverless', 'tenantKnowledgeBaseOnOpenSearchApp', 'KbAoss/Handbook'],
])('TenantKnowledgeBase on %s', (_store, exportName, path) => {
  let app: SharedApp;
  beforeAll(async () => {
    app = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName });
  }, SHARED_SYNTHESIS_TIMEOUT_MS);

  test('passes every pack', () => {
    expectReportPassed(app.report);
    expectReportAcknowledgmentsJustified(app.report, path);
  });
});
