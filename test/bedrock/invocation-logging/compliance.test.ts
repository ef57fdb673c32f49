/**
 * Compliance of ModelInvocationLogging: the cdk-nag 3 packs (AwsSolutions, NIST 800-53 R5, HIPAA
 * Security, PCI DSS 3.2.1, Serverless) and the Control Tower cfn-guard rules report nothing on it,
 * in its main configurations; every finding it cannot fix is acknowledged on the narrowest
 * construct with a reason. One shared synthesis (compliance-apps.ts, every pack) covers every
 * variant, plus a plain bucket that proves the harness does report findings; the acknowledgments of
 * the construct tree are read from the synthesis's review of every construct's metadata.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_SYNTHESIS_TIMEOUT_MS, SharedApp, sharedSynthesis } from '../../helpers/synthesis';

interface Violation {
  ruleName: string;
  violatingConstructs: { constructPath: string }[];
}

interface Report {
  pluginReports: {
    pluginName: string;
    violations: Violation[];
    suppressedViolations?: (Violation & { acknowledgedId: string; acknowledgedAt: string; reason: string })[];
  }[];
}

describe('ModelInvocationLogging compliance', () => {
  let app: SharedApp;
  let report: Report;

  beforeAll(async () => {
    // compliance-apps.ts: the variants and the plain bucket in one stack, synthesized once per run with every pack.
    app = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'invocationLoggingApp' });
    // aws-cdk-lib's validation report as written, with each plugin's violations and suppressed violations.
    report = JSON.parse(readFileSync(join(app.dir, 'validation-report.json'), 'utf8')) as Report;
  }, SHARED_SYNTHESIS_TIMEOUT_MS);

  /** The acknowledgments recorded in the construct tree (the synthesis's review of every construct's metadata). */
  const acknowledgments = () => app.report.acknowledgments.map((a) => ({ path: a.constructPath, id: a.recordedId, reason: a.reason }));
  const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

  const violations = () =>
    report.pluginReports.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => ({ plugin: p.pluginName, rule: v.ruleName, path: c.constructPath }))));

  it('has no unacknowledged finding in any configuration of the construct', () => {
    expect(violations().filter((v) => v.path.includes('Logging/'))).toEqual([]);
  });

  it('runs every pack, which flags the plain bucket (the harness can fail)', () => {
    // Open findings: a synthesis without the harness's context would fail (aws-cdk-lib throws on them).
    expect(app.report.passed).toBe(false);
    const plain = violations().filter((v) => v.path.startsWith('Compliance/PlainBucket/'));
    const plugins = new Set(plain.map((v) => v.plugin));
    for (const plugin of ['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321', 'cdk-validator-cfnguard']) expect(plugins).toContain(plugin);
    expect(plain.map((v) => v.rule)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'NIST.800.53.R5-S3DefaultEncryptionKMS']));
  });

  it('acknowledges only specific findings, on its own constructs, each with a reason', () => {
    const acknowledged = acknowledgments().filter((a) => under(a.path, 'Compliance'));

    const byConstruct = (suffix: string) => acknowledged.filter((a) => a.path === `Compliance/DefaultLogging/${suffix}`).map((a) => a.id);
    expect(byConstruct('HandlerPolicy')).toEqual(['AwsSolutions::AwsSolutions-IAM5[Resource::*]']);
    expect(byConstruct('Handler/Resource').sort()).toEqual(
      [
        'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency',
        'HIPAA.Security::HIPAA.Security-LambdaConcurrency',
        'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ',
        'HIPAA.Security::HIPAA.Security-LambdaDLQ',
        'Serverless::Serverless-LambdaDLQ',
        'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC',
        'HIPAA.Security::HIPAA.Security-LambdaInsideVPC',
        'PCI.DSS.321::PCI.DSS.321-LambdaInsideVPC',
        'cdk-validator-cfnguard::lambda_inside_vpc_check',
        'Serverless::Serverless-LambdaTracing',
      ].sort(),
    );
    expect(byConstruct('Bucket').sort()).toEqual(
      [
        'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled',
        'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled',
        'PCI.DSS.321::PCI.DSS.321-S3BucketReplicationEnabled',
        'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
      ].sort(),
    );
    expect(byConstruct('AccessLogsBucket')).toHaveLength(10);
    // Nothing is acknowledged on the construct, the stack or the app as a whole.
    expect(acknowledged.filter((a) => ['Compliance', 'Compliance/DefaultLogging', 'Compliance/AuditLogging', 'Compliance/OwnLogging'].includes(a.path))).toEqual([]);
    for (const a of acknowledged) expect(a.reason.length).toBeGreaterThan(80);
  });

  it('lists every acknowledged finding in the report, with its reason, and acknowledges nothing that did not fire', () => {
    const suppressed = report.pluginReports.flatMap((p) => p.suppressedViolations ?? []).filter((v) => v.acknowledgedAt.startsWith('Compliance/DefaultLogging/'));
    const recorded = acknowledgments().filter((a) => under(a.path, 'Compliance/DefaultLogging')).map((a) => `${a.path} ${a.id}`);

    expect([...new Set(suppressed.map((v) => `${v.acknowledgedAt} ${v.acknowledgedId}`))].sort()).toEqual(recorded.sort());
    for (const v of suppressed) expect(v.reason.length).toBeGreaterThan(80);
  });

  it('does not acknowledge the missing Object Lock when Object Lock is on', () => {
    const ids = acknowledgments().filter((a) => a.path === 'Compliance/AuditLogging/Bucket').map((a) => a.id);
    expect(ids.some((id) => id.includes('object_lock'))).toBe(false);
  });
});
