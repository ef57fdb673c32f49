/**
 * Where the Batch API keeps files, batches and each line's result. Every read names the tenant:
 * a tenant never reads another's file or batch (another tenant's id reads as unknown).
 * `InMemoryBatchStore` serves local mode and tests.
 */
import type { TenantIdentity } from '../../shared/authorizer-context';

/** What a file is for: an input (`batch`) or what the gateway wrote (`batch_output`). */
export enum FilePurpose {
  BATCH = 'batch',
  BATCH_OUTPUT = 'batch_output',
}

/** The states of a batch, as OpenAI names them. */
export enum BatchStatus {
  VALIDATING = 'validating',
  FAILED = 'failed',
  IN_PROGRESS = 'in_progress',
  FINALIZING = 'finalizing',
  COMPLETED = 'completed',
  EXPIRED = 'expired',
  CANCELLING = 'cancelling',
  CANCELLED = 'cancelled',
}

export interface StoredFile {
  readonly id: string;
  readonly tenantId: string;
  readonly filename: string;
  readonly purpose: FilePurpose;
  readonly bytes: number;
  /** Epoch seconds. */
  readonly createdAt: number;
  /** Epoch seconds. */
  readonly expiresAt: number;
  readonly content: string;
}

/** A line the gateway refused before running it (its error as the client would have seen it). */
export interface LineRefusal {
  readonly line: number;
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly message: string;
  readonly param: string | null;
}

/** A line's end: one output or error line, written once. */
export interface LineResult {
  readonly line: number;
  readonly ok: boolean;
  /** The output or error file's line (JSON). */
  readonly json: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** The error code of a failed line. */
  readonly code?: string;
}

export interface StoredBatch {
  readonly id: string;
  readonly tenantId: string;
  /** The submitter, replayed on every line. */
  readonly identity: TenantIdentity;
  readonly endpoint: string;
  readonly inputFileId: string;
  readonly completionWindow: string;
  readonly metadata: Readonly<Record<string, string>> | null;
  readonly status: BatchStatus;
  /** Epoch seconds of each transition. */
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly inProgressAt?: number;
  readonly finalizingAt?: number;
  readonly completedAt?: number;
  readonly failedAt?: number;
  readonly expiredAt?: number;
  readonly cancellingAt?: number;
  readonly cancelledAt?: number;
  readonly total: number;
  /** Lines the checks refused, by line number (they run as refusals). */
  readonly refusals: readonly LineRefusal[];
  readonly outputFileId?: string;
  readonly errorFileId?: string;
  /** Why a batch failed as a whole. */
  readonly errors?: readonly { readonly code: string; readonly message: string; readonly line: number | null; readonly param: string | null }[];
}

/** A batch job holding some lines of one batch: a Bedrock batch inference job or a self-hosted Kubernetes Job. */
export interface StoredJob {
  /** The job name (also its idempotency token and S3 prefix). */
  readonly name: string;
  readonly batchId: string;
  readonly tenantId: string;
  readonly modelId: string;
  /** Each record's id and the batch line it answers. */
  readonly records: readonly { readonly recordId: string; readonly line: number }[];
  readonly jobArn?: string;
  /** `kubernetes`: a `vllm run-batch` Job of a self-hosted target (self-hosted-jobs.ts). @default a Bedrock batch inference job */
  readonly kind?: 'kubernetes';
  /** The self-hosted target whose lines the Job runs. */
  readonly targetId?: string;
  /** When the Job is to be created (epoch ms; later than its submission inside idle hours). */
  readonly startAt?: number;
  /** When the Job was created (epoch ms). */
  readonly launchedAt?: number;
  /** The Job's run once it ended, as first read (a replay prices the same): the GPU-hour cost its lines share. */
  readonly ran?: JobRun;
}

/** How a self-hosted Job ended. */
export interface JobRun {
  readonly phase: 'succeeded' | 'failed' | 'gone';
  readonly reason?: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Epoch ms. */
  readonly endedAt: number;
  /** GPU hours × the GPU hour's price, in USD. */
  readonly costUsd: number;
}

export interface BatchStore {
  putJob(job: StoredJob): Promise<void>;
  getJob(name: string): Promise<StoredJob | undefined>;
  jobsOfBatch(batchId: string): Promise<StoredJob[]>;
  putFile(file: StoredFile): Promise<void>;
  getFile(tenantId: string, id: string): Promise<StoredFile | undefined>;
  /** Creates or replaces a batch. */
  putBatch(batch: StoredBatch): Promise<void>;
  getBatch(tenantId: string, id: string): Promise<StoredBatch | undefined>;
  /** The tenant's batches, newest first, after the batch `after` (exclusive), at most `limit`. */
  listBatches(tenantId: string, after: string | undefined, limit: number): Promise<{ data: StoredBatch[]; hasMore: boolean }>;
  /** Batches not yet finished (any tenant), for a runner that resumes after a crash. */
  unfinishedBatches(): Promise<StoredBatch[]>;
  /** Writes a line's result unless it has one: `false` when it already had one (a replay). */
  putLineResult(batchId: string, result: LineResult): Promise<boolean>;
  lineResults(batchId: string): Promise<ReadonlyMap<number, LineResult>>;
}

const FINISHED = new Set([BatchStatus.COMPLETED, BatchStatus.FAILED, BatchStatus.EXPIRED, BatchStatus.CANCELLED]);

/** Whether a batch reached one of its final states. */
export function isFinished(status: BatchStatus): boolean {
  return FINISHED.has(status);
}

/** The store of local mode and tests: everything in memory. */
export class InMemoryBatchStore implements BatchStore {
  private readonly files = new Map<string, StoredFile>();
  private readonly batches = new Map<string, StoredBatch>();
  private readonly results = new Map<string, Map<number, LineResult>>();
  private readonly jobs = new Map<string, StoredJob>();

  putJob(job: StoredJob): Promise<void> {
    this.jobs.set(job.name, job);
    return Promise.resolve();
  }

  getJob(name: string): Promise<StoredJob | undefined> {
    return Promise.resolve(this.jobs.get(name));
  }

  jobsOfBatch(batchId: string): Promise<StoredJob[]> {
    return Promise.resolve([...this.jobs.values()].filter((j) => j.batchId === batchId));
  }

  putFile(file: StoredFile): Promise<void> {
    this.files.set(file.id, file);
    return Promise.resolve();
  }

  getFile(tenantId: string, id: string): Promise<StoredFile | undefined> {
    const file = this.files.get(id);
    return Promise.resolve(file?.tenantId === tenantId ? file : undefined);
  }

  putBatch(batch: StoredBatch): Promise<void> {
    this.batches.set(batch.id, batch);
    return Promise.resolve();
  }

  getBatch(tenantId: string, id: string): Promise<StoredBatch | undefined> {
    const batch = this.batches.get(id);
    return Promise.resolve(batch?.tenantId === tenantId ? batch : undefined);
  }

  listBatches(tenantId: string, after: string | undefined, limit: number): Promise<{ data: StoredBatch[]; hasMore: boolean }> {
    // Insertion order is creation order; newest first.
    const own = [...this.batches.values()].filter((b) => b.tenantId === tenantId).reverse();
    const start = after === undefined ? 0 : own.findIndex((b) => b.id === after) + 1;
    const data = start === 0 && after !== undefined ? [] : own.slice(start, start + limit);
    return Promise.resolve({ data, hasMore: start + limit < own.length && data.length > 0 });
  }

  unfinishedBatches(): Promise<StoredBatch[]> {
    return Promise.resolve([...this.batches.values()].filter((b) => !isFinished(b.status)));
  }

  putLineResult(batchId: string, result: LineResult): Promise<boolean> {
    let results = this.results.get(batchId);
    if (!results) this.results.set(batchId, (results = new Map()));
    if (results.has(result.line)) return Promise.resolve(false);
    results.set(result.line, result);
    return Promise.resolve(true);
  }

  lineResults(batchId: string): Promise<ReadonlyMap<number, LineResult>> {
    return Promise.resolve(new Map(this.results.get(batchId) ?? []));
  }
}
