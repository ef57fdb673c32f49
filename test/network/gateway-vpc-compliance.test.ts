import { join } from 'node:path';
import { ComplianceReport } from '../../lib';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';

// Every pack, Control Tower included, on one shared synthesis of both VPC shapes (compliance-apps.ts).

describe('GatewayVpc compliance', () => {
  let report: ComplianceReport;
  beforeAll(async () => {
    ({ report } = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'gatewayVpcApp' }));
  }, SHARED_SYNTHESIS_TIMEOUT_MS);

  test('no open finding in any pack, and every acknowledgment was used', () => {
    expect(report.pluginFailures).toEqual([]);
    if (report.findings.length > 0) throw new Error(report.formatFindings());
    expect(report.acknowledgments.filter((a) => a.problem !== undefined)).toEqual([]);
    // aws-cdk-lib acknowledges F3002/F3003 on every flow log itself (camelCase DestinationOptions); they go unused here.
    const ours = report.unusedAcknowledgments.filter((a) => a.constructPath.includes('/') && !/CloudFormation-Validate::F300[23]/.test(a.findingId));
    expect(ours).toEqual([]);
  });

  test('flow logs, KMS and endpoints are fixed, not acknowledged', () => {
    const ids = report.acknowledgedFindings.map((f) => f.findingId);
    for (const fixed of ['AwsSolutions-VPC7', 'NIST.800.53.R5-VPCFlowLogsEnabled', 'NIST.800.53.R5-CloudWatchLogGroupEncrypted', 'CT.EC2.PR.10']) {
      expect(ids.filter((i) => i.startsWith(fixed))).toEqual([]);
    }
  });
});
