import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ComplianceReport } from '../../lib';

/**
 * A validation-report.json written by aws-cdk-lib 2.276 for a fixture app (two buckets and a
 * router role, checked by AwsSolutions, Control Tower and AiGateway, three findings acknowledged),
 * trimmed to one violation per plugin, plus a plugin failure as aws-cdk-lib records one.
 */
const FIXTURE = readFileSync(join(__dirname, 'fixtures', 'validation-report.json'), 'utf8');
const LOGS_REASON = 'This bucket receives the server access logs of the data bucket; logging it again would recurse.';
const ROUTER_REASON = 'Fixture: the role is never deployed; it exists to show an acknowledged finding with its reason.';

/** The fixture with every open violation fixed: only suppressed ones left, the failed plugin gone. */
function cleanReport(): string {
  const parsed = JSON.parse(FIXTURE) as { pluginReports: { pluginName: string }[] };
  return JSON.stringify({
    ...parsed,
    pluginReports: parsed.pluginReports
      .filter((p) => p.pluginName !== 'Serverless')
      .map((p) => ({ ...p, conclusion: 'success', violations: [] })),
  });
}

describe('ComplianceReport.fromValidationReport', () => {
  const report = ComplianceReport.fromValidationReport(FIXTURE);

  test('lists one open finding per violating construct, with the id to acknowledge it by', () => {
    expect(report.findings).toEqual([
      {
        pack: 'AwsSolutions', ruleName: 'AwsSolutions-S1', findingId: 'AwsSolutions-S1', constructPath: 'Fixture/Data/Resource',
        description: 'The S3 Bucket has server access logs disabled.', severity: 'error',
        suggestedFix: undefined, logicalId: undefined, templatePath: undefined,
      },
      {
        pack: 'cdk-validator-cfnguard', ruleName: 's3_bucket_level_public_access_prohibited_check', findingId: 'CT.S3.PR.1',
        constructPath: 'Fixture/Logs/Resource', logicalId: 'Logs6819BB44', templatePath: 'Fixture.template.json',
        description: '[CT.S3.PR.1]: Require an Amazon S3 bucket to have block public access settings configured',
        suggestedFix: expect.stringMatching(/^The parameters 'BlockPublicAcls'/), severity: 'error',
      },
      expect.objectContaining({ findingId: 'CT.S3.PR.1', constructPath: 'Fixture/Data/Resource', logicalId: 'Data666C94C7' }),
      expect.objectContaining({
        pack: 'AiGateway', findingId: 'AiGateway-BedrockModelAccessScoped[Resource::*]', constructPath: 'Fixture/Router/DefaultPolicy/Resource',
      }),
    ]);
  });

  test('lists acknowledged findings with their reason and where they were acknowledged', () => {
    expect(report.acknowledgedFindings.map((f) => [f.findingId, f.constructPath, f.acknowledgedAt, f.recordedId, f.reason])).toEqual([
      ['AwsSolutions-S1', 'Fixture/Logs/Resource', 'Fixture/Logs', 'AwsSolutions::AwsSolutions-S1', LOGS_REASON],
      ['AwsSolutions-IAM5[Resource::*]', 'Fixture/Router/DefaultPolicy/Resource', 'Fixture/Router',
        'AwsSolutions::AwsSolutions-IAM5[Resource::*]', ROUTER_REASON],
      ['CT.S3.PR.2', 'Fixture/Logs/Resource', 'Fixture/Logs', 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check', LOGS_REASON],
    ]);
  });

  test('reports a plugin that failed to run', () => {
    expect(report.pluginFailures).toEqual([
      { pack: 'Serverless', message: "Validation plugin 'Serverless' failed: Cannot read properties of undefined (reading 'node')" },
    ]);
  });

  test('summarises the packs named in the report, without counts it does not have', () => {
    expect(report.packs).toEqual([
      { pack: 'AwsSolutions', title: 'AWS Solutions (cdk-nag)', version: '3.0.2', openFindings: 1, acknowledgedFindings: 2 },
      { pack: 'cdk-validator-cfnguard', title: 'AWS Control Tower proactive controls (cfn-guard)', version: '0.0.62', openFindings: 2, acknowledgedFindings: 1 },
      { pack: 'AiGateway', title: 'cdk-ai-gateway rules', version: '0.1.0', openFindings: 1, acknowledgedFindings: 0 },
      { pack: 'Serverless', title: 'Serverless (cdk-nag)', version: '3.0.2', openFindings: 0, acknowledgedFindings: 0 },
    ]);
  });

  test('keeps the packs of the context, in order, and adds plugins it did not list', () => {
    const withContext = ComplianceReport.fromValidationReport(FIXTURE, {
      packs: [
        { pack: 'HIPAA.Security', title: 'HIPAA', version: '3.0.2', rulesEvaluated: 90, rulesApplicable: 0, rulesPassed: 0, rulesWithFindings: 0 },
        { pack: 'AwsSolutions', title: 'AWS Solutions', rulesEvaluated: 131, rulesApplicable: 9, rulesPassed: 6, rulesWithFindings: 3 },
      ],
    });
    expect(withContext.packs.map((p) => [p.pack, p.rulesEvaluated, p.openFindings])).toEqual([
      ['HIPAA.Security', 90, 0], ['AwsSolutions', 131, 1], ['cdk-validator-cfnguard', undefined, 2], ['AiGateway', undefined, 1], ['Serverless', undefined, 0],
    ]);
  });

  test('derives the acknowledgments from the suppressed findings when the tree is not given', () => {
    expect(report.acknowledgments.map((a) => [a.findingId, a.constructPath, a.findingsCovered, a.problem])).toEqual([
      ['AwsSolutions-S1', 'Fixture/Logs', 1, undefined],
      ['AwsSolutions-IAM5[Resource::*]', 'Fixture/Router', 1, undefined],
      ['CT.S3.PR.2', 'Fixture/Logs', 1, undefined],
    ]);
    expect(report.unusedAcknowledgments).toEqual([]);
  });

  test('counts the findings each acknowledgment of the tree covered, and flags those that covered none', () => {
    const withTree = ComplianceReport.fromValidationReport(FIXTURE, {
      acknowledgments: [
        { recordedId: 'AwsSolutions::AwsSolutions-S1', findingId: 'AwsSolutions-S1', reason: LOGS_REASON, constructPath: 'Fixture/Logs' },
        { recordedId: 'AwsSolutions::AwsSolutions-S1', findingId: 'AwsSolutions-S1', reason: LOGS_REASON, constructPath: 'Fixture/Data' },
      ],
    });
    expect(withTree.acknowledgments.map((a) => [a.constructPath, a.findingsCovered])).toEqual([['Fixture/Logs', 1], ['Fixture/Data', 0]]);
    expect(withTree.unusedAcknowledgments.map((a) => a.constructPath)).toEqual(['Fixture/Data']);
  });

  test('passes only without open findings, plugin failures and rejected acknowledgments', () => {
    expect(report.passed).toBe(false);
    const clean = cleanReport();
    expect(ComplianceReport.fromValidationReport(clean).passed).toBe(true);
    const rejected = ComplianceReport.fromValidationReport(clean, {
      acknowledgments: [{ recordedId: 'AwsSolutions::AwsSolutions-S1', findingId: 'AwsSolutions-S1', reason: 'n/a', constructPath: 'Fixture/Logs', problem: 'reason is 3 characters long' }],
    });
    expect(rejected.passed).toBe(false);
    expect(rejected.acknowledgmentProblems.map((a) => a.problem)).toEqual(['reason is 3 characters long']);
  });

  test.each([
    ['not json', /validation-report.json is not JSON/],
    ['{}', /validation-report.json.pluginReports must be an array; received nothing/],
    ['{"pluginReports":[{"pluginName":"X","conclusion":"failure","violations":[{"description":"d","violatingConstructs":[]}]}]}',
      /validation-report.json pluginReports\[0\].violations\[0\].ruleName must be a string; received nothing/],
    ['{"pluginReports":[{"pluginName":"X","conclusion":"failure","violations":[{"ruleName":"r","description":"d","violatingConstructs":{}}]}]}',
      /pluginReports\[0\].violations\[0\].violatingConstructs must be an array; received \{\}/],
  ])('rejects a malformed report %s', (json, message) => {
    expect(() => ComplianceReport.fromValidationReport(json)).toThrow(message);
  });
});

describe('ComplianceReport.formatFindings', () => {
  test('prints one aligned line per open finding: rule, pack, construct path, description', () => {
    const lines = ComplianceReport.fromValidationReport(FIXTURE).formatFindings().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      '4 unacknowledged compliance finding(s) (rule, pack, construct path, description):',
      '  AwsSolutions-S1                                  AwsSolutions            Fixture/Data/Resource                  The S3 Bucket has server access logs disabled.',
      '  CT.S3.PR.1                                       cdk-validator-cfnguard  Fixture/Logs/Resource                  [CT.S3.PR.1]: Require an Amazon S3 bucket to have block public access settings configured',
      '  CT.S3.PR.1                                       cdk-validator-cfnguard  Fixture/Data/Resource                  [CT.S3.PR.1]: Require an Amazon S3 bucket to have block public access settings configured',
      '  AiGateway-BedrockModelAccessScoped[Resource::*]  AiGateway               Fixture/Router/DefaultPolicy/Resource  The IAM policy allows Bedrock model invocation with a wildcard action or on resources that name no model or inference profile.',
    ]);
    expect(lines).toContain("  GatewayCompliance.acknowledge(construct, '<rule>', '<why it does not apply here, or what compensates>')");
    expect(lines).toContain('1 validation plugin(s) failed to run, so their rules were not checked:');
    expect(lines).toContain("  Serverless: Validation plugin 'Serverless' failed: Cannot read properties of undefined (reading 'node')");
  });

  test('is empty when the report passed', () => {
    const clean = cleanReport();
    expect(ComplianceReport.fromValidationReport(clean).formatFindings()).toBe('');
  });
});

describe('ComplianceReport.toMarkdown', () => {
  const report = ComplianceReport.fromValidationReport(FIXTURE, {
    packs: [
      { pack: 'AwsSolutions', title: 'AWS Solutions (cdk-nag)', version: '3.0.2', rulesEvaluated: 131, rulesApplicable: 9, rulesPassed: 6, rulesWithFindings: 3, checksCompliant: 12, checksNonCompliant: 4 },
      { pack: 'cdk-validator-cfnguard', title: 'AWS Control Tower proactive controls (cfn-guard)', version: '0.0.62 (cfn-guard 3.1.1)', rulesEvaluated: 236 },
    ],
    exclusions: [{
      pack: 'cdk-validator-cfnguard', findingId: 'CT.S3.PR.9', ruleName: 's3_bucket_object_lock_enabled_check',
      reason: 'Object Lock | WORM retention is decided per data class by the records policy,\nnot per bucket by this library.',
    }],
  });
  const markdown = report.toMarkdown({ title: 'Gateway compliance', subject: 'Stacks checked: `Fixture`.', generatedAt: '2026-01-01T00:00:00.000Z' });

  test('opens with the title, subject, time and result', () => {
    expect(markdown.split('\n').slice(0, 7)).toEqual([
      '# Gateway compliance', '', 'Stacks checked: `Fixture`.', '', 'Generated 2026-01-01T00:00:00.000Z.', '',
      '**Result: failed.** 4 open finding(s), 1 plugin failure(s), 0 rejected acknowledgment(s).',
    ]);
  });

  test('tabulates the packs run with versions, counts, and acknowledged vs open findings', () => {
    expect(markdown).toContain([
      '| Pack | Plugin | Version | Rules run | Rules applicable | Rules passed | Rules with findings | Checks passed | Checks failed | Findings acknowledged | Findings open |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      '| AWS Solutions (cdk-nag) | `AwsSolutions` | 3.0.2 | 131 | 9 | 6 | 3 | 12 | 4 | 2 | 1 |',
      '| AWS Control Tower proactive controls (cfn-guard) | `cdk-validator-cfnguard` | 0.0.62 (cfn-guard 3.1.1) | 236 | – | – | – | – | – | 1 | 2 |',
      '| cdk-ai-gateway rules | `AiGateway` | 0.1.0 | – | – | – | – | – | – | 0 | 1 |',
    ].join('\n'));
  });

  test('lists exclusions, open findings, failures, acknowledgments with reasons, and acknowledged findings', () => {
    expect(markdown).toContain('## Rules excluded for the whole app\n\n| Rule | Pack | Guard rule | Reason |\n| --- | --- | --- | --- |\n'
      + '| `CT.S3.PR.9` | cdk-validator-cfnguard | `s3_bucket_object_lock_enabled_check` | Object Lock \\| WORM retention is decided per data class by the records policy, not per bucket by this library. |');
    expect(markdown).toContain('| `AwsSolutions-S1` | AwsSolutions | `Fixture/Data/Resource` | error | The S3 Bucket has server access logs disabled. |');
    expect(markdown).toContain("## Plugin failures\n\nThese plugins did not run to completion: their rules were not checked.\n\n| Pack | Error |\n| --- | --- |\n| Serverless | Validation plugin 'Serverless' failed:");
    expect(markdown).toContain(`| \`AwsSolutions-IAM5[Resource::*]\` | \`Fixture/Router\` | 1 | ${ROUTER_REASON} |`);
    expect(markdown).toContain(`| \`CT.S3.PR.2\` | \`Fixture/Logs\` | 1 | ${LOGS_REASON} |`);
    expect(markdown).toContain('| `CT.S3.PR.2` | cdk-validator-cfnguard | `Fixture/Logs/Resource` | `Fixture/Logs` | [CT.S3.PR.2]: Require an Amazon S3 bucket to have server access logging configured |');
    const order = ['## Packs run', '## Rules excluded', '## Open findings', '## Plugin failures', '## Acknowledgments', '## Acknowledged findings'].map((h) => markdown.indexOf(h));
    expect(order.every((at, i) => at > (order[i - 1] ?? -1))).toBe(true);
    expect(markdown).not.toContain('## Rejected acknowledgments');
  });

  test('says passed, and drops the open-findings section, when nothing is open', () => {
    const clean = cleanReport();
    const passed = ComplianceReport.fromValidationReport(clean).toMarkdown({ generatedAt: 'now' });
    expect(passed).toContain('# Compliance report\n\nGenerated now.\n\n**Result: passed.** No open findings: every rule check either passed or is acknowledged below with its reason (3 acknowledged finding(s)).');
    expect(passed).not.toContain('## Open findings');
    expect(passed).not.toContain('## Plugin failures');
  });

  test('matches the snapshot', () => {
    expect(markdown).toMatchSnapshot();
  });
});
