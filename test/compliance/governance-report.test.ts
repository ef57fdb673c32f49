import { join } from 'node:path';
import { ComplianceReport, FindingOrigin, GovernanceControls, GovernanceControlStatus } from '../../lib';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';

// The consumer app of compliance-apps.ts (the gateway, its audit trail and a bucket of the
// consumer's own), synthesized once by the shared synthesis: its report carries the origin of each
// construct and the governance evidence, as ComplianceReport.synthesize gives them.
describe('compliance report: a consumer app', () => {
  let report: ComplianceReport;
  beforeAll(async () => {
    ({ report } = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'consumerGovernanceApp' }));
  }, SHARED_SYNTHESIS_TIMEOUT_MS);

  test('the library needs no acknowledgment from the consumer: every open finding is on the consumer\'s own resource', () => {
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.findings.filter((f) => report.originOf(f.constructPath) !== FindingOrigin.CONSUMER)).toEqual([]);
    expect(new Set(report.findings.map((f) => f.constructPath.split('/').slice(0, 2).join('/')))).toEqual(new Set(['Consumer/TheirBucket']));
    expect(report.libraryConstructPaths).toEqual(expect.arrayContaining(['Consumer/Gateway', 'Consumer/Audit']));
    // The library's own acknowledgments are made on its constructs.
    const libraryAcks = report.acknowledgments.filter((a) => report.originOf(a.constructPath) === FindingOrigin.LIBRARY);
    expect(libraryAcks.length).toBeGreaterThan(0);
    expect(report.acknowledgments.filter((a) => report.originOf(a.constructPath) === FindingOrigin.CONSUMER)).toEqual([]);
  });

  test('the markdown separates the library\'s findings from the consumer\'s and maps the governance controls with template evidence', () => {
    const md = report.toMarkdown({ generatedAt: 'now' });
    const origins = md.slice(md.indexOf('## Library and consumer findings'));
    expect(origins).toMatch(/\| cdk-ai-gateway constructs \| 0 \| [1-9]\d* \| [1-9]\d* \|/);
    expect(origins).toMatch(new RegExp(`\\| your own resources \\| ${report.findings.length} \\| 0 \\| 0 \\|`));
    const governance = md.slice(md.indexOf('## Governance controls'));
    for (const control of GovernanceControls.all()) expect(governance).toContain(`| ${control.control} | ${control.status} |`);
    expect(governance).toMatch(/`AWS::Logs::LogGroup KmsKeyId`: log groups encrypted with a customer key \([1-9]\d* found\)/);
    expect(governance).toMatch(/`AWS::CloudTrail::Trail EnableLogFileValidation`: a trail with log-file validation \(1 found\)/);
    expect(governance).toMatch(/\| Escalation \| IMPLEMENTED \|.*`AWS::SQS::Queue KmsMasterKeyId`: the review queue encrypted with a customer key \([1-9]\d* found\)/);
    expect(governance).toMatch(/\| Batch route \| IMPLEMENTED \|.*`AWS::S3::Bucket LifecycleConfiguration\.Rules\.0\.Prefix`: the batch bucket, its files expired per prefix \(1 found\)/);
  });

  test('every evidence item of an implemented control is found in this app', () => {
    for (const control of report.governance.filter((c) => c.status === GovernanceControlStatus.IMPLEMENTED)) {
      expect({ control: control.control, found: control.evidenceFound.every((n) => n > 0) }).toEqual({ control: control.control, found: true });
    }
  });
});

test('a report read from a file without the app knows no origin and counts no evidence', () => {
  const report = ComplianceReport.fromValidationReport(JSON.stringify({ title: 'Validation Report', pluginReports: [] }));
  expect(report.originOf('Consumer/Gateway/Router')).toBe(FindingOrigin.UNKNOWN);
  expect(report.governance.every((c) => c.evidenceFound.length === 0)).toBe(true);
  expect(report.toMarkdown()).not.toContain('## Library and consumer findings');
});
