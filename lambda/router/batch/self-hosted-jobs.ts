/**
 * Self-hosted batch lines as `vllm run-batch` Kubernetes Jobs on the GPU pool. After the checks,
 * the lines whose route plan starts at a self-hosted target the worker knows
 * (`SelfHostedBatchConfig.targets`) are grouped by target; each group becomes one Job
 * (`lambda/batch/vllm-run-batch-job.ts`): its run-batch input (`providers/openai/run-batch-records.ts`)
 * is written to `jobs/<job name>/input.jsonl` in the batch bucket, the job is recorded in the store
 * under its name, and the Job is created through the cluster's API (`kubernetes-jobs.ts`) — at
 * once, or at the next idle hour when the batch's window still leaves room for a run after it.
 * Its deadline (`activeDeadlineSeconds`) is what is left of the completion window.
 *
 * The worker's tick polls each Job (`poll`): a Job that ended is read once (start and end times,
 * kept on the stored job so a replay prices the same), its `output.jsonl` read, and each of its
 * lines settled through the pipeline with the run-batch line as its answer (`precomputed.ts`): one
 * output or error line and one usage record per line, priced from the GPU hours the Job used
 * (`gpu-hours.ts`: run time × GPUs × the GPU hour's price, shared by tokens). Lines without an
 * output line end with an error (`batch_record_missing`, `batch_job_failed`, `batch_expired`).
 * Lines already settled are skipped and a Job is created once (its name is its identity: a create
 * replayed after a crash finds it there), so a replayed tick or a crash between any two steps
 * records nothing twice. Cancellation and expiry (`stop`) keep the answers of a Job that
 * completed, delete any other Job with its pods, and end its lines with the batch's stop reason.
 */
import { SelfHostedBatchConfig } from '../../shared/self-hosted-batch-config';
import { runBatchJob, startTime } from '../../batch/vllm-run-batch-job';
import { BadGatewayError, GatewayError, InvalidRequestError } from '../errors';
import { fromRunBatchLine, parseRunBatchOutput, RunBatchOutput, toRunBatchLine } from '../providers/openai/run-batch-records';
import type { OpenAiTarget, ProviderRequest } from '../providers/types';
import type { ProviderRegistry } from '../pipeline/invoke';
import type { ObjectStore } from './bedrock-jobs';
import { gpuHourLinePrice, jobCostUsd } from './gpu-hours';
import type { KubernetesJobsApi } from './kubernetes-jobs';
import { planLines } from './plan-lines';
import { recordedAnswers } from './precomputed';
import { BatchRunner } from './runner';
import { BatchStore, JobRun, StoredBatch, StoredJob } from './store';
import { BatchLinePort } from './types';

export interface SelfHostedBatchJobsOptions {
  readonly store: BatchStore;
  readonly objects: ObjectStore;
  readonly api: KubernetesJobsApi;
  readonly lines: BatchLinePort;
  readonly config: SelfHostedBatchConfig;
  /** The batch bucket's name (Job input and output under `jobs/<job name>/`). */
  readonly bucket: string;
  /** @default Date.now */
  readonly now?: () => number;
  readonly newId: (prefix: string) => string;
}

/** Why a batch's Jobs stop before they end. */
export type StopReason = 'cancelled' | 'expired';

interface Planned {
  readonly line: number;
  readonly target: OpenAiTarget;
  readonly request: ProviderRequest;
}

const STOPPED: Readonly<Record<StopReason, () => GatewayError>> = {
  cancelled: () => new InvalidRequestError('The batch was cancelled before this line ran.', 'batch_cancelled'),
  expired: () => new InvalidRequestError("The batch's completion window ended before this line ran.", 'batch_expired'),
};

/** The id of a line inside a Job's run-batch files. */
export function runBatchCustomId(line: number): string {
  return `line-${line}`;
}

/** The Job's name: a DNS label, the same on every submit of the batch. */
export function selfHostedJobName(batchId: string, index: number): string {
  const id = batchId.replace(/^batch_/, '').toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 48);
  return `gwk-${id}-${index}`.replace(/-+$/, '');
}

export class SelfHostedBatchJobs {
  /** How long a Job is assumed to run when deciding whether it can wait for the idle hours. */
  static readonly IDLE_RUN_ESTIMATE_MS = 3_600_000;

  private readonly now: () => number;

  constructor(private readonly options: SelfHostedBatchJobsOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Puts the checked batch's self-hosted lines into Jobs, and returns the lines taken (the caller
   * serves the others). Safe to call again: a job already recorded is kept as it is.
   */
  async submit(batch: StoredBatch): Promise<Set<number>> {
    const { store, objects, config } = this.options;
    const groups = new Map<string, Planned[]>();
    for (const { line, plan } of await planLines({ store, lines: this.options.lines, runner: this.runner() }, batch)) {
      // Embeddings lines are served one by one: a Job runs the target's chat model server's run-batch.
      if ('error' in plan || !('providerRequest' in plan) || plan.target.kind !== 'openai' || plan.gatewayGuardrail || config.targets[plan.target.id] === undefined) continue;
      const group = groups.get(plan.target.id) ?? [];
      group.push({ line, target: plan.target, request: plan.providerRequest });
      groups.set(plan.target.id, group);
    }
    const taken = new Set<number>();
    let index = 0;
    for (const [targetId, planned] of groups) {
      const name = selfHostedJobName(batch.id, index++);
      for (const p of planned) taken.add(p.line);
      const existing = await store.getJob(name);
      if (existing) {
        if (existing.launchedAt === undefined && this.now() >= (existing.startAt ?? 0)) await this.launch(batch, existing);
        continue;
      }
      await objects.put(`jobs/${name}/input.jsonl`, planned.map((p) => `${toRunBatchLine(runBatchCustomId(p.line), p.target, p.request)}\n`).join(''));
      const job: StoredJob = {
        name, batchId: batch.id, tenantId: batch.tenantId, modelId: config.targets[targetId].servedModelName, kind: 'kubernetes', targetId,
        records: planned.map((p) => ({ recordId: runBatchCustomId(p.line), line: p.line })),
        startAt: startTime(this.now(), config.idleHours, batch.expiresAt * 1000, SelfHostedBatchJobs.IDLE_RUN_ESTIMATE_MS),
      };
      await store.putJob(job);
      if (this.now() >= job.startAt!) await this.launch(batch, job);
    }
    return taken;
  }

  /** Creates the batch's Jobs that are due and settles the lines of those that ended. Safe to call again. */
  async poll(batch: StoredBatch): Promise<void> {
    for (const job of await this.openJobs(batch)) {
      if (job.launchedAt === undefined) {
        if (this.now() >= (job.startAt ?? 0)) await this.launch(batch, job);
        continue;
      }
      const run = job.ran ?? await this.observe(job);
      if (run) await this.settle(batch, job, run);
    }
  }

  /**
   * Stops the batch's Jobs: a Job that completed is settled with its answers (the GPUs already
   * ran); any other is deleted with its pods and its lines end with `reason`.
   */
  async stop(batch: StoredBatch, reason: StopReason): Promise<void> {
    for (const job of await this.openJobs(batch)) {
      const run = job.ran ?? (job.launchedAt !== undefined ? await this.observe(job) : undefined);
      if (run?.phase === 'succeeded') {
        await this.settle(batch, job, run);
        continue;
      }
      if (job.launchedAt !== undefined && run === undefined) await this.options.api.remove(this.options.config.namespace, job.name);
      await this.settle(batch, job, run, STOPPED[reason]());
    }
  }

  /** The batch's Jobs with lines still to settle. */
  private async openJobs(batch: StoredBatch): Promise<StoredJob[]> {
    const jobs = (await this.options.store.jobsOfBatch(batch.id)).filter((j) => j.kind === 'kubernetes');
    if (jobs.length === 0) return [];
    const done = await this.options.store.lineResults(batch.id);
    return jobs.filter((j) => j.records.some((r) => !done.has(r.line)));
  }

  /** Creates the Job (once: a Job of that name already there counts as created) and records when. */
  private async launch(batch: StoredBatch, job: StoredJob): Promise<void> {
    const { config, bucket } = this.options;
    const target = config.targets[job.targetId!];
    const deadlineSeconds = Math.floor((batch.expiresAt * 1000 - this.now()) / 1000);
    // Past the window: the tick's expiry ends the lines.
    if (target === undefined || deadlineSeconds < 1) return;
    await this.options.api.create(runBatchJob({
      name: job.name, namespace: config.namespace, serviceAccountName: config.serviceAccountName, priorityClassName: config.priorityClassName,
      vllmImage: target.image, awsCliImage: config.awsCliImage, model: target.model, servedModelName: target.servedModelName,
      ...(target.engineArgs ? { engineArgs: target.engineArgs } : {}),
      ...(target.weights ? { weights: target.weights } : {}),
      inputS3Uri: `s3://${bucket}/jobs/${job.name}/input.jsonl`, outputS3Uri: `s3://${bucket}/jobs/${job.name}/output.jsonl`,
      gpus: target.gpus, nodeSelector: target.nodeSelector, tolerations: target.tolerations, deadlineSeconds,
      labels: { 'cdk-ai-gateway.io/batch': batch.id.slice(0, 63), 'cdk-ai-gateway.io/job': job.name },
    }));
    await this.options.store.putJob({ ...job, launchedAt: this.now() });
  }

  /** Reads a launched Job: how it ended (kept on the stored job), or `undefined` while it runs. */
  private async observe(job: StoredJob): Promise<JobRun | undefined> {
    const state = await this.options.api.get(this.options.config.namespace, job.name);
    if (state?.phase === 'running') return undefined;
    const target = this.options.config.targets[job.targetId!];
    const launchedAt = job.launchedAt ?? this.now();
    // A Job deleted before the worker read it (by hand, or its TTL): its run time is unknown, so unpriced.
    const run: JobRun = state === undefined
      ? { phase: 'gone', startedAt: launchedAt, endedAt: launchedAt, costUsd: 0 }
      : {
        phase: state.phase, ...(state.reason !== undefined ? { reason: state.reason } : {}),
        startedAt: state.startedAt ?? launchedAt, endedAt: state.endedAt ?? this.now(),
        costUsd: 0,
      };
    const priced: JobRun = { ...run, costUsd: target ? jobCostUsd(run.startedAt, run.endedAt, target.gpus, target.gpuHourUsd) : 0 };
    await this.options.store.putJob({ ...job, ran: priced });
    return priced;
  }

  /** Settles the Job's lines without a result: its output lines as answers, the rest with their error. */
  private async settle(batch: StoredBatch, job: StoredJob, run: JobRun | undefined, stopped?: GatewayError): Promise<void> {
    const outputs = new Map<string, RunBatchOutput>();
    for (const text of ((await this.options.objects.get(`jobs/${job.name}/output.jsonl`)) ?? '').split('\n')) {
      if (text.trim() === '') continue;
      try {
        const output = parseRunBatchOutput(text);
        outputs.set(output.customId, output);
      } catch {
        // A line without a custom_id answers no line: its line ends as missing.
      }
    }
    const target = this.options.config.targets[job.targetId!];
    const jobTarget: OpenAiTarget = { kind: 'openai', id: job.targetId!, baseUrl: 'http://run-batch.invalid/v1', model: target?.servedModelName ?? job.modelId };
    const answers = new Map<number, ProviderRegistry>();
    let tokens = 0;
    for (const { recordId, line } of job.records) {
      const output = outputs.get(recordId);
      if (!output) continue;
      answers.set(line, recordedAnswers((t, request) => fromRunBatchLine(t.kind === 'openai' ? t : jobTarget, request, output)));
      tokens += answeredTokens(output);
    }
    const missing = stopped ?? missingError(run);
    await this.runner().run(batch, {
      only: new Set(job.records.map((r) => r.line)), answers, missing, price: gpuHourLinePrice(run?.costUsd ?? 0, tokens),
    });
  }

  private runner(): BatchRunner {
    return new BatchRunner({ store: this.options.store, lines: this.options.lines, now: this.now, newId: this.options.newId });
  }
}

/** The tokens of an answered run-batch line (what its share of the Job's cost is weighed by). */
function answeredTokens(output: RunBatchOutput): number {
  if (output.error !== undefined || (output.statusCode ?? 500) >= 400) return 0;
  const usage = (output.body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
  const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
  return count(usage?.prompt_tokens) + count(usage?.completion_tokens);
}

/** The error of a line the Job's output does not answer. */
function missingError(run: JobRun | undefined): GatewayError {
  if (run?.phase === 'failed' && run.reason === 'DeadlineExceeded') return STOPPED.expired();
  if (run?.phase === 'succeeded') return new BadGatewayError('The vLLM run-batch Job completed without an answer for this line.', 'batch_record_missing');
  return new BadGatewayError(`The vLLM run-batch Job ${run?.phase === 'gone' ? 'was deleted' : `failed (${run?.reason ?? 'unknown reason'})`} without an answer for this line.`, 'batch_job_failed');
}

