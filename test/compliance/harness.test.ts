import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CompliancePack, ComplianceReport, GatewayCompliance } from '../../lib';
import { expectNoUnacknowledgedFindings, synthWithCompliance } from '../helpers/compliance';
import { EXAMPLE_APP_MODULE, loadExampleAppBuilder, main, runComplianceReport } from '../../scripts/compliance-report';
import { acknowledgedKeyApp, KEY_GRANT_REASON, nonCompliantApp } from '../helpers/compliance-fixtures';
import { buildExampleApp } from './fixtures/example-app';

// Real synthesis with every pack; the first one in a process also starts aws-cdk-lib's template
// validation engine. Seconds on an idle machine, but allow for a shared, loaded CI host.
jest.setTimeout(180_000);

const NODE_MODULES = join(__dirname, '..', '..', 'node_modules');
const REASON = 'The bucket only holds the access logs of the data bucket; logging its own access would recurse forever.';

function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** How many rules a cdk-nag 3 pack applies: its `this.applyRule(` calls. */
function rulesInPack(file: string): number {
  return readFileSync(join(NODE_MODULES, 'cdk-nag', 'lib', 'packs', file), 'utf8').split('this.applyRule(').length - 1;
}

/** Apps synthesized directly in this file, in cloud assembly directories removed after each test. */
const outdirs: string[] = [];
function tempApp(): App {
  const outdir = mkdtempSync(join(tmpdir(), 'compliance-harness-test-'));
  outdirs.push(outdir);
  return new App({ outdir });
}
afterEach(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function baseRule(findingId: string): string {
  return findingId.replace(/\[.*$/, '');
}

describe('an app with findings from every pack', () => {
  let report: ComplianceReport;
  beforeAll(() => {
    report = synthWithCompliance(nonCompliantApp);
  });

  test('fails', () => {
    expect(report.passed).toBe(false);
    expect(report.pluginFailures).toEqual([]);
  });

  test('ran the five cdk-nag packs, Control Tower and AiGateway, with their versions', () => {
    const nag = packageVersion(join(NODE_MODULES, 'cdk-nag'));
    const guard = packageVersion(join(NODE_MODULES, '@cdklabs', 'cdk-validator-cfnguard'));
    expect(report.packs.map((p) => [p.pack, p.version])).toEqual([
      ['AwsSolutions', nag], ['NIST.800.53.R5', nag], ['HIPAA.Security', nag], ['PCI.DSS.321', nag], ['Serverless', nag],
      ['cdk-validator-cfnguard', `${guard} (cfn-guard 3.1.1)`], ['AiGateway', packageVersion(join(__dirname, '..', '..'))],
    ]);
  });

  test.each([
    ['AwsSolutions', 'AwsSolutions-S1', 'Fixture/Bucket/Resource'],
    ['AwsSolutions', 'AwsSolutions-IAM5[Action::bedrock:*]', 'Fixture/Router/DefaultPolicy/Resource'],
    ['NIST.800.53.R5', 'NIST.800.53.R5-S3BucketVersioningEnabled', 'Fixture/Bucket/Resource'],
    ['HIPAA.Security', 'HIPAA.Security-S3BucketSSLRequestsOnly', 'Fixture/Bucket/Resource'],
    ['PCI.DSS.321', 'PCI.DSS.321-S3BucketLoggingEnabled', 'Fixture/Bucket/Resource'],
    ['Serverless', 'Serverless-LambdaTracing', 'Fixture/Handler/Resource'],
    ['cdk-validator-cfnguard', 'CT.S3.PR.2', 'Fixture/Bucket/Resource'],
    ['cdk-validator-cfnguard', 'CT.LAMBDA.PR.3', 'Fixture/Handler/Resource'],
    ['AiGateway', 'AiGateway-BedrockModelAccessScoped[Action::bedrock:*]', 'Fixture/Router/DefaultPolicy/Resource'],
    ['AiGateway', 'AiGateway-BedrockModelAccessScoped[Resource::*]', 'Fixture/Router/DefaultPolicy/Resource'],
  ])('%s reports %s on %s', (pack, findingId, constructPath) => {
    expect(report.findings).toContainEqual(expect.objectContaining({ pack, findingId, constructPath }));
  });

  test('Control Tower findings carry the guard rule, the logical id and the template', () => {
    expect(report.findings).toContainEqual(expect.objectContaining({
      findingId: 'CT.S3.PR.2',
      ruleName: 's3_bucket_logging_enabled_check',
      logicalId: expect.stringMatching(/^Bucket[0-9A-F]{8}$/),
      templatePath: 'Fixture.template.json',
      severity: 'error',
    }));
  });

  test('each cdk-nag pack counted every rule, and its counts agree with its findings', () => {
    const files: Record<string, string> = {
      'AwsSolutions': 'aws-solutions.js', 'NIST.800.53.R5': 'nist-800-53-r5.js', 'HIPAA.Security': 'hipaa-security.js',
      'PCI.DSS.321': 'pci-dss-321.js', 'Serverless': 'serverless.js',
    };
    for (const [pack, file] of Object.entries(files)) {
      const summary = report.packs.find((p) => p.pack === pack);
      const findings = report.findings.filter((f) => f.pack === pack);
      expect({ pack, ...summary }).toMatchObject({
        pack,
        rulesEvaluated: rulesInPack(file),
        rulesWithFindings: new Set(findings.map((f) => baseRule(f.findingId))).size,
        checksNonCompliant: new Set(findings.map((f) => `${baseRule(f.findingId)} ${f.constructPath}`)).size,
        rulesApplicable: (summary?.rulesPassed ?? NaN) + (summary?.rulesWithFindings ?? NaN),
        openFindings: findings.length,
        acknowledgedFindings: 0,
      });
      expect(summary?.checksCompliant).toBeGreaterThan(0);
    }
  });

  test('formats one line per open finding: rule, pack, construct path, description', () => {
    const text = report.formatFindings();
    expect(text).toMatch(new RegExp(`^${report.findings.length} unacknowledged compliance finding\\(s\\)`));
    expect(text).toMatch(/\n {2}AwsSolutions-S1 +AwsSolutions +Fixture\/Bucket\/Resource +The S3 Bucket has server access logs disabled\.\n/);
    expect(text).toMatch(/\n {2}CT\.S3\.PR\.2 +cdk-validator-cfnguard +Fixture\/Bucket\/Resource +\[CT\.S3\.PR\.2\]: Require an Amazon S3 bucket to have server access logging configured\n/);
    expect(text.split('\n').filter((l) => / {2}Fixture\//.test(l))).toHaveLength(report.findings.length);
  });
});

describe('an app whose every finding is acknowledged', () => {
  let report: ComplianceReport;
  beforeAll(() => {
    report = expectNoUnacknowledgedFindings(acknowledgedKeyApp, { countControlTowerOutcomes: true });
  });

  test('passes, listing the acknowledged finding with its reason and where it was acknowledged', () => {
    expect(report.passed).toBe(true);
    expect(report.findings).toEqual([]);
    expect(report.acknowledgedFindings).toEqual([expect.objectContaining({
      pack: 'cdk-validator-cfnguard',
      findingId: 'CT.KMS.PR.3',
      constructPath: 'Fixture/Key/Resource',
      acknowledgedAt: 'Fixture/Key',
      recordedId: 'cdk-validator-cfnguard::kms_create_grant_aws_service_check',
      reason: KEY_GRANT_REASON,
    })]);
    expect(report.acknowledgments.map((a) => [a.findingId, a.constructPath, a.findingsCovered, a.problem]))
      .toEqual([['CT.KMS.PR.3', 'Fixture/Key', 1, undefined]]);
  });

  test('counts the Control Tower rules that passed, failed (acknowledged) and did not apply', () => {
    const guard = report.packs.find((p) => p.pack === 'cdk-validator-cfnguard');
    expect(guard).toMatchObject({ rulesEvaluated: 237, rulesWithFindings: 1, openFindings: 0, acknowledgedFindings: 1 });
    expect(guard?.rulesPassed).toBeGreaterThan(0);
    expect(guard?.rulesApplicable).toBe((guard?.rulesPassed ?? NaN) + 1);
  });

  test('the key passes every cdk-nag rule that applies to it', () => {
    const aws = report.packs.find((p) => p.pack === 'AwsSolutions');
    expect(aws).toMatchObject({ checksNonCompliant: 0, rulesWithFindings: 0, openFindings: 0 });
    expect(aws?.checksCompliant).toBeGreaterThan(0);
  });
});

describe('Control Tower', () => {
  test('synthesis keeps failing on open Control Tower findings after another one is acknowledged', () => {
    // Prepare: one guard finding of the bucket acknowledged, the others open.
    const app = tempApp();
    GatewayCompliance.addPacks(app, { packs: [CompliancePack.CONTROL_TOWER] });
    const bucket = new s3.Bucket(new Stack(app, 'Fixture'), 'Bucket');
    GatewayCompliance.acknowledge(bucket, 'CT.S3.PR.2', REASON);
    // Act + Assess: aws-cdk-lib alone would count the plugin as successful here.
    expect(() => app.synth()).toThrow(/\[CT\.S3\.PR\.1\]: Require an Amazon S3 bucket to have block public access settings configured/);
  });

  test('an excluded control is not run, and the exclusion is reported with its reason', () => {
    const report = synthWithCompliance((app) => new s3.Bucket(new Stack(app, 'Fixture'), 'Bucket'), {
      compliance: {
        packs: [CompliancePack.CONTROL_TOWER],
        controlTowerExclusions: [{ controlId: 'CT.S3.PR.9', reason: 'Object Lock retention is set per data class by the records policy, not per bucket.' }],
      },
      countControlTowerOutcomes: true,
    });
    const ids = report.findings.map((f) => f.findingId);
    expect(ids).toContain('CT.S3.PR.2');
    expect(ids).not.toContain('CT.S3.PR.9');
    expect(report.exclusions).toEqual([{
      pack: 'cdk-validator-cfnguard', findingId: 'CT.S3.PR.9', ruleName: 's3_bucket_object_lock_enabled_check',
      reason: 'Object Lock retention is set per data class by the records policy, not per bucket.',
    }]);
    expect(report.packs).toEqual([expect.objectContaining({ pack: 'cdk-validator-cfnguard', rulesEvaluated: 236 })]);
  });
});

describe('acknowledgments in the report', () => {
  let report: ComplianceReport;
  beforeAll(() => {
    report = synthWithCompliance((app) => {
      const stack = new Stack(app, 'Fixture');
      const bucket = new s3.Bucket(stack, 'Bucket');
      GatewayCompliance.acknowledge(bucket, 'AwsSolutions-S10', REASON);
      // Raw, un-namespaced: cdk-nag drops the finding before the report is written.
      Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: REASON });
      // Stale: the bucket has no such finding.
      GatewayCompliance.acknowledge(bucket, 'AwsSolutions-IAM5[Resource::*]', REASON);
      const role = new iam.Role(stack, 'Router', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: ['*'] }));
      GatewayCompliance.acknowledge(role, 'AiGateway-BedrockModelAccessScoped[Resource::*]',
        'Fixture only: the role is never deployed; it shows that an AiGateway finding can be acknowledged.');
    }, { compliance: { packs: [CompliancePack.AWS_SOLUTIONS, CompliancePack.AI_GATEWAY] } });
  });

  test('a namespaced acknowledgment suppresses exactly its finding, on the construct and below', () => {
    expect(report.acknowledgedFindings.map((f) => [f.findingId, f.constructPath, f.acknowledgedAt])).toEqual([
      ['AwsSolutions-S10', 'Fixture/Bucket/Resource', 'Fixture/Bucket'],
      ['AiGateway-BedrockModelAccessScoped[Resource::*]', 'Fixture/Router/DefaultPolicy/Resource', 'Fixture/Router'],
    ]);
    // The role's IAM5 finding on the same resource is not covered by the AiGateway acknowledgment.
    expect(report.findings.map((f) => [f.findingId, f.constructPath])).toEqual([
      ['AwsSolutions-IAM5[Resource::*]', 'Fixture/Router/DefaultPolicy/Resource'],
    ]);
  });

  test('a raw acknowledgment that hides its finding from the report is rejected', () => {
    expect(report.acknowledgmentProblems.map((a) => [a.recordedId, a.constructPath])).toEqual([['Annotation::AwsSolutions-S1', 'Fixture/Bucket']]);
    expect(report.findings.map((f) => f.findingId)).not.toContain('AwsSolutions-S1');
    expect(report.formatFindings()).toMatch(
      /1 acknowledgment\(s\) a reviewer would reject .*:\n {2}Annotation::AwsSolutions-S1 +Fixture\/Bucket +acknowledges the cdk-nag finding 'AwsSolutions-S1' without its pack namespace/);
  });

  test('acknowledgments that matched nothing are listed', () => {
    expect(report.unusedAcknowledgments.map((a) => [a.findingId, a.constructPath])).toEqual([
      ['Annotation::AwsSolutions-S1', 'Fixture/Bucket'],
      ['AwsSolutions-IAM5[Resource::*]', 'Fixture/Bucket'],
    ]);
  });
});

describe('aws-cdk-lib\'s built-in template validation', () => {
  test('its warnings are findings too, and are acknowledged the same way', () => {
    // Prepare: nodejs16.x was deprecated in 2024, so the built-in validation warns (W2531) on any date after.
    const report = synthWithCompliance((app) => {
      const stack = new Stack(app, 'Fixture');
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      // Logging to a group of the template, so AiGateway-ServiceLogGroupManaged has nothing to say.
      const logGroup = new logs.LogGroup(stack, 'Logs');
      const fn = (name: string) => new lambda.CfnFunction(stack, name, {
        role: role.roleArn, runtime: 'nodejs16.x', handler: 'index.handler', code: { zipFile: 'exports.handler = async () => 1;' },
        loggingConfig: { logGroup: logGroup.logGroupName },
      });
      fn('Open');
      GatewayCompliance.acknowledge(fn('Acknowledged'), 'CloudFormation-Validate::W2531',
        'Fixture only: this function exists to show that a template validation warning can be acknowledged.');
    }, { compliance: { packs: [CompliancePack.AI_GATEWAY] } });
    // Assess
    expect(report.findings).toEqual([expect.objectContaining({
      pack: 'CloudFormation Validate', findingId: 'CloudFormation-Validate::W2531', constructPath: 'Fixture/Open', severity: 'warning',
      description: expect.stringMatching(/Runtime 'nodejs16.x' was deprecated/),
    })]);
    expect(report.acknowledgedFindings.map((f) => [f.findingId, f.constructPath])).toEqual([['CloudFormation-Validate::W2531', 'Fixture/Acknowledged']]);
    expect(report.packs.map((p) => [p.pack, p.title])).toEqual([
      ['AiGateway', 'cdk-ai-gateway rules'], ['CloudFormation Validate', 'CloudFormation template validation (aws-cdk-lib built-in)'],
    ]);
  });
});

describe('ComplianceReport.synthesize', () => {
  test('fails with the open findings through expectNoUnacknowledgedFindings', () => {
    expect(() => expectNoUnacknowledgedFindings((app) => new s3.Bucket(new Stack(app, 'Fixture'), 'Bucket'), {
      compliance: { packs: [CompliancePack.AWS_SOLUTIONS] },
    })).toThrow(/Compliance check failed\.\n\n2 unacknowledged compliance finding\(s\).*\n {2}AwsSolutions-S1 +AwsSolutions +Fixture\/Bucket\/Resource +The S3 Bucket has server access logs disabled\./);
  });

  test('rethrows a synthesis error that is not a compliance finding', () => {
    const app = tempApp();
    const stack = new Stack(app, 'Fixture');
    stack.node.addValidation({ validate: () => ['the fixture is invalid on purpose'] });
    expect(() => ComplianceReport.synthesize(app)).toThrow(/the fixture is invalid on purpose/);
  });

  test('adds the packs when the app has none, re-synthesizes an app synthesized before, and restores CDK_APP_MODE', () => {
    // Prepare
    const app = tempApp();
    new s3.Bucket(new Stack(app, 'Fixture'), 'Bucket');
    app.synth();
    const previous = process.env.CDK_APP_MODE;
    process.env.CDK_APP_MODE = 'process';
    try {
      // Act
      const report = ComplianceReport.synthesize(app);
      // Assess
      expect(GatewayCompliance.hasPacks(app)).toBe(true);
      expect(report.findings.map((f) => f.findingId)).toContain('AwsSolutions-S1');
      expect(process.env.CDK_APP_MODE).toBe('process');
    } finally {
      if (previous === undefined) delete process.env.CDK_APP_MODE;
      else process.env.CDK_APP_MODE = previous;
    }
  });

  test('needs an App', () => {
    const stack = new Stack(new App(), 'Fixture');
    expect(() => ComplianceReport.synthesize(stack as unknown as App)).toThrow(/app must be an App/);
  });
});

/*
 * `npm run compliance` (scripts/compliance-report.ts). Its tests live in this file so that their
 * syntheses share the process, and aws-cdk-lib's template validation engine, with the harness's.
 */

const FIXTURES = join(__dirname, 'fixtures');

describe('npm run compliance', () => {
  let dir: string;
  let lines: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'compliance-report-test-'));
    lines = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('writes a passing report for an app whose findings are all acknowledged, and exits 0', () => {
    // Prepare
    const out = join(dir, 'compliance-report.md');
    // Act
    const result = runComplianceReport({ buildApp: buildExampleApp, out, generatedAt: '2026-01-01T00:00:00Z', log: (l) => lines.push(l) });
    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.outFile).toBe(out);
    const markdown = readFileSync(out, 'utf8');
    expect(markdown).toMatch(/^# cdk-ai-gateway compliance report\n\nStacks checked: `Fixture`\.\n\nGenerated 2026-01-01T00:00:00Z\.\n\n\*\*Result: passed\.\*\*/);
    expect(markdown).toMatch(/\n\| AWS Solutions \(cdk-nag\) \| `AwsSolutions` \| 3\.0\.2 \| 131 \| \d+ \| \d+ \| 0 \| \d+ \| 0 \| 0 \| 0 \|\n/);
    expect(markdown).toMatch(/\n\| AWS Control Tower proactive controls \(cfn-guard\) \| `cdk-validator-cfnguard` \| 0\.0\.62 \(cfn-guard 3\.1\.1\) \| 237 \| \d+ \| \d+ \| 1 \| – \| – \| 1 \| 0 \|\n/);
    expect(markdown).toContain(`| \`CT.KMS.PR.3\` | \`Fixture/Key\` | 1 | ${KEY_GRANT_REASON} |`);
    expect(markdown).not.toContain('## Open findings');
    expect(lines[0]).toMatch(/^Synthesized 1 stack\(s\) with 7 pack\(s\) in \d+\.\ds\.$/);
    expect(lines).toContain(`Passed: report written to ${out}`);
  });

  test('exits 1 and lists the open findings, keeping packs the app registered itself', () => {
    const out = join(dir, 'report.md');
    const result = runComplianceReport({
      buildApp: (app) => {
        GatewayCompliance.addPacks(app, { packs: [CompliancePack.AWS_SOLUTIONS] });
        new s3.Bucket(new Stack(app, 'Data'), 'Bucket', { enforceSSL: true });
      },
      out,
      log: (l) => lines.push(l),
    });
    expect(result.exitCode).toBe(1);
    expect(result.report.packs.map((p) => p.pack)).toEqual(['AwsSolutions']);
    const markdown = readFileSync(out, 'utf8');
    expect(markdown).toContain('**Result: failed.** 1 open finding(s), 0 plugin failure(s), 0 rejected acknowledgment(s).');
    expect(markdown).toContain('| `AwsSolutions-S1` | AwsSolutions | `Data/Bucket/Resource` | error | The S3 Bucket has server access logs disabled. |');
    expect(lines).toContain(`FAILED: report written to ${out}`);
    expect(lines.join('\n')).toMatch(/\n {2}AwsSolutions-S1 +AwsSolutions +Data\/Bucket\/Resource +The S3 Bucket has server access logs disabled\./);
  });
});

describe('loadExampleAppBuilder', () => {
  test('loads buildExampleApp from the module', () => {
    expect(typeof loadExampleAppBuilder(join(FIXTURES, 'example-app'))).toBe('function');
  });

  test('says what is missing when the example app does not exist', () => {
    expect(() => loadExampleAppBuilder(join(FIXTURES, 'missing', 'example')))
      .toThrow(/The compliance report checks the example app, but .*missing\/example\.ts does not exist\. It must export 'function buildExampleApp\(app\?: App\): App'/);
  });

  test('says what is missing when the module does not export buildExampleApp', () => {
    expect(() => loadExampleAppBuilder(join(FIXTURES, 'no-builder')))
      .toThrow(/no-builder must export 'function buildExampleApp\(app\?: App\): App'; it exports buildApp\./);
  });

  test('defaults to bin/example', () => {
    expect(EXAMPLE_APP_MODULE).toBe(join(__dirname, '..', '..', 'bin', 'example'));
  });
});

describe('main', () => {
  test('prints usage with --help', () => {
    const lines: string[] = [];
    expect(main(['--help'], (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual(['Usage: npm run compliance -- [--out compliance-report.md] [--app bin/example] [--verbose]']);
  });

  test.each([
    [['--bogus'], /^compliance report: Unknown option '--bogus'/],
    [['--app', join(FIXTURES, 'missing.ts')], /^compliance report: The compliance report checks the example app, but .*missing\.ts does not exist/],
  ])('exits 2 with a message for %j', (argv, message) => {
    const lines: string[] = [];
    expect(main(argv, (l) => lines.push(l))).toBe(2);
    expect(lines).toEqual([expect.stringMatching(message)]);
  });
});
