/**
 * Bedrock batch inference for a batch's lines: after the checks, the lines whose route plan starts
 * at a Bedrock target are grouped by the model (or profile) they call; each group of at least
 * `minRecords` lines (Bedrock's minimum records per job, a per-model service quota) becomes one
 * `CreateModelInvocationJob` of Converse records (providers/bedrock/batch-records.ts). Every other
 * line — a smaller group, a self-hosted target, a target whose guardrail the gateway applies, an
 * embeddings line (a Converse job cannot carry an InvokeModel embeddings body) — is served one by
 * one through the pipeline at the **on-demand** price (documented fallback: it cost the on-demand price).
 *
 * When a job ends (`Batch Inference Job State Change` from EventBridge), its output records are read
 * and each line is settled through the pipeline with the record as its answer (`precomputed.ts`):
 * one usage record at the batch price, the output or error line. Lines without a record end with
 * the job's end state as error (`batch_job_failed`, `batch_cancelled`, `batch_expired`, …). Lines
 * already settled are skipped, so an event delivered twice settles nothing twice.
 */
import type { CreateModelInvocationJobRequest } from '@aws-sdk/client-bedrock';
import { BadGatewayError, GatewayError, InvalidRequestError } from '../errors';
import { batchRecordId, BATCH_JOB_END_STATES, fromBatchRecord, modelInvocationJobRequest, parseBatchRecordOutput, parseJobStateChange, toBatchRecord, BatchRecordOutput } from '../providers/bedrock/batch-records';
import type { BedrockTarget, ProviderRequest } from '../providers/types';
import { planLines } from './plan-lines';
import { recordedAnswers } from './precomputed';
import { BatchRunner } from './runner';
import { BatchStore, StoredBatch, StoredJob } from './store';
import { BatchLinePort } from './types';
import type { ProviderRegistry } from '../pipeline/invoke';

/** Where job files live (the batch bucket). */
export interface ObjectStore {
  put(key: string, body: string): Promise<void>;
  get(key: string): Promise<string | undefined>;
  /** Keys under `prefix`. */
  list(prefix: string): Promise<string[]>;
}

/** The Bedrock control plane calls the jobs need. */
export interface BedrockJobsApi {
  /** `CreateModelInvocationJob`; resolves to the job ARN. */
  create(request: CreateModelInvocationJobRequest): Promise<string>;
  /** `StopModelInvocationJob`. */
  stop(jobArn: string): Promise<void>;
}

export interface BedrockBatchJobsOptions {
  readonly store: BatchStore;
  readonly objects: ObjectStore;
  readonly api: BedrockJobsApi;
  readonly lines: BatchLinePort;
  /** The bucket's name (job input and output under `jobs/<job name>/`). */
  readonly bucket: string;
  /** The Bedrock service role the jobs run as. */
  readonly roleArn: string;
  /** The KMS key of the job output. @default the bucket's default encryption */
  readonly kmsKeyId?: string;
  /** @default BedrockBatchJobs.DEFAULT_MIN_RECORDS */
  readonly minRecords?: number;
  /** @default Date.now */
  readonly now?: () => number;
  readonly newId: (prefix: string) => string;
}

interface Planned {
  readonly line: number;
  readonly target: BedrockTarget;
  readonly request: ProviderRequest;
}

const MISSING: Readonly<Record<string, (status: string) => GatewayError>> = {
  batch_cancelled: () => new InvalidRequestError('The batch was cancelled before this line ran.', 'batch_cancelled'),
  batch_expired: () => new InvalidRequestError("The batch's completion window ended before this line ran.", 'batch_expired'),
};

export class BedrockBatchJobs {
  /** Bedrock's minimum records per batch inference job (a per-model quota; 100 for most models). */
  static readonly DEFAULT_MIN_RECORDS = 100;

  constructor(private readonly options: BedrockBatchJobsOptions) {}

  /**
   * Starts the jobs of a checked batch and serves its other lines on demand, but those in `taken`
   * (lines of other jobs: self-hosted Jobs). Safe to call again.
   */
  async submit(batch: StoredBatch, taken: ReadonlySet<number> = new Set()): Promise<StoredBatch> {
    const { store, objects, api, bucket } = this.options;
    const runner = this.runner();
    const groups = new Map<string, Planned[]>();
    for (const { line, plan } of await planLines({ store, lines: this.options.lines, runner }, batch, taken)) {
      // Embeddings lines stay on demand: the jobs carry Converse records, and Bedrock embeddings are InvokeModel calls.
      if ('error' in plan || !('providerRequest' in plan) || plan.target.kind !== 'bedrock' || plan.gatewayGuardrail) continue;
      const group = groups.get(plan.target.modelId) ?? [];
      group.push({ line, target: plan.target, request: plan.providerRequest });
      groups.set(plan.target.modelId, group);
    }
    const inJobs = new Set<number>(taken);
    let index = 0;
    for (const [modelId, planned] of groups) {
      const name = `gw-${batch.id.replace(/^batch_/, '')}-${index++}`;
      if (planned.length < (this.options.minRecords ?? BedrockBatchJobs.DEFAULT_MIN_RECORDS)) continue;
      const job: StoredJob = {
        name, batchId: batch.id, tenantId: batch.tenantId, modelId,
        records: planned.map((p, i) => ({ recordId: batchRecordId(i), line: p.line })),
      };
      await objects.put(`jobs/${name}/input.jsonl`, planned.map((p, i) => `${toBatchRecord(i, p.target, p.request)}\n`).join(''));
      await store.putJob(job);
      // The job name is the idempotency token: a submit repeated after a crash starts no second job.
      const jobArn = await api.create(modelInvocationJobRequest({
        jobName: name, roleArn: this.options.roleArn, modelId,
        inputS3Uri: `s3://${bucket}/jobs/${name}/input.jsonl`, outputS3Uri: `s3://${bucket}/jobs/${name}/output/`,
        ...(this.options.kmsKeyId ? { outputKmsKeyId: this.options.kmsKeyId } : {}),
      }));
      await store.putJob({ ...job, jobArn });
      for (const p of planned) inJobs.add(p.line);
    }
    return runner.run(batch, { skip: inJobs, onDemandPrice: true });
  }

  /** Stops the batch's running jobs (their lines end when the `Stopped` event arrives). */
  async cancel(batch: StoredBatch): Promise<void> {
    for (const job of await this.options.store.jobsOfBatch(batch.id)) {
      if (job.jobArn !== undefined) await this.options.api.stop(job.jobArn);
    }
  }

  /**
   * Handles an EventBridge event: a job that ended settles its lines (records as answers, the end
   * state for lines without one); other events are ignored. Delivering an event again settles nothing twice.
   */
  async onEvent(event: unknown): Promise<StoredBatch | undefined> {
    const change = parseJobStateChange(event);
    if (!change?.ended || change.jobName === undefined) return undefined;
    const { store, objects } = this.options;
    const job = await store.getJob(change.jobName);
    if (!job) return undefined;
    const batch = await store.getBatch(job.tenantId, job.batchId);
    if (!batch) return undefined;
    const records = new Map<string, BatchRecordOutput>();
    for (const key of await objects.list(`jobs/${job.name}/output/`)) {
      if (!key.endsWith('.jsonl.out')) continue;
      for (const text of ((await objects.get(key)) ?? '').split('\n')) {
        if (text.trim() === '') continue;
        const record = parseBatchRecordOutput(text);
        records.set(record.recordId, record);
      }
    }
    const jobTarget: BedrockTarget = { kind: 'bedrock', id: 'batch', modelId: job.modelId };
    const answers = new Map<number, ProviderRegistry>();
    for (const { recordId, line } of job.records) {
      const record = records.get(recordId);
      if (record) answers.set(line, recordedAnswers((target, request) => fromBatchRecord(target.kind === 'bedrock' ? target : jobTarget, request, record)));
    }
    const code = BATCH_JOB_END_STATES[change.status];
    const missing = MISSING[code]?.(change.status)
      ?? new BadGatewayError(`The batch inference job ended ${change.status} without an answer for this line.`, code);
    return this.runner().run(batch, { only: new Set(job.records.map((r) => r.line)), answers, missing });
  }

  private runner(): BatchRunner {
    return new BatchRunner({ store: this.options.store, lines: this.options.lines, now: this.options.now, newId: this.options.newId });
  }
}
