import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CompliancePack, GatewayCompliance } from '../../lib';
import { EXAMPLE_APP_MODULE, loadExampleAppBuilder, main, runComplianceReport } from '../../scripts/compliance-report';
import { KEY_GRANT_REASON } from '../helpers/compliance-fixtures';
import { buildExampleApp } from './fixtures/example-app';

// Real synthesis with every pack; the first one in a process also starts aws-cdk-lib's template
// validation engine. Seconds on an idle machine, but allow for a shared, loaded CI host.
jest.setTimeout(180_000);

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
