import { join } from 'node:path';
import { ComplianceReport } from '../../../lib';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../../helpers/synthesis';

// Every pack, Control Tower included, on one shared synthesis of two clusters.

/**
 * aws-cdk-lib itself acknowledges `CloudFormation-Validate::W3010` on every Stack whose
 * availability zones a VPC reads (`Stack._silenceLiteralAzWarning`); the harness accepts it, and
 * it goes unused where no literal AZ reaches the template.
 */
const isCdkAzAcknowledgment = (a: { findingId: string; constructPath: string }) => a.findingId === 'CloudFormation-Validate::W3010' && !a.constructPath.includes('/');

describe('SelfHostedCluster compliance', () => {
  let report: ComplianceReport;
  beforeAll(async () => {
    ({ report } = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'twoClustersApp' }));
  }, SHARED_SYNTHESIS_TIMEOUT_MS);

  test('no open finding and no plugin failure in any pack', () => {
    expect(report.pluginFailures).toEqual([]);
    if (report.findings.length > 0) throw new Error(report.formatFindings());
  });

  test('every acknowledgment names a finding that occurred, on the construct that has it, with a reason a reviewer accepts', () => {
    // The report holds GatewayCompliance.reviewAcknowledgments of the whole app.
    expect(report.acknowledgments.filter((a) => a.problem !== undefined)).toEqual([]);
    expect(report.unusedAcknowledgments.filter((a) => !isCdkAzAcknowledgment(a) && !/CloudFormation-Validate::F300[23]/.test(a.findingId))).toEqual([]);
  });

  test('our own EKS rules ran and passed on every cluster', () => {
    expect(report.findings.filter((f) => f.findingId.startsWith('AiGateway-Eks'))).toEqual([]);
    expect(report.acknowledgedFindings.filter((f) => f.findingId.startsWith('AiGateway-Eks'))).toEqual([]);
  });

  test('no acknowledgment of a finding that this construct fixes', () => {
    const ids = report.acknowledgedFindings.map((f) => f.findingId);
    for (const fixed of ['CT.EC2.PR.2', 'CT.EC2.PR.10', 'CT.LAMBDA.PR.3', 'AwsSolutions-VPC7']) {
      expect(ids.filter((i) => i.startsWith(fixed))).toEqual([]);
    }
  });
});
