import { join } from 'node:path';
import { ComplianceReport } from '../../../lib/compliance/compliance-report';
import { expectReportAcknowledgmentsJustified } from '../../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../../helpers/synthesis';

// Karpenter alone in a stack with a cluster: every finding on a resource Karpenter adds (its own
// constructs, and the Helm release and manifests it adds to the cluster) must be fixed or
// acknowledged. Findings of the test cluster itself belong to the EKS construct and are ignored.
const OURS = [/^KarpenterTest\/Karpenter\//, /^KarpenterTest\/Cluster\/chartKarpenterChart/, /^KarpenterTest\/Cluster\/manifest/];

describe('Karpenter compliance', () => {
  let report: ComplianceReport;
  beforeAll(async () => {
    ({ report } = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'karpenterApp' }));
  }, SHARED_SYNTHESIS_TIMEOUT_MS);

  test('leaves no unacknowledged finding on Karpenter resources', () => {
    const open = report.findings.filter((f) => OURS.some((p) => p.test(f.constructPath)));
    expect(open.map((f) => `${f.findingId} ${f.constructPath}`)).toEqual([]);
  });

  test('every acknowledgment has a reason a reviewer accepts and is used', () => {
    expectReportAcknowledgmentsJustified(report, 'KarpenterTest/Karpenter');
    const ours = report.acknowledgments.filter((a) => OURS.some((p) => p.test(a.constructPath ?? '')));
    expect(ours.length).toBeGreaterThan(0);
    expect(report.unusedAcknowledgments.filter((a) => OURS.some((p) => p.test(a.constructPath ?? ''))).map((a) => a.findingId)).toEqual([]);
  });
});
