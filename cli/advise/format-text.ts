/** The advisor's terminal report: one summary table, then each workflow's alternatives and recommendation. */
import { formatTable } from '../usage/report';
import { AdvisorReport } from './analyse';

const usd = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(2));
const pct = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v * 100)}%`);

/**
 * The report as text tables.
 *
 * @example
 * io.stdout(formatAdvisorText(advise({ month, records })));
 */
export function formatAdvisorText(report: AdvisorReport): string {
  const out: string[] = [`Workload advisor, ${report.month} (${report.hoursInMonth} hours)`, ''];
  out.push(formatTable(
    ['WORKFLOW', 'REQUESTS', 'STEADINESS', 'HOURLY CV', 'AVG IN', 'AVG OUT', 'LATENCY', 'SENSITIVITY', 'COST USD', 'WASTE USD', 'RECOMMENDATION'],
    report.workflows.map((w) => [
      w.workflow, String(w.volume.requests), w.volume.steadiness, w.volume.hourlyCv.toFixed(2), w.tokenMix.avgInputTokens.toFixed(0),
      w.tokenMix.avgOutputTokens.toFixed(0), w.latencyClass, w.sensitivity, w.costUsd.toFixed(4), w.tokenWaste.wasteUsd.toFixed(4), w.recommendation,
    ]),
  ));
  if (report.utilizationNotes.length > 0) out.push('', ...report.utilizationNotes.map((n) => `GPU utilisation: ${n}`));
  if (report.capacity.length > 0) {
    out.push('', 'Self-hosted capacity', formatTable(
      ['TARGET', 'INSTANCE', 'INSTANCE HOURS', 'GPU USD', 'REQUESTS', 'OUT TOKENS', 'UTILISATION', 'WASTE USD', 'FLAG'],
      report.capacity.map((c) => [
        c.targetId, c.instanceType, String(c.instanceHours), usd(c.gpuCostUsd), String(c.requests), String(c.outputTokens), pct(c.utilization),
        usd(c.wasteUsd), c.capacityWaste ? 'CAPACITY WASTE' : '',
      ]),
    ));
  }
  for (const w of report.workflows) {
    out.push('', `Workflow ${w.workflow} (tenants: ${w.tenants.join(', ')}): ${w.recommendation}`);
    for (const reason of w.reasons) out.push(`  - ${reason}`);
    out.push(formatTable(
      ['ALTERNATIVE', 'MONTHLY USD', 'BREAK-EVEN OUT TOKENS', 'BREAK-EVEN UTIL', 'UTIL AT VOLUME', 'SOURCE'],
      w.alternatives.map((a) => [
        a.label, usd(a.monthlyUsd), a.breakEvenOutputTokens === undefined ? '-' : String(a.breakEvenOutputTokens), pct(a.breakEvenUtilization),
        pct(a.utilizationAtVolume), a.source ? `${a.source.url} (${a.source.date})` : a.note,
      ]),
    ));
  }
  if (report.workflows.length === 0) out.push('No chat requests recorded for this month.');
  return out.join('\n');
}
