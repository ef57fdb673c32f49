/**
 * One JSON object per line on stdout: the form of every log line the router and its helpers write
 * (CloudWatch Logs keeps each line as one event; Logs Insights reads its fields).
 *
 * @example
 * stdoutLine({ level: 'WARN', message: 'budget threshold crossed', 'gateway.tenant.id': 'acme' });
 */
export function stdoutLine(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
