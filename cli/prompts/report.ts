/** The text report of `prompts eval`: one row per version, then the cases that changed verdict. */
import { EvalReport } from './eval';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
}

const usd = (n: number): string => n.toFixed(6);

/**
 * Formats an evaluation report for a terminal.
 *
 * @example
 * io.stdout(formatEvalReport(report));
 */
export function formatEvalReport(report: EvalReport): string {
  const rows = [['version', 'pass', 'pass rate', 'errors', 'in tok/req', 'out tok/req', 'cost USD', 'USD/req', 'p50 ms', 'p95 ms', 'verdict']];
  for (const v of report.versions) {
    rows.push([
      String(v.version), `${v.passed}/${v.results.length}`, `${(v.passRate * 100).toFixed(1)} %`, String(v.errors),
      v.inputTokensPerRequest.toFixed(1), v.outputTokensPerRequest.toFixed(1), usd(v.costUsd), usd(v.costPerRequestUsd),
      String(Math.round(v.latencyP50Ms)), String(Math.round(v.latencyP95Ms)),
      v.version === report.baseline ? 'baseline' : v.regressed ? 'REGRESSED' : 'ok',
    ]);
  }
  const lines = [`Prompt ${report.promptId}: ${report.versions[0]?.results.length ?? 0} cases, baseline version ${report.baseline}`, '', table(rows)];
  for (const v of report.versions.slice(1)) {
    if (v.changed.length === 0) continue;
    lines.push('', `Changed verdicts, version ${report.baseline} → ${v.version}:`);
    for (const c of v.changed) {
      const why = v.results.find((r) => r.caseId === c.caseId)?.failures.join('; ');
      lines.push(`  ${c.caseId}: ${c.from ? 'PASS' : 'FAIL'} → ${c.to ? 'PASS' : 'FAIL'}${why ? ` (${why})` : ''}`);
    }
  }
  const failing = report.versions.flatMap((v) => v.results.filter((r) => !r.pass).map((r) => `  v${v.version} ${r.caseId}: ${r.failures.join('; ')}`));
  if (failing.length > 0) lines.push('', 'Failed cases:', ...failing);
  lines.push('', report.regressed ? 'Result: a version regressed.' : 'Result: no version regressed.');
  return lines.join('\n');
}
