/** Plain-text tables for the key CLI. */

/**
 * Columns padded to their widest cell, two spaces apart.
 *
 * @example
 * formatTable(['ID', 'TIER'], [['1a2b', 'gold']]) // 'ID    TIER\n1a2b  gold'
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
