/**
 * Compliance of ModelInvocationLogging: the cdk-nag 3 packs (AwsSolutions, NIST 800-53 R5, HIPAA
 * Security, PCI DSS 3.2.1, Serverless) and the Control Tower cfn-guard rules report nothing on it,
 * in its main configurations; every finding it cannot fix is acknowledged on the narrowest
 * construct with a reason. One synthesis covers every variant, plus a plain bucket that proves the
 * harness does report findings.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ModelInvocationLogging } from '../../../lib/bedrock/invocation-logging';

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

const ENV = { account: '111122223333', region: 'eu-west-1' };

describe('ModelInvocationLogging compliance', () => {
  let outdir: string;
  let app: App;
  let report: Report;
  let synthError: unknown;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'invocation-logging-compliance-'));
    app = new App({ outdir });
    Validations.of(app).addPlugins(
      new AwsSolutionsChecks(app),
      new NIST80053R5Checks(app),
      new HIPAASecurityChecks(app),
      new PCIDSS321Checks(app),
      new ServerlessChecks(app),
      new CfnGuardValidator(),
    );

    // One stack (the Control Tower rules run once per template): every variant, and a plain bucket.
    const stack = new Stack(app, 'Compliance', { env: ENV });
    new ModelInvocationLogging(stack, 'DefaultLogging');
    new ModelInvocationLogging(stack, 'AuditLogging', {
      objectLock: s3.ObjectLockRetention.compliance(Duration.days(365)),
      expiration: Duration.days(2555),
      disableLoggingOnDelete: true,
      imageDataDelivery: true,
    });
    new ModelInvocationLogging(stack, 'OwnLogging', {
      encryptionKey: new kms.Key(stack, 'TheirKey', { enableKeyRotation: true }),
      logGroup: new logs.LogGroup(stack, 'TheirGroup', { retention: logs.RetentionDays.FIVE_YEARS }),
      removalPolicy: RemovalPolicy.DESTROY,
      disableLoggingOnDelete: true,
    });
    // The other polarity: a plain bucket the packs must flag.
    new s3.Bucket(stack, 'PlainBucket');

    try {
      app.synth();
    } catch (error) {
      synthError = error;
    }
    report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Report;
  }, 180_000);

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const violations = () =>
    report.pluginReports.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => ({ plugin: p.pluginName, rule: v.ruleName, path: c.constructPath }))));

  it('has no unacknowledged finding in any configuration of the construct', () => {
    expect(violations().filter((v) => v.path.includes('Logging/'))).toEqual([]);
  });

  it('runs every pack, which flags the plain bucket (the harness can fail)', () => {
    expect(synthError).toBeDefined();
    const plain = violations().filter((v) => v.path.startsWith('Compliance/PlainBucket/'));
    const plugins = new Set(plain.map((v) => v.plugin));
    for (const plugin of ['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321', 'cdk-validator-cfnguard']) expect(plugins).toContain(plugin);
    expect(plain.map((v) => v.rule)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'NIST.800.53.R5-S3DefaultEncryptionKMS']));
  });

  it('acknowledges only specific findings, on its own constructs, each with a reason', () => {
    const acknowledged: { path: string; id: string; reason: string }[] = [];
    const walk = (c: IConstruct) => {
      for (const entry of c.node.metadata) {
        if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
          for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) acknowledged.push({ path: c.node.path, id, reason });
        }
      }
      c.node.children.forEach(walk);
    };
    walk(app.node.findChild('Compliance'));

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
    const recorded: string[] = [];
    for (const c of app.node.findChild('Compliance').node.findChild('DefaultLogging').node.findAll()) {
      for (const entry of c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)) {
        for (const id of Object.keys(entry.data as object)) recorded.push(`${c.node.path} ${id}`);
      }
    }

    expect([...new Set(suppressed.map((v) => `${v.acknowledgedAt} ${v.acknowledgedId}`))].sort()).toEqual(recorded.sort());
    for (const v of suppressed) expect(v.reason.length).toBeGreaterThan(80);
  });

  it('does not acknowledge the missing Object Lock when Object Lock is on', () => {
    const ids = app.node
      .findChild('Compliance')
      .node.findChild('AuditLogging')
      .node.findChild('Bucket')
      .node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.keys(m.data as object));
    expect(ids.some((id) => id.includes('object_lock'))).toBe(false);
  });
});
