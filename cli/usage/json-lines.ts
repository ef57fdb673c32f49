/** JSON log lines: a log file or a CloudWatch Logs export, one JSON object per line (maybe after a timestamp). */

/**
 * The JSON objects of a log, with their 1-based line numbers; other lines are skipped.
 *
 * @example
 * for (const { line, object } of jsonObjectLines(readFileSync('router.log', 'utf8'))) console.log(line, object['gateway.route']);
 */
export function jsonObjectLines(text: string): { readonly line: number; readonly object: Record<string, unknown> }[] {
  const found: { line: number; object: Record<string, unknown> }[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const trimmed = raw.trim();
    // A CloudWatch Logs export may prefix each line with its timestamp: the JSON object starts at the first brace.
    const start = trimmed.indexOf('{');
    if (start < 0) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed.slice(start));
    } catch {
      continue;
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) found.push({ line: i + 1, object: parsed as Record<string, unknown> });
  }
  return found;
}
