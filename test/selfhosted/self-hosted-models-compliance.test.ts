import { join } from 'node:path';
import { ComplianceReport } from '../../lib';
import { expectReportAcknowledgmentsJustified } from '../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';

// One shared synthesis with every compliance pack (compliance-apps.ts).
describe('compliance of SelfHostedModels with TLS, the image cache and GPU observability', () => {
  let report: ComplianceReport;

  beforeAll(async () => {
    ({ report } = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'selfHostedModelsTlsApp' }));
  }, SHARED_SYNTHESIS_TIMEOUT_MS);

  test('the packs ran', () => {
    expect(report.pluginFailures).toEqual([]);
    expect(report.packs.length).toBeGreaterThanOrEqual(6);
  });

  test('no unacknowledged finding on any resource of the construct', () => {
    expect(report.findings.filter((f) => f.constructPath.startsWith('Models/SelfHosted/')).map((f) => `${f.findingId} ${f.constructPath}`)).toEqual([]);
  });

  test('the TLS listener needs no certificate acknowledgment, and every acknowledgment has a reason', () => {
    const acknowledged = report.acknowledgedFindings.filter((f) => f.constructPath.startsWith('Models/SelfHosted/Endpoint0/LoadBalancer/Listener'));
    expect(acknowledged.map((f) => f.findingId)).toEqual([]);
    expectReportAcknowledgmentsJustified(report, 'Models/SelfHosted');
  });
});
