// Percentiles of exact samples (milliseconds, as floats) and plain-text tables.

/** Sorts a copy of the samples (ascending) as a Float64Array. */
export function sorted(samples) {
  return Float64Array.from(samples).sort();
}

/** The nearest-rank percentile `p` (0–100) of ascending samples; NaN without samples. */
export function percentile(ascending, p) {
  if (ascending.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * ascending.length);
  return ascending[Math.min(ascending.length, Math.max(1, rank)) - 1];
}

export function median(values) {
  return percentile(sorted(values), 50);
}

/** Rounds for display and JSON: 3 decimals below 10, 2 below 1000, integers above. */
export function round(value) {
  if (value === undefined || value === null || Number.isNaN(value)) return null;
  const abs = Math.abs(value);
  const digits = abs < 10 ? 3 : abs < 1000 ? 2 : 0;
  return Number(value.toFixed(digits));
}

/** A fixed-width text table: `columns` are header strings, `rows` arrays of cells; the first `left` columns are left-aligned. */
export function table(columns, rows, left = 1) {
  const text = (v) => (v === null || v === undefined ? '–' : String(v));
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => text(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i < left ? text(c).padEnd(widths[i]) : text(c).padStart(widths[i]))).join('  ');
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
