/**
 * The advisor's HTML report: one self-contained page (inline CSS and SVG, no script, no external
 * asset) with the summary, cost per route over time, GPU utilisation against the break-even line,
 * and each workflow's alternatives and recommendation.
 */
import { AdvisorReport } from './analyse';

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const W = 720;
const H = 240;
const PAD = 40;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead>`
    + `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function polyline(points: readonly [number, number][], color: string, label: string): string {
  return `<polyline class="series" data-series="${escape(label)}" fill="none" stroke="${color}" stroke-width="2" points="${points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`;
}

/** A line chart of named series over a shared x axis of labels; optional horizontal reference line. */
function lineChart(id: string, title: string, xLabels: readonly string[], series: readonly { name: string; values: readonly number[] }[], unit: string, reference?: { value: number; label: string }): string {
  const max = Math.max(1e-9, reference?.value ?? 0, ...series.flatMap((s) => s.values)) * 1.1;
  const x = (i: number) => PAD + (xLabels.length <= 1 ? 0 : (i * (W - 2 * PAD)) / (xLabels.length - 1));
  const y = (v: number) => H - PAD - (v / max) * (H - 2 * PAD);
  const parts = [
    `<svg id="${id}" role="img" aria-label="${escape(title)}" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<title>${escape(title)}</title>`,
    `<line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="#333"/><line x1="${PAD}" y1="${PAD}" x2="${PAD}" y2="${H - PAD}" stroke="#333"/>`,
    `<text x="4" y="${PAD - 8}" font-size="11">${escape(`${max.toFixed(max < 10 ? 4 : 0)} ${unit}`)}</text>`,
    ...(xLabels.length > 0 ? [`<text x="${PAD}" y="${H - 8}" font-size="11">${escape(xLabels[0])}</text>`,
      `<text x="${W - PAD}" y="${H - 8}" font-size="11" text-anchor="end">${escape(xLabels[xLabels.length - 1])}</text>`] : []),
    ...series.map((s, i) => polyline(s.values.map((v, j) => [x(j), y(v)]), COLORS[i % COLORS.length], s.name)),
    ...(reference ? [`<line class="break-even" x1="${PAD}" y1="${y(reference.value).toFixed(1)}" x2="${W - PAD}" y2="${y(reference.value).toFixed(1)}" stroke="#d62728" stroke-dasharray="6 4"/>`,
      `<text x="${W - PAD}" y="${(y(reference.value) - 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#d62728">${escape(reference.label)}</text>`] : []),
    ...series.map((s, i) => `<text x="${PAD + 8 + i * 140}" y="${PAD - 8}" font-size="11" fill="${COLORS[i % COLORS.length]}">${escape(s.name)}</text>`),
    '</svg>',
  ];
  return parts.join('');
}

/**
 * The report as one HTML page.
 *
 * @example
 * writeFileSync('advice.html', formatAdvisorHtml(report));
 */
export function formatAdvisorHtml(report: AdvisorReport): string {
  const days = [...new Set(report.dailyRouteCost.map((d) => d.day))].sort();
  const routes = [...new Set(report.dailyRouteCost.map((d) => d.route))].sort();
  const costSeries = routes.map((route) => ({
    name: route, values: days.map((day) => report.dailyRouteCost.find((d) => d.day === day && d.route === route)?.costUsd ?? 0),
  }));
  const sections: string[] = [
    `<h1>Workload advisor, ${escape(report.month)}</h1>`,
    '<h2>Workflows</h2>',
    table(['Workflow', 'Requests', 'Steadiness', 'Avg in', 'Avg out', 'Latency class', 'Sensitivity', 'Cost USD', 'Waste USD', 'Recommendation'],
      report.workflows.map((w) => [w.workflow, String(w.volume.requests), w.volume.steadiness, w.tokenMix.avgInputTokens.toFixed(0),
        w.tokenMix.avgOutputTokens.toFixed(0), w.latencyClass, w.sensitivity, w.costUsd.toFixed(4), w.tokenWaste.wasteUsd.toFixed(4), w.recommendation])),
    '<h2>Cost per route over time</h2>',
    lineChart('cost-per-route', 'Cost per route per day (USD)', days, costSeries, 'USD'),
  ];
  if (report.utilizationNotes.length > 0) sections.push(`<ul class="utilization-notes">${report.utilizationNotes.map((n) => `<li>GPU utilisation: ${escape(n)}</li>`).join('')}</ul>`);
  if (report.capacity.length > 0) {
    sections.push('<h2>Self-hosted capacity</h2>', table(['Target', 'Instance', 'Instance hours', 'GPU USD', 'Output tokens', 'Utilisation', 'Waste USD', 'Flag'],
      report.capacity.map((c) => [c.targetId, c.instanceType, String(c.instanceHours), c.gpuCostUsd.toFixed(2), String(c.outputTokens),
        c.utilization === undefined ? '-' : `${Math.round(c.utilization * 100)}%`, c.wasteUsd === undefined ? '-' : c.wasteUsd.toFixed(2),
        c.capacityWaste ? 'capacity waste' : ''])));
    for (const s of report.utilizationSeries) {
      sections.push(`<h3>GPU utilisation of ${escape(s.targetId)}</h3>`, lineChart(`utilization-${s.targetId.replace(/[^A-Za-z0-9_-]/g, '_')}`,
        `GPU utilisation of ${s.targetId} against the break-even line (%)`, s.points.map((p) => p.hour), [{ name: 'GPU %', values: s.points.map((p) => p.percent) }], '%',
        s.breakEvenPercent !== undefined ? { value: s.breakEvenPercent, label: `break-even ${s.breakEvenPercent} %` } : undefined));
    }
  }
  for (const w of report.workflows) {
    sections.push(`<h2>Workflow ${escape(w.workflow)}: ${escape(w.recommendation)}</h2>`,
      `<ul>${w.reasons.map((r) => `<li>${escape(r)}</li>`).join('')}</ul>`,
      table(['Alternative', 'Monthly USD', 'Break-even output tokens', 'Break-even utilisation', 'Utilisation at volume', 'Source'],
        w.alternatives.map((a) => [a.label, a.monthlyUsd === undefined ? '-' : a.monthlyUsd.toFixed(2), a.breakEvenOutputTokens === undefined ? '-' : String(a.breakEvenOutputTokens),
          a.breakEvenUtilization === undefined ? '-' : `${Math.round(a.breakEvenUtilization * 100)}%`,
          a.utilizationAtVolume === undefined ? '-' : `${Math.round(a.utilizationAtVolume * 100)}%`, a.source ? `${a.source.url} (${a.source.date})` : a.note])));
  }
  sections.push('<h2>Throughput sources</h2>', `<ul>${report.sources.map((s) => `<li>${s.url.startsWith('https://') ? `<a href="${escape(s.url)}">${escape(s.url)}</a>` : escape(s.url)} (${escape(s.date)}): ${escape(s.note)}</li>`).join('')}</ul>`);
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Workload advisor ${escape(report.month)}</title>`
    + '<style>body{font-family:sans-serif;margin:24px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}th{background:#f4f4f4}</style>'
    + `</head><body>${sections.join('\n')}</body></html>\n`;
}
