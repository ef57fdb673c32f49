/**
 * The deployed batch worker: what runs batches when the router only answers the API. Two events:
 *
 * - a `Batch Inference Job State Change` from EventBridge settles the job's lines
 *   (`BedrockBatchJobs.onEvent`; an event delivered twice settles nothing twice);
 * - the scheduled tick ({@link BATCH_TICK_EVENT}) walks the unfinished batches, oldest first:
 *   a cancelled batch stops its jobs and refuses its other lines; a batch past its completion
 *   window stops its jobs and ends its other lines `batch_expired`; a started batch resumes (lines
 *   without a result, outside its jobs, are served; a crash loses nothing); a batch not yet started
 *   starts (`BedrockBatchJobs.submit`: jobs for the pooled Bedrock lines, the rest on demand) while
 *   its tenant has fewer than `maxRunningBatchesPerTenant` started batches.
 *
 * Self-hosted lines (`selfHosted`, self-hosted-jobs.ts) run as `vllm run-batch` Kubernetes Jobs:
 * a starting batch puts them into Jobs before the Bedrock jobs take theirs; every tick creates the
 * Jobs that are due and settles those that ended; cancellation and expiry delete the running ones.
 */
import { BATCH_TICK_EVENT } from '../../shared/batch-table-schema';
import { parseJobStateChange } from '../providers/bedrock/batch-records';
import { BedrockBatchJobs } from './bedrock-jobs';
import type { SelfHostedBatchJobs, StopReason } from './self-hosted-jobs';
import { BatchRunner } from './runner';
import { BatchStatus, BatchStore, StoredBatch } from './store';
import { BatchLinePort } from './types';

export interface BatchWorkerOptions {
  readonly store: BatchStore;
  readonly lines: BatchLinePort;
  /** Bedrock jobs; without them every line is served one by one at the on-demand price. */
  readonly jobs?: BedrockBatchJobs;
  /** Self-hosted Jobs; without them self-hosted lines are served one by one at the on-demand price. */
  readonly selfHosted?: SelfHostedBatchJobs;
  readonly maxRunningBatchesPerTenant: number;
  /** @default Date.now */
  readonly now?: () => number;
  readonly newId: (prefix: string) => string;
}

/** What a tick did, per batch id. */
export interface TickSummary {
  readonly started: string[];
  readonly resumed: string[];
  readonly cancelled: string[];
  readonly expired: string[];
  /** Waiting for their tenant's running batches to finish. */
  readonly waiting: string[];
}

export class BatchWorker {
  private readonly now: () => number;

  constructor(private readonly options: BatchWorkerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Handles one event: a job state change, the tick, or (ignored) anything else. */
  async handle(event: unknown): Promise<{ settled?: string; tick?: TickSummary; ignored?: true }> {
    if (parseJobStateChange(event)) {
      const settled = await this.options.jobs?.onEvent(event);
      return settled ? { settled: settled.id } : { ignored: true };
    }
    if ((event as { gatewayBatch?: unknown } | null)?.gatewayBatch === BATCH_TICK_EVENT.gatewayBatch) return { tick: await this.tick() };
    return { ignored: true };
  }

  async tick(): Promise<TickSummary> {
    const summary: TickSummary = { started: [], resumed: [], cancelled: [], expired: [], waiting: [] };
    const batches = (await this.options.store.unfinishedBatches()).sort((a, b) => a.createdAt - b.createdAt);
    const running = new Map<string, number>();
    const started = new Map<string, boolean>();
    for (const batch of batches) {
      const isStarted = await this.isStarted(batch);
      started.set(batch.id, isStarted);
      if (isStarted) running.set(batch.tenantId, (running.get(batch.tenantId) ?? 0) + 1);
    }
    for (const batch of batches) {
      if (batch.status === BatchStatus.CANCELLING) {
        await this.stop(batch, 'cancelled');
        summary.cancelled.push(batch.id);
      } else if (this.now() >= batch.expiresAt * 1000) {
        await this.stop(batch, 'expired');
        summary.expired.push(batch.id);
      } else if (started.get(batch.id)) {
        await this.resume(batch);
        summary.resumed.push(batch.id);
      } else if ((running.get(batch.tenantId) ?? 0) < this.options.maxRunningBatchesPerTenant) {
        running.set(batch.tenantId, (running.get(batch.tenantId) ?? 0) + 1);
        await this.start(batch);
        summary.started.push(batch.id);
      } else {
        summary.waiting.push(batch.id);
      }
    }
    return summary;
  }

  /** A batch that has a job or a line result. */
  private async isStarted(batch: StoredBatch): Promise<boolean> {
    if ((await this.options.store.jobsOfBatch(batch.id)).length > 0) return true;
    return (await this.options.store.lineResults(batch.id)).size > 0;
  }

  /** The lines a batch's jobs hold: their jobs' end events settle them. */
  private async jobLines(batch: StoredBatch): Promise<Set<number>> {
    const jobs = await this.options.store.jobsOfBatch(batch.id);
    return new Set(jobs.flatMap((j) => j.records.map((r) => r.line)));
  }

  /** Self-hosted lines into Jobs, then pooled Bedrock lines into jobs, the rest on demand. */
  private async start(batch: StoredBatch): Promise<void> {
    const taken = (await this.options.selfHosted?.submit(batch)) ?? new Set<number>();
    await (this.options.jobs ? this.options.jobs.submit(batch, taken) : this.runner().run(batch, { skip: taken, onDemandPrice: true }));
  }

  /**
   * Stops the jobs (Bedrock's `Stopped` events end their lines; self-hosted Jobs are deleted and
   * their lines ended here) and ends the other lines with the batch's stop reason.
   */
  private async stop(batch: StoredBatch, reason: StopReason): Promise<void> {
    await this.options.jobs?.cancel(batch);
    await this.options.selfHosted?.stop(batch, reason);
    await this.runner().run(batch, { skip: await this.jobLines(batch) });
  }

  private async resume(batch: StoredBatch): Promise<void> {
    await this.options.selfHosted?.poll(batch);
    await this.runner().run(batch, { skip: await this.jobLines(batch), onDemandPrice: true });
  }

  private runner(): BatchRunner {
    return new BatchRunner({ store: this.options.store, lines: this.options.lines, now: this.now, newId: this.options.newId });
  }
}
