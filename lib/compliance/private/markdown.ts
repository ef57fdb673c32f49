import type { ComplianceMarkdownOptions, ComplianceReport, PackSummary } from '../compliance-report';
import { FindingOrigin } from '../finding-origin';
import { CDK_LITERAL_AZ_ACKNOWLEDGMENT } from './cdk-acknowledgments';

/** The open findings, plugin failures and acknowledgment problems as aligned plain text. */
export function renderFindings(report: ComplianceReport): string {
  const sections: string[] = [];
  if (report.findings.length > 0) {
    const rows = report.findings.map((f) => [f.findingId, f.pack, f.constructPath, oneLine(f.description)]);
    sections.push([
      `${report.findings.length} unacknowledged compliance finding(s) (rule, pack, construct path, description):`,
      ...alignColumns(rows).map((line) => `  ${line}`),
      'Fix each resource, or acknowledge the finding next to its construct with a reason a reviewer would accept:',
      "  GatewayCompliance.acknowledge(construct, '<rule>', '<why it does not apply here, or what compensates>')",
    ].join('\n'));
  }
  if (report.pluginFailures.length > 0) {
    sections.push([
      `${report.pluginFailures.length} validation plugin(s) failed to run, so their rules were not checked:`,
      ...report.pluginFailures.map((f) => `  ${f.pack}: ${oneLine(f.message)}`),
    ].join('\n'));
  }
  const problems = report.acknowledgmentProblems;
  if (problems.length > 0) {
    sections.push([
      `${problems.length} acknowledgment(s) a reviewer would reject (finding, construct path, problem):`,
      ...alignColumns(problems.map((a) => [a.findingId, a.constructPath, oneLine(a.problem ?? '')])).map((line) => `  ${line}`),
    ].join('\n'));
  }
  return sections.join('\n\n');
}

/** The compliance report as Markdown. */
export function renderMarkdown(report: ComplianceReport, options: ComplianceMarkdownOptions): string {
  const out: string[] = [];
  out.push(`# ${options.title ?? 'Compliance report'}`, '');
  if (options.subject) out.push(options.subject, '');
  out.push(`Generated ${options.generatedAt ?? new Date().toISOString()}.`, '');

  const open = report.findings.length;
  const failures = report.pluginFailures.length;
  const problems = report.acknowledgmentProblems.length;
  out.push(report.passed
    ? `**Result: passed.** No open findings: every rule check either passed or is acknowledged below with its reason (${report.acknowledgedFindings.length} acknowledged finding(s)).`
    : `**Result: failed.** ${open} open finding(s), ${failures} plugin failure(s), ${problems} rejected acknowledgment(s).`);
  out.push('');

  out.push('## Packs run', '');
  out.push(table(
    ['Pack', 'Plugin', 'Version', 'Rules run', 'Rules applicable', 'Rules passed', 'Rules with findings', 'Checks passed', 'Checks failed', 'Findings acknowledged', 'Findings open'],
    report.packs.map((p) => [
      p.title, `\`${p.pack}\``, p.version ?? 'unknown', n(p.rulesEvaluated), n(p.rulesApplicable), n(p.rulesPassed),
      n(p.rulesWithFindings), n(p.checksCompliant), n(p.checksNonCompliant), String(p.acknowledgedFindings), String(p.openFindings),
    ]),
  ));
  out.push('');
  out.push(...packNotes(report.packs), '');

  if (report.exclusions.length > 0) {
    out.push('## Rules excluded for the whole app', '');
    out.push(table(['Rule', 'Pack', 'Guard rule', 'Reason'], report.exclusions.map((e) => [code(e.findingId), e.pack, code(e.ruleName), e.reason])));
    out.push('');
  }

  if (open > 0) {
    out.push('## Open findings', '', 'Neither fixed nor acknowledged; synthesis fails until each is resolved.', '');
    out.push(table(['Finding', 'Pack', 'Construct path', 'Severity', 'Description'],
      report.findings.map((f) => [code(f.findingId), f.pack, code(f.constructPath), f.severity, f.description])));
    out.push('');
  }

  if (failures > 0) {
    out.push('## Plugin failures', '', 'These plugins did not run to completion: their rules were not checked.', '');
    out.push(table(['Pack', 'Error'], report.pluginFailures.map((f) => [f.pack, f.message])));
    out.push('');
  }

  if (problems > 0) {
    out.push('## Rejected acknowledgments', '');
    out.push(table(['Finding', 'Acknowledged at', 'Problem', 'Reason given'],
      report.acknowledgmentProblems.map((a) => [code(a.findingId), code(a.constructPath), a.problem ?? '', a.reason])));
    out.push('');
  }

  out.push(...renderOrigins(report));
  out.push(...renderGovernance(report));

  out.push('## Acknowledgments', '');
  if (report.acknowledgments.length === 0) {
    out.push('None.', '');
  } else {
    out.push('Each acknowledgment covers the construct it is made on and everything below it.', '');
    out.push(table(['Finding', 'Acknowledged at', 'Findings covered', 'Reason'],
      report.acknowledgments.map((a) => [code(a.findingId), code(a.constructPath), String(a.findingsCovered), a.reason])));
    out.push('');
  }

  if (report.acknowledgedFindings.length > 0) {
    out.push('## Acknowledged findings', '');
    out.push(table(['Finding', 'Pack', 'Construct path', 'Acknowledged at', 'Description'],
      report.acknowledgedFindings.map((f) => [code(f.findingId), f.pack, code(f.constructPath), code(f.acknowledgedAt), f.description])));
    out.push('');
  }

  const unused = report.unusedAcknowledgments;
  if (unused.length > 0) {
    out.push('## Acknowledgments that matched no finding', '',
      'Either the finding was fixed and the acknowledgment can go, or it acknowledges a CDK warning rather than a pack finding.', '');
    out.push(...unused.map((a) => `- ${code(a.findingId)} at ${code(a.constructPath)}`), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The library's findings apart from the consumer's own resources. */
function renderOrigins(report: ComplianceReport): string[] {
  if (report.originOf('') === FindingOrigin.UNKNOWN) return [];
  const rows = [FindingOrigin.LIBRARY, FindingOrigin.CONSUMER].map((origin) => {
    const acks = report.acknowledgments.filter((a) => report.originOf(a.constructPath) === origin && !isCdkOwn(a));
    return [
      origin === FindingOrigin.LIBRARY ? 'cdk-ai-gateway constructs' : 'your own resources',
      String(report.findings.filter((f) => report.originOf(f.constructPath) === origin).length),
      String(report.acknowledgedFindings.filter((f) => report.originOf(f.constructPath) === origin).length),
      String(acks.length),
    ];
  });
  return [
    '## Library and consumer findings', '',
    'Findings on the constructs of cdk-ai-gateway (and everything below them) are the library\'s: it fixes them or acknowledges '
    + 'them itself, so a consumer needs no acknowledgment for them. Findings on your own resources are yours. The acknowledgment '
    + 'aws-cdk-lib records itself on a Stack that reads its Availability Zones is counted with neither.', '',
    table(['Whose', 'Open findings', 'Acknowledged findings', 'Acknowledgments made there'], rows), '',
  ];
}

/** aws-cdk-lib's own acknowledgment on a Stack that reads `availabilityZones`. */
function isCdkOwn(a: { findingId: string; reason: string }): boolean {
  return a.findingId === CDK_LITERAL_AZ_ACKNOWLEDGMENT.findingId && a.reason === CDK_LITERAL_AZ_ACKNOWLEDGMENT.reason;
}

/** The governance controls, what implements them, and the evidence counted in the templates. */
function renderGovernance(report: ComplianceReport): string[] {
  const out = ['## Governance controls', '',
    'Each control, the constructs, settings and tests that implement it, and the template evidence a reviewer can check '
    + '(with the number of resources of this app that show it). Controls not built yet are stated as such.', ''];
  out.push(table(['Control', 'Status', 'Implemented by', 'Settings', 'Evidence in the templates', 'Tests', 'Gap'],
    report.governance.map((c) => [
      c.control, c.status, c.implementedBy.join('; ') || '–', c.settings.join('; ') || '–',
      c.evidence.map((e, i) => `${code(`${e.resourceType}${e.property ? ` ${e.property}` : ''}`)}: ${e.description}${c.evidenceFound[i] !== undefined ? ` (${c.evidenceFound[i]} found)` : ''}`).join('; ') || '–',
      c.tests.map(code).join(', ') || '–', c.gap ?? '–',
    ])));
  out.push('');
  return out;
}

function packNotes(packs: readonly PackSummary[]): string[] {
  const notes = [
    '"Rules applicable" counts rules that judged at least one resource; "Rules passed" those that every resource passed. '
    + '"Checks" count (rule, resource) pairs. "Findings" count violating constructs.',
  ];
  if (packs.some((p) => p.rulesEvaluated === undefined)) {
    notes.push('A dash means the plugin does not report that count.');
  }
  return notes;
}

function n(value: number | undefined): string {
  return value === undefined ? '–' : String(value);
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

/** A Markdown table; cell text is kept on one line and `|` is escaped. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (text: string) => oneLine(text).replace(/\|/g, '\\|');
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Pads every column but the last to its widest cell. */
function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i].length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]) : c)).join('  '));
}
