import { expectReportAcknowledgmentsJustified, expectReportPassed } from '../helpers/compliance';
import { EXAMPLE_APP_FIXTURE, SHARED_SYNTHESIS_TIMEOUT_MS, SharedApp, sharedSynthesis } from '../helpers/synthesis';

/**
 * The compliance gate of the example app (testing layer 4): every pack, zero unacknowledged
 * findings, every acknowledgment justified. `bin/example.ts` is part of the repository: if it is
 * missing or does not export `buildExampleApp`, this suite fails. The synthesis is shared with
 * test/example (one per run).
 */
describe('the example app (bin/example.ts)', () => {
  let example: SharedApp;
  beforeAll(async () => {
    example = await sharedSynthesis(EXAMPLE_APP_FIXTURE);
  }, SHARED_SYNTHESIS_TIMEOUT_MS);

  test('every pack ran, without a plugin failure', () => {
    expect(example.report.packs.map((p) => p.pack)).toEqual(expect.arrayContaining([
      'AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321', 'Serverless', 'cdk-validator-cfnguard', 'AiGateway',
    ]));
    expect(example.report.pluginFailures).toEqual([]);
  });

  test('every acknowledgment names its finding and gives a reason a reviewer would accept', () => {
    expectReportAcknowledgmentsJustified(example.report);
    expect(example.report.acknowledgments.length).toBeGreaterThan(0);
  });

  test('has no unacknowledged finding in any pack (AwsSolutions, NIST 800-53 R5, HIPAA, PCI DSS 3.2.1, Serverless, Control Tower, AiGateway)', () => {
    expectReportPassed(example.report);
  });
});
