import { App, Stack } from 'aws-cdk-lib';
import { ComplianceReport, GatewayVpc } from '../../lib';
import { synthWithCompliance } from '../helpers/compliance';

// Every pack, Control Tower included, on one synthesis of both VPC shapes.
jest.setTimeout(300_000);

const ENV = { account: '111122223333', region: 'us-east-1' };

describe('GatewayVpc compliance', () => {
  let report: ComplianceReport;
  beforeAll(() => {
    report = synthWithCompliance((app: App) => {
      new GatewayVpc(new Stack(app, 'WithNat', { env: ENV }), 'Vpc');
      new GatewayVpc(new Stack(app, 'Isolated', { env: ENV }), 'Vpc', { natGateways: 0 });
    });
  });

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
