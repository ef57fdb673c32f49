import { join } from 'node:path';
import { expectReportAcknowledgmentsJustified, expectReportPassed } from '../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';

const APPS = join(__dirname, 'compliance-apps');

// One shared synthesis per case: every pack (five cdk-nag packs, Control Tower, AiGateway) on a
// stack that holds only what GatewayObservability creates (the router function and log group are imported).
describe('GatewayObservability compliance', () => {
  test('the default alarm topic, its key, alarms, dashboard and queries pass every pack', async () => {
    const { report } = await sharedSynthesis({ module: APPS, exportName: 'defaultObservabilityApp' });
    expectReportPassed(report);
    expectReportAcknowledgmentsJustified(report, 'Observed');
    // Nothing was waved through: the construct passes without acknowledgments.
    expect(report.acknowledgedFindings).toEqual([]);
    expect(report.acknowledgments).toEqual([]);
  }, SHARED_SYNTHESIS_TIMEOUT_MS);

  test('a topic without KMS and TLS-only policy is reported (the packs do check topics)', async () => {
    const { report } = await sharedSynthesis({ module: APPS, exportName: 'plainTopicObservabilityApp' });
    const rules = report.findings.filter((f) => f.constructPath.includes('PlainTopic')).map((f) => f.findingId);
    // Not TLS-only (AwsSolutions), not KMS-encrypted (NIST 800-53 R5, HIPAA, PCI DSS).
    expect(rules.sort()).toEqual([
      'AwsSolutions-SNS3', 'HIPAA.Security-SNSEncryptedKMS', 'NIST.800.53.R5-SNSEncryptedKMS', 'PCI.DSS.321-SNSEncryptedKMS',
    ]);
  }, SHARED_SYNTHESIS_TIMEOUT_MS);
});
