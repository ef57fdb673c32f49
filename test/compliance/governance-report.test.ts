import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ComplianceReport, FindingOrigin, GovernanceControls, GovernanceControlStatus } from '../../lib';
import { AiGateway } from '../../lib/gateway/ai-gateway';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { GatewayAuditTrail } from '../../lib/audit/gateway-audit-trail';
import { synthWithCompliance } from '../helpers/compliance';

jest.setTimeout(300_000);

const ENV = { account: '111122223333', region: 'us-east-1' };

describe('compliance report: a consumer app', () => {
  let report: ComplianceReport;
  beforeAll(() => {
    report = synthWithCompliance((app: App) => {
      const stack = new Stack(app, 'Consumer', { env: ENV });
      const gateway = new AiGateway(stack, 'Gateway', {
        tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10 }],
        tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard' }],
        routes: [{ alias: 'classify', model: ModelSource.foundationModel('amazon.nova-micro-v1:0') }],
      });
      new GatewayAuditTrail(stack, 'Audit', { tables: [gateway.tenantKeyTable, gateway.incidentControls!.table] });
      // The consumer's own resource, with findings of its own.
      new s3.Bucket(stack, 'TheirBucket');
    });
  });

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
    expect(governance).toMatch(/\| Approval workflows \| NOT_BUILT \|.*not built yet/);
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
