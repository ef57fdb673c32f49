/**
 * The Batch API's JSON objects in OpenAI's shapes (`File`, `Batch`, output and error lines), from
 * what the store keeps.
 */
import { BatchStatus, StoredBatch, StoredFile } from './store';

/** OpenAI's `FileObject`. */
export function fileObject(file: StoredFile): Record<string, unknown> {
  return {
    id: file.id,
    object: 'file',
    bytes: file.bytes,
    created_at: file.createdAt,
    expires_at: file.expiresAt,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
  };
}

/** Line counts and token totals of a batch so far. */
export interface BatchProgress {
  readonly completed: number;
  readonly failed: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** OpenAI's `Batch`. */
export function batchObject(batch: StoredBatch, progress: BatchProgress): Record<string, unknown> {
  const optional: Record<string, unknown> = {};
  const times: [string, number | undefined][] = [
    ['in_progress_at', batch.inProgressAt], ['finalizing_at', batch.finalizingAt], ['completed_at', batch.completedAt],
    ['failed_at', batch.failedAt], ['expired_at', batch.expiredAt], ['cancelling_at', batch.cancellingAt], ['cancelled_at', batch.cancelledAt],
  ];
  for (const [name, value] of times) if (value !== undefined) optional[name] = value;
  if (batch.outputFileId !== undefined) optional.output_file_id = batch.outputFileId;
  if (batch.errorFileId !== undefined) optional.error_file_id = batch.errorFileId;
  if (batch.errors !== undefined) optional.errors = { object: 'list', data: batch.errors };
  return {
    id: batch.id,
    object: 'batch',
    endpoint: batch.endpoint,
    input_file_id: batch.inputFileId,
    completion_window: batch.completionWindow,
    status: batch.status,
    created_at: batch.createdAt,
    expires_at: batch.expiresAt,
    ...optional,
    request_counts: { total: batch.total, completed: progress.completed, failed: progress.failed },
    usage: {
      input_tokens: progress.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: progress.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: progress.inputTokens + progress.outputTokens,
    },
    metadata: batch.metadata,
  };
}

/** Whether a status still accepts a cancellation. */
export function cancellable(status: BatchStatus): boolean {
  return status === BatchStatus.VALIDATING || status === BatchStatus.IN_PROGRESS;
}

/**
 * An output or error file line: `{id, custom_id, response: {status_code, request_id, body}, error}`.
 * A failed line carries the error envelope as `response.body` and its code and message as `error`.
 */
export function resultLine(id: string, customId: string, requestId: string, status: number, body: unknown): string {
  const envelope = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const error = status >= 400 && envelope !== undefined ? { code: envelope.code ?? null, message: envelope.message ?? null } : null;
  return JSON.stringify({ id, custom_id: customId, response: { status_code: status, request_id: requestId, body }, error });
}
