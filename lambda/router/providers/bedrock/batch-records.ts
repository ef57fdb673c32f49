/**
 * Bedrock batch inference (pure): the records of a `CreateModelInvocationJob` input file and back.
 *
 * Jobs use the `Converse` model invocation type, so a record's `modelInput` is the body of a
 * Converse request (what `toConverseInput` builds, without `modelId`: the job names the model) and
 * its `modelOutput` a Converse response (read by `fromConverseOutput`). One format for every model
 * family that supports batch inference (Anthropic Claude, Amazon Nova, Meta Llama, Mistral, …):
 * the family's own InvokeModel body is never written by hand, and the answer is read exactly as a
 * synchronous Converse answer is — usage, finish reason and guardrail action included.
 *
 * Output records come back in any order, each `{recordId, modelInput, modelOutput}` or
 * `{recordId, modelInput, error: {errorCode, errorMessage}}`; a record missing from the output
 * (a job that failed, stopped or expired part way) is the caller's to settle.
 */
import type { CreateModelInvocationJobRequest } from '@aws-sdk/client-bedrock';
import type { ConverseCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { UpstreamError } from '../../errors';
import type { BedrockTarget, Completion, ProviderRequest } from '../types';
import { fromConverseOutput, toConverseInput } from './mapping';

/** A record id: 11 alphanumeric characters, the format Bedrock's examples use; the index in the job's input. */
export function batchRecordId(index: number): string {
  return `R${String(index).padStart(10, '0')}`;
}

/**
 * One line of a job's input file.
 *
 * @example
 * toBatchRecord(0, target, request) // '{"recordId":"R0000000000","modelInput":{"messages":[...],"inferenceConfig":{"maxTokens":16}}}'
 */
export function toBatchRecord(index: number, target: BedrockTarget, request: ProviderRequest): string {
  const { modelId: _job, ...modelInput } = toConverseInput(target, request);
  return JSON.stringify({ recordId: batchRecordId(index), modelInput });
}

/** An output line, read: its record id and its answer or its failure. */
export interface BatchRecordOutput {
  readonly recordId: string;
  readonly modelOutput?: Pick<ConverseCommandOutput, 'output' | 'stopReason' | 'usage' | 'trace'>;
  readonly error?: { readonly errorCode?: number | string; readonly errorMessage?: string };
}

/** Parses one line of a job's output file (`<input>.jsonl.out`). Throws on a line that is not a record. */
export function parseBatchRecordOutput(line: string): BatchRecordOutput {
  const value = JSON.parse(line) as Partial<BatchRecordOutput> | null;
  if (value === null || typeof value !== 'object' || typeof value.recordId !== 'string') {
    throw new UpstreamError('a batch output line without a recordId', { disposition: 'fallback', code: 'malformedResponse' });
  }
  return { recordId: value.recordId, ...(value.modelOutput ? { modelOutput: value.modelOutput } : {}), ...(value.error ? { error: value.error } : {}) };
}

/**
 * The record's answer as a `Completion`, or the `UpstreamError` a synchronous call failing the same
 * way would raise (a 4xx error code is the request's fault; anything else the model's).
 */
export function fromBatchRecord(target: BedrockTarget, request: ProviderRequest, record: BatchRecordOutput): Completion {
  if (record.modelOutput) return fromConverseOutput(target, request, record.modelOutput);
  const code = Number(record.error?.errorCode);
  const clientFault = code >= 400 && code < 500 && code !== 429;
  throw new UpstreamError(`the batch record failed${record.error?.errorCode !== undefined ? ` (${String(record.error.errorCode)})` : ''}`, {
    disposition: clientFault ? 'client' : 'fallback',
    code: clientFault ? 'validation' : 'modelError',
    ...(Number.isFinite(code) ? { upstreamStatus: code } : {}),
  });
}

/** What a job needs: where its input and output live and who it runs as. */
export interface BatchJobSpec {
  /** Unique per job and stable across retries (the gateway's job id): also the idempotency token. */
  readonly jobName: string;
  /** The Bedrock service role (trust `bedrock.amazonaws.com`, read the input, write the output). */
  readonly roleArn: string;
  /** The model id, or the cross-Region inference profile id, of the target. */
  readonly modelId: string;
  readonly inputS3Uri: string;
  readonly outputS3Uri: string;
  /** The KMS key the output is encrypted with. */
  readonly outputKmsKeyId?: string;
  /** @default 24 (the completion window) */
  readonly timeoutHours?: number;
}

/**
 * The `CreateModelInvocationJob` request: Converse records, JSONL input, the job name as
 * `clientRequestToken` so a retried create starts one job.
 */
export function modelInvocationJobRequest(spec: BatchJobSpec): CreateModelInvocationJobRequest {
  return {
    jobName: spec.jobName,
    clientRequestToken: spec.jobName,
    roleArn: spec.roleArn,
    modelId: spec.modelId,
    modelInvocationType: 'Converse',
    inputDataConfig: { s3InputDataConfig: { s3Uri: spec.inputS3Uri, s3InputFormat: 'JSONL' } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: spec.outputS3Uri, ...(spec.outputKmsKeyId ? { s3EncryptionKeyId: spec.outputKmsKeyId } : {}) } },
    timeoutDurationInHours: spec.timeoutHours ?? 24,
  };
}

/** The end states of a job, and what the lines without an output record end as. */
export const BATCH_JOB_END_STATES: Readonly<Record<string, string>> = {
  Completed: 'batch_record_missing',
  PartiallyCompleted: 'batch_record_failed',
  Failed: 'batch_job_failed',
  Stopped: 'batch_cancelled',
  Expired: 'batch_expired',
};

/** A `Batch Inference Job State Change` event from EventBridge, read; `undefined` for any other event. */
export function parseJobStateChange(event: unknown): { jobArn: string; jobName?: string; status: string; ended: boolean } | undefined {
  const e = event as { source?: unknown; 'detail-type'?: unknown; detail?: { batchJobArn?: unknown; batchJobName?: unknown; status?: unknown } } | null;
  if (e?.source !== 'aws.bedrock' || e['detail-type'] !== 'Batch Inference Job State Change') return undefined;
  const { batchJobArn, batchJobName, status } = e.detail ?? {};
  if (typeof batchJobArn !== 'string' || typeof status !== 'string') return undefined;
  return { jobArn: batchJobArn, ...(typeof batchJobName === 'string' ? { jobName: batchJobName } : {}), status, ended: status in BATCH_JOB_END_STATES };
}
