/**
 * Runs a batch: every line of the input ends in exactly one output or error line and one usage
 * record. Lines are served through the gateway's pipeline (`BatchLinePort`) at the batch price;
 * lines the checks refused, and lines left when the batch is cancelled or its completion window
 * ends, are recorded as refusals with their error. Each line's result is written once
 * (`putLineResult`) under a request id that is the same on every replay (`<batch>.<line>`), so a
 * runner that crashed and runs the batch again serves only the lines without a result, and the
 * ledger keeps one usage record per line.
 */
import { GatewayError, InvalidRequestError } from '../errors';
import { BatchInputLine, parseBatchInput } from './input-file';
import { resultLine } from './objects';
import { BatchStatus, BatchStore, FilePurpose, LineRefusal, LineResult, StoredBatch, isFinished } from './store';
import { BatchLinePort, BatchLineRequest } from './types';
import type { ProviderRegistry } from '../pipeline/invoke';
import type { ResolvedPrice } from '../../shared/defaults';

/** Which lines a run serves, and how. */
export interface LineWork {
  /** Only these lines. @default all */
  readonly only?: ReadonlySet<number>;
  /** Not these (they belong to a batch job). @default none */
  readonly skip?: ReadonlySet<number>;
  /** Lines a batch job answered, with the adapters that return the answer. */
  readonly answers?: ReadonlyMap<number, ProviderRegistry>;
  /** The refusal of a line of `only` without an answer (its job failed, stopped or expired). */
  readonly missing?: GatewayError;
  /** Served one by one at the on-demand price (no batch job took them). @default false: the batch price */
  readonly onDemandPrice?: boolean;
  /** The price of the lines' tokens instead of the price table's (a self-hosted Job's GPU hours, shared by tokens). @default the price table's */
  readonly price?: ResolvedPrice;
}

/** A refusal recorded earlier, as the error the gateway answers with. */
class RecordedRefusal extends GatewayError {
  readonly status: number;
  readonly type: string;

  constructor(refusal: Pick<LineRefusal, 'status' | 'type' | 'code' | 'message' | 'param'>) {
    super(refusal.message, refusal.code, refusal.param ?? undefined);
    this.status = refusal.status;
    this.type = refusal.type;
  }
}

export interface BatchRunnerOptions {
  readonly store: BatchStore;
  readonly lines: BatchLinePort;
  /** Lines of one batch served at once. @default 4 */
  readonly lineConcurrency?: number;
  /** Days a file the gateway writes is kept. @default 30 */
  readonly outputFileDays?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** New ids (files). @default random */
  readonly newId: (prefix: string) => string;
}

const SECONDS_PER_DAY = 86_400;
const BATCH_EXPIRED = 'batch_expired';

/** The request id of a line: the same on every run of the batch. */
export function lineRequestId(batchId: string, line: number): string {
  return `${batchId}.${line}`;
}

export class BatchRunner {
  private readonly now: () => number;

  constructor(private readonly options: BatchRunnerOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Checks each line like a synchronous request (before any line runs) and records the refusals
   * on the batch; then the batch is in progress.
   */
  async check(batch: StoredBatch, input: readonly BatchInputLine[]): Promise<StoredBatch> {
    const refusals: LineRefusal[] = [];
    for (const line of input) {
      const error = line.url === batch.endpoint
        ? await this.options.lines.checkBatchLine(this.lineRequest(batch, line))
        : new InvalidRequestError(`The line's url must be the batch's endpoint ${batch.endpoint}.`, 'invalid_value', 'url');
      if (error) refusals.push({ line: line.line, status: error.status, type: error.type, code: error.code, message: error.message, param: error.param });
    }
    // A cancellation that arrived while the lines were checked stands.
    const latest = (await this.options.store.getBatch(batch.tenantId, batch.id)) ?? batch;
    const status = latest.status === BatchStatus.CANCELLING ? BatchStatus.CANCELLING : BatchStatus.IN_PROGRESS;
    const checked: StoredBatch = { ...latest, refusals, status, inProgressAt: this.seconds() };
    await this.options.store.putBatch(checked);
    return checked;
  }

  /**
   * Runs the lines without a result (all of them, or `work.only`, less `work.skip`), then, once
   * every line has one, writes the output and error files. Safe to call again after a crash.
   */
  async run(batch: StoredBatch, work: LineWork = {}): Promise<StoredBatch> {
    const { store } = this.options;
    const file = await store.getFile(batch.tenantId, batch.inputFileId);
    const input = file ? parseBatchInput(file.content) : [];
    let current = batch.status === BatchStatus.VALIDATING ? await this.check(batch, input) : batch;
    const refusals = new Map(current.refusals.map((r) => [r.line, r]));
    const done = await store.lineResults(batch.id);
    const pending = input.filter((l) => !done.has(l.line) && !work.skip?.has(l.line) && (work.only === undefined || work.only.has(l.line)));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pending.length) {
        const line = pending[next++];
        const latest = (await store.getBatch(batch.tenantId, batch.id)) ?? current;
        await this.runLine(latest, line, refusals.get(line.line), work);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.lineConcurrency ?? 4, pending.length) }, worker));
    current = (await store.getBatch(batch.tenantId, batch.id)) ?? current;
    return this.finish(current, input);
  }

  /** Serves one line, or records why it does not run; writes its result once. */
  private async runLine(batch: StoredBatch, line: BatchInputLine, refused: LineRefusal | undefined, work: LineWork): Promise<void> {
    // A job's answer is kept even if the batch was cancelled since: the model already ran.
    const answers = refused ? undefined : work.answers?.get(line.line);
    const refusal = refused ? new RecordedRefusal(refused) : answers ? undefined : work.missing ?? this.stopReason(batch);
    const request: BatchLineRequest = {
      ...this.lineRequest(batch, line), ...(refusal ? { refusal } : {}), ...(answers ? { answers } : {}), ...(work.onDemandPrice ? { onDemandPrice: true } : {}),
      ...(work.price ? { price: work.price } : {}),
    };
    const answer = await this.options.lines.serveBatchLine(request);
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      body = { error: { message: 'The gateway answered this line without a JSON body.', type: 'api_error', code: 'internal_error', param: null } };
    }
    const usage = (body as { usage?: { prompt_tokens?: number; completion_tokens?: number } } | null)?.usage;
    const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
    const result: LineResult = {
      line: line.line,
      ok: answer.status < 400,
      json: resultLine(`batch_req_${batch.id.replace(/^batch_/, '')}_${line.line}`, line.customId, request.requestId, answer.status, body),
      inputTokens: usage?.prompt_tokens ?? 0,
      outputTokens: usage?.completion_tokens ?? 0,
      ...(answer.status >= 400 && typeof code === 'string' ? { code } : {}),
    };
    await this.options.store.putLineResult(batch.id, result);
  }

  /** Why a line that passed the checks will not run now: the batch was cancelled or its window ended. */
  private stopReason(batch: StoredBatch): GatewayError | undefined {
    if (batch.status === BatchStatus.CANCELLING || batch.status === BatchStatus.CANCELLED) {
      return new InvalidRequestError('The batch was cancelled before this line ran.', 'batch_cancelled');
    }
    if (this.now() >= batch.expiresAt * 1000) {
      return new InvalidRequestError(`The batch's completion window (${batch.completionWindow}) ended before this line ran.`, BATCH_EXPIRED);
    }
    return undefined;
  }

  /** Writes the output and error files (lines in input order) and the batch's final state. */
  private async finish(batch: StoredBatch, input: readonly BatchInputLine[]): Promise<StoredBatch> {
    if (isFinished(batch.status)) return batch;
    const { store } = this.options;
    const results = await store.lineResults(batch.id);
    // Lines still with a batch job: the batch finishes when the job's results are settled.
    if (input.some((l) => !results.has(l.line))) return batch;
    const ordered = input.map((l) => results.get(l.line)!);
    const now = this.seconds();
    const outputFileId = await this.writeFile(batch, 'output', ordered.filter((r) => r.ok));
    const errorFileId = await this.writeFile(batch, 'errors', ordered.filter((r) => !r.ok));
    const cancelled = batch.status === BatchStatus.CANCELLING;
    const expired = !cancelled && ordered.some((r) => r.code === BATCH_EXPIRED);
    const finished: StoredBatch = {
      ...batch,
      finalizingAt: now,
      ...(outputFileId ? { outputFileId } : {}),
      ...(errorFileId ? { errorFileId } : {}),
      ...(cancelled ? { status: BatchStatus.CANCELLED, cancelledAt: now }
        : expired ? { status: BatchStatus.EXPIRED, expiredAt: now }
          : { status: BatchStatus.COMPLETED, completedAt: now }),
    };
    await store.putBatch(finished);
    return finished;
  }

  private async writeFile(batch: StoredBatch, kind: 'output' | 'errors', results: readonly LineResult[]): Promise<string | undefined> {
    if (results.length === 0) return undefined;
    const content = results.map((r) => `${r.json}\n`).join('');
    const createdAt = this.seconds();
    const id = this.options.newId('file');
    await this.options.store.putFile({
      id,
      tenantId: batch.tenantId,
      filename: `${batch.id}_${kind}.jsonl`,
      purpose: FilePurpose.BATCH_OUTPUT,
      bytes: Buffer.byteLength(content),
      createdAt,
      expiresAt: createdAt + (this.options.outputFileDays ?? 30) * SECONDS_PER_DAY,
      content,
    });
    return id;
  }

  /** The gateway's request for a line of a batch. */
  lineRequest(batch: StoredBatch, line: BatchInputLine): BatchLineRequest {
    return {
      requestId: lineRequestId(batch.id, line.line),
      url: line.url,
      body: Buffer.from(line.body, 'utf8'),
      identity: batch.identity,
      receivedAt: this.now(),
    };
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }
}
