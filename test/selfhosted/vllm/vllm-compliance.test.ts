import { join } from 'node:path';
import { expectReportAcknowledgmentsJustified } from '../../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, SharedApp, sharedSynthesis } from '../../helpers/synthesis';

describe('compliance of the vLLM constructs', () => {
  let app: SharedApp;
  /** The construct paths this folder owns in the fixture (the cluster is the fixture's, not ours). */
  const OWN = ['Models/Keda/', 'Models/Metrics/', 'Models/Llama/', 'Models/Qwen/', 'Models/VllmShared'];

  beforeAll(async () => {
    app = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'vllmApp' });
  }, SHARED_SYNTHESIS_TIMEOUT_MS);

  test('the packs ran', () => {
    expect(app.report.pluginFailures).toEqual([]);
    expect(app.report.packs.length).toBeGreaterThanOrEqual(6);
  });

  test('no unacknowledged finding on any resource of the vLLM constructs', () => {
    const own = app.report.findings.filter((f) => OWN.some((p) => f.constructPath.startsWith(p)));
    expect(own.map((f) => `${f.findingId} ${f.constructPath}`)).toEqual([]);
  });

  test('the one acknowledgment is the S3 weights prefix wildcard, with a reason a reviewer accepts', () => {
    const acknowledged = app.report.acknowledgedFindings.filter((f) => OWN.some((p) => f.constructPath.startsWith(p)));
    expect(acknowledged.map((f) => [f.findingId, f.constructPath])).toEqual([
      [expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<Weights[0-9A-F]+\.Arn>\/models\/qwen\/\*\]$/), 'Models/Qwen/PodRole/Policy/Resource'],
    ]);
    const own = app.constructPaths().filter((p) => /^Models\/(Keda|Metrics|Llama|Qwen|VllmShared[^/]*)$/.test(p));
    for (const path of own) expectReportAcknowledgmentsJustified(app.report, path);
    expect(own.length).toBeGreaterThan(4);
  });
});
