import { join } from 'node:path';
import { expectReportAcknowledgmentsJustified } from '../../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, SharedApp, sharedSynthesis } from '../../helpers/synthesis';

describe('compliance of the vLLM constructs', () => {
  let app: SharedApp;
  /** The construct paths this folder owns in the fixture (the cluster is the fixture's, not ours). */
  const OWN = ['Models/Keda/', 'Models/Metrics/', 'Models/Llama/', 'Models/Qwen/', 'Models/Staged/', 'Models/ModelWeightsBucket/', 'Models/VllmShared'];

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

  test('the acknowledgments: the S3 weights prefix wildcards, and the weights bucket\'s logging and replication, with reasons a reviewer accepts', () => {
    const acknowledged = app.report.acknowledgedFindings.filter((f) => OWN.some((p) => f.constructPath.startsWith(p)));
    const bucket = 'Models/ModelWeightsBucket/Bucket/Resource';
    const staged = /^AwsSolutions-IAM5\[Resource::<ModelWeightsBucket[0-9A-F]+\.Arn>\/huggingface\/Qwen\/Qwen2\.5-7B-Instruct\/main\/\*\]$/;
    const expected = [
      [expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<Weights[0-9A-F]+\.Arn>\/models\/qwen\/\*\]$/), 'Models/Qwen/PodRole/Policy/Resource'],
      [expect.stringMatching(staged), 'Models/Staged/PodRole/Policy/Resource'],
      [expect.stringMatching(staged), 'Models/Staged/WeightsCopyRole/Policy/Resource'],
      ...['AwsSolutions-S1', 'CT.S3.PR.2', 'CT.S3.PR.4', 'CT.S3.PR.9',
        ...['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'].flatMap((p) => [`${p}-S3BucketLoggingEnabled`, `${p}-S3BucketReplicationEnabled`])]
        .map((id) => [id, bucket]),
    ];
    expect(acknowledged).toHaveLength(expected.length);
    expect(acknowledged.map((f) => [f.findingId, f.constructPath])).toEqual(expect.arrayContaining(expected));
    const own = app.constructPaths().filter((p) => /^Models\/(Keda|Metrics|Llama|Qwen|Staged|ModelWeightsBucket|VllmShared[^/]*)$/.test(p));
    for (const path of own) expectReportAcknowledgmentsJustified(app.report, path);
    expect(own.length).toBeGreaterThan(4);
  });
});
