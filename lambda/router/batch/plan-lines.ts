/**
 * The plan of each line of a checked batch (its first target and provider request, or its error),
 * for the batch jobs that group lines by target (`bedrock-jobs.ts`, `self-hosted-jobs.ts`).
 */
import { parseBatchInput } from './input-file';
import type { BatchRunner } from './runner';
import type { BatchStore, StoredBatch } from './store';
import type { BatchLinePlan, BatchLinePort } from './types';

/**
 * Each line the checks did not refuse, and not in `skip`, with its plan, in input order.
 *
 * @example for (const { line, plan } of await planLines({ store, lines, runner }, batch)) …
 */
export async function planLines(
  ports: { readonly store: BatchStore; readonly lines: BatchLinePort; readonly runner: BatchRunner },
  batch: StoredBatch,
  skip: ReadonlySet<number> = new Set(),
): Promise<{ readonly line: number; readonly plan: BatchLinePlan }[]> {
  const file = await ports.store.getFile(batch.tenantId, batch.inputFileId);
  const refused = new Set(batch.refusals.map((r) => r.line));
  const planned: { line: number; plan: BatchLinePlan }[] = [];
  for (const line of file ? parseBatchInput(file.content) : []) {
    if (refused.has(line.line) || skip.has(line.line)) continue;
    planned.push({ line: line.line, plan: await ports.lines.planBatchLine(ports.runner.lineRequest(batch, line)) });
  }
  return planned;
}
