/**
 * The Batch API, OpenAI's shape: `POST /v1/files` (multipart, purpose `batch`), `GET /v1/files/{id}`,
 * `GET /v1/files/{id}/content`, `POST /v1/batches`, `GET /v1/batches` (`after`, `limit`),
 * `GET /v1/batches/{id}`, `POST /v1/batches/{id}/cancel`. Batches run in this process
 * (`BatchRunner`): local mode serves them against the local targets with the same pipeline as a
 * synchronous request. At most `maxRunningBatchesPerTenant` batches of a tenant run at once; the
 * others wait their turn in `in_progress`.
 */
import { randomBytes } from 'node:crypto';
import { InvalidRequestError, MethodNotAllowedError, NotFoundError, PermissionDeniedError } from '../errors';
import { parseBatchInput } from './input-file';
import { batchObject, BatchProgress, cancellable, fileObject } from './objects';
import { BatchRunner } from './runner';
import { BatchStatus, BatchStore, FilePurpose, InMemoryBatchStore, isFinished, StoredBatch, StoredFile } from './store';
import { BatchAnswer, BatchCall, BatchEndpoints, BatchLinePort } from './types';
import type { FileUploads } from './uploads';

export interface BatchServiceOptions {
  /** @default an InMemoryBatchStore */
  readonly store?: BatchStore;
  /** @default BatchService.DEFAULT_MAX_FILE_BYTES */
  readonly maxFileBytes?: number;
  /** @default BatchService.DEFAULT_MAX_RUNNING_BATCHES_PER_TENANT */
  readonly maxRunningBatchesPerTenant?: number;
  /** Lines of one batch served at once. @default 4 */
  readonly lineConcurrency?: number;
  /** Days an uploaded file is kept. @default 30 */
  readonly fileDays?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** Direct uploads of files above the API's payload limit (`/v1/files/uploads`). @default none: 404 `uploads_not_enabled` */
  readonly uploads?: FileUploads;
  /**
   * Whether this process runs the batches it accepts. A deployed router answers and returns: the
   * scheduled tick runs them (`resume`). @default true
   */
  readonly runInProcess?: boolean;
}

const UPLOADS_PATH = /^\/v1\/files\/uploads(?:\/([A-Za-z0-9_-]{1,64})\/complete)?$/;
const UPLOAD_URL_SECONDS = 3600;
const FILE_PATH = /^\/v1\/files\/([A-Za-z0-9_-]{1,64})(\/content)?$/;
const BATCH_PATH = /^\/v1\/batches\/([A-Za-z0-9_-]{1,64})(\/cancel)?$/;
const SUPPORTED_ENDPOINTS = ['/v1/chat/completions', '/v1/embeddings'];
const COMPLETION_WINDOW = '24h';
const WINDOW_SECONDS = 24 * 3600;
const METADATA_LIMITS = { pairs: 16, keyChars: 64, valueChars: 512 } as const;
const JSON_TYPE = 'application/json';

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

function json(body: unknown, status = 200): BatchAnswer {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(body) };
}

function parseJsonBody(body: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON.', 'invalid_json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidRequestError('The request body must be a JSON object.', 'invalid_json');
  return value as Record<string, unknown>;
}

function parseMetadata(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  const allowed = `at most ${METADATA_LIMITS.pairs} string pairs, keys up to ${METADATA_LIMITS.keyChars} and values up to ${METADATA_LIMITS.valueChars} characters`;
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidRequestError(`"metadata" must be an object of ${allowed}.`, 'invalid_value', 'metadata');
  const entries = Object.entries(value as Record<string, unknown>);
  const valid = entries.length <= METADATA_LIMITS.pairs && entries.every(([k, v]) =>
    k.length <= METADATA_LIMITS.keyChars && typeof v === 'string' && v.length <= METADATA_LIMITS.valueChars);
  if (!valid) throw new InvalidRequestError(`"metadata" must be an object of ${allowed}.`, 'invalid_value', 'metadata');
  return Object.fromEntries(entries) as Record<string, string>;
}

function limitParam(raw: string | undefined): number {
  if (raw === undefined) return 20;
  const n = Number(raw);
  if (!/^\d{1,3}$/.test(raw) || n < 1 || n > 100) throw new InvalidRequestError(`"limit" must be an integer from 1 to 100; received ${JSON.stringify(raw.slice(0, 20))}.`, 'invalid_value', 'limit');
  return n;
}

export class BatchService implements BatchEndpoints {
  /** OpenAI's limit for a batch input file: 200 MB. */
  static readonly DEFAULT_MAX_FILE_BYTES = 200 * 1024 * 1024;
  /** Batches of one tenant that run at once. */
  static readonly DEFAULT_MAX_RUNNING_BATCHES_PER_TENANT = 2;

  readonly maxFileBytes: number;
  readonly store: BatchStore;
  private readonly now: () => number;
  private readonly running = new Map<string, Promise<StoredBatch>>();
  private readonly queues = new Map<string, Promise<unknown>[]>();

  constructor(private readonly options: BatchServiceOptions = {}) {
    this.maxFileBytes = options.maxFileBytes ?? BatchService.DEFAULT_MAX_FILE_BYTES;
    this.store = options.store ?? new InMemoryBatchStore();
    this.now = options.now ?? Date.now;
  }

  async handle(call: BatchCall): Promise<BatchAnswer> {
    const { request, identity } = call;
    const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
    const method = request.method;
    const allow = (allowed: string): void => {
      if (method !== allowed) throw new MethodNotAllowedError(method, path, [allowed]);
    };
    if (path === '/v1/files') {
      allow('POST');
      return this.createFile(call);
    }
    if (path === '/v1/batches') {
      if (method === 'GET') return this.listBatches(identity.tenantId, request.query ?? {});
      allow('POST');
      return this.createBatch(call);
    }
    const upload = UPLOADS_PATH.exec(path);
    if (upload) {
      allow('POST');
      return upload[1] === undefined ? this.createUpload(call) : this.completeUpload(call, upload[1]);
    }
    const file = FILE_PATH.exec(path);
    if (file) {
      allow('GET');
      const stored = await this.ownFile(identity.tenantId, file[1]);
      return file[2] ? { status: 200, contentType: 'application/jsonl', body: stored.content } : json(fileObject(stored));
    }
    const batch = BATCH_PATH.exec(path);
    if (batch) {
      if (batch[2]) {
        allow('POST');
        return json(await this.render(await this.cancel(identity.tenantId, batch[1])));
      }
      allow('GET');
      return json(await this.render(await this.ownBatch(identity.tenantId, batch[1])));
    }
    throw new NotFoundError(`Unknown request URL: ${method.slice(0, 10)} ${path.slice(0, 100)}.`, 'unknown_url');
  }

  /** Resolves when every batch started so far has finished (tests; graceful shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Runs the batches a crashed process left unfinished (their finished lines are not run again). */
  async resume(lines: BatchLinePort): Promise<void> {
    for (const batch of await this.store.unfinishedBatches()) this.start(batch, lines);
  }

  private async createFile(call: BatchCall): Promise<BatchAnswer> {
    const { request, identity } = call;
    const contentType = request.headers['content-type'] ?? '';
    if (!/^multipart\/form-data;/i.test(contentType)) {
      throw new InvalidRequestError('Upload a file as multipart/form-data with the fields "file" and "purpose".', 'invalid_content_type', 'file');
    }
    let form: FormData;
    try {
      form = await new Response(request.body, { headers: { 'content-type': contentType } }).formData();
    } catch {
      throw new InvalidRequestError('The multipart body could not be read.', 'invalid_multipart', 'file');
    }
    const purpose = form.get('purpose');
    if (purpose !== FilePurpose.BATCH) {
      throw new InvalidRequestError(`"purpose" must be "batch" (the only purpose this gateway accepts); received ${JSON.stringify(String(purpose ?? '').slice(0, 40))}.`, 'invalid_value', 'purpose');
    }
    const upload = form.get('file');
    if (upload === null || typeof upload === 'string') throw new InvalidRequestError('The field "file" must be a file.', 'missing_required_parameter', 'file');
    if (upload.size > this.maxFileBytes) {
      throw new InvalidRequestError(`The file has ${upload.size} bytes; the most a batch file may have is ${this.maxFileBytes}.`, 'file_too_large', 'file');
    }
    return this.registerFile(identity.tenantId, newId('file'), upload.name, upload.size, await upload.text());
  }

  /** Checks a file's lines and keeps it. */
  private async registerFile(tenantId: string, id: string, filename: string, bytes: number, content: string): Promise<BatchAnswer> {
    parseBatchInput(content);
    const createdAt = Math.floor(this.now() / 1000);
    const stored: StoredFile = {
      id, tenantId, filename: (filename || 'batch.jsonl').slice(0, 256), purpose: FilePurpose.BATCH, bytes,
      createdAt, expiresAt: createdAt + (this.options.fileDays ?? 30) * 86_400, content,
    };
    await this.store.putFile(stored);
    return json(fileObject(stored));
  }

  private uploads(): FileUploads {
    if (!this.options.uploads) throw new NotFoundError('Direct uploads are not enabled on this gateway: upload with POST /v1/files.', 'uploads_not_enabled');
    return this.options.uploads;
  }

  /** `POST /v1/files/uploads` `{purpose: "batch"}`: a file id and the URL its content is `PUT` to. */
  private async createUpload(call: BatchCall): Promise<BatchAnswer> {
    const uploads = this.uploads();
    const body = parseJsonBody(call.request.body);
    if (body.purpose !== FilePurpose.BATCH) {
      throw new InvalidRequestError(`"purpose" must be "batch" (the only purpose this gateway accepts); received ${JSON.stringify(String(body.purpose ?? '').slice(0, 40))}.`, 'invalid_value', 'purpose');
    }
    const id = newId('file');
    const url = await uploads.uploadUrl(call.identity.tenantId, id, UPLOAD_URL_SECONDS);
    return json({ object: 'file.upload', id, method: 'PUT', upload_url: url, expires_at: Math.floor(this.now() / 1000) + UPLOAD_URL_SECONDS });
  }

  /** `POST /v1/files/uploads/{id}/complete` `{filename}`: checks the uploaded file and registers it. */
  private async completeUpload(call: BatchCall, id: string): Promise<BatchAnswer> {
    const uploads = this.uploads();
    const { tenantId } = call.identity;
    const body = parseJsonBody(call.request.body);
    const filename = typeof body.filename === 'string' ? body.filename : 'batch.jsonl';
    if (await this.store.getFile(tenantId, id)) throw new InvalidRequestError(`Upload ${id} is already complete.`, 'upload_already_complete', 'file_id');
    const content = await uploads.read(tenantId, id);
    if (content === undefined) throw new NotFoundError(`Nothing was uploaded for ${id}: PUT the file to its upload_url first.`, 'upload_not_found', 'file_id');
    const bytes = Buffer.byteLength(content);
    if (bytes > this.maxFileBytes) {
      throw new InvalidRequestError(`The file has ${bytes} bytes; the most a batch file may have is ${this.maxFileBytes}.`, 'file_too_large', 'file');
    }
    return this.registerFile(tenantId, id, filename, bytes, content);
  }

  private async createBatch(call: BatchCall): Promise<BatchAnswer> {
    const { request, identity, lines } = call;
    const body = parseJsonBody(request.body);
    const { input_file_id: inputFileId, endpoint, completion_window: window } = body;
    if (typeof inputFileId !== 'string' || inputFileId.length === 0) {
      throw new InvalidRequestError('"input_file_id" is required: the id of a file uploaded with purpose "batch".', 'missing_required_parameter', 'input_file_id');
    }
    if (typeof endpoint !== 'string' || !SUPPORTED_ENDPOINTS.includes(endpoint)) {
      throw new InvalidRequestError(`"endpoint" must be one of ${SUPPORTED_ENDPOINTS.join(', ')}; received ${JSON.stringify(String(endpoint).slice(0, 60))}.`, 'invalid_value', 'endpoint');
    }
    if (window !== COMPLETION_WINDOW) {
      throw new InvalidRequestError(`"completion_window" must be "${COMPLETION_WINDOW}"; received ${JSON.stringify(String(window).slice(0, 20))}.`, 'invalid_value', 'completion_window');
    }
    const metadata = parseMetadata(body.metadata);
    if (identity.aliases !== undefined && identity.aliases.length === 0) {
      throw new PermissionDeniedError('This API key may call no model, so it may not create batches.', 'no_aliases');
    }
    const file = await this.store.getFile(identity.tenantId, inputFileId);
    if (!file) throw new NotFoundError(`No file ${inputFileId} of yours exists.`, 'file_not_found', 'input_file_id');
    if (file.purpose !== FilePurpose.BATCH) throw new InvalidRequestError(`File ${inputFileId} was not uploaded with purpose "batch".`, 'invalid_value', 'input_file_id');
    const input = parseBatchInput(file.content);
    const createdAt = Math.floor(this.now() / 1000);
    const batch: StoredBatch = {
      id: newId('batch'),
      tenantId: identity.tenantId,
      identity,
      endpoint,
      inputFileId,
      completionWindow: COMPLETION_WINDOW,
      metadata,
      status: BatchStatus.VALIDATING,
      createdAt,
      expiresAt: createdAt + WINDOW_SECONDS,
      total: input.length,
      refusals: [],
    };
    await this.store.putBatch(batch);
    // Every line is checked like a synchronous request before any runs.
    const checked = await this.runner(lines).check(batch, input);
    if (this.options.runInProcess !== false) this.start(checked, lines);
    return json(await this.render(checked));
  }

  private async listBatches(tenantId: string, query: Readonly<Record<string, string>>): Promise<BatchAnswer> {
    const limit = limitParam(query.limit);
    const after = query.after;
    if (after !== undefined && !(await this.store.getBatch(tenantId, after))) {
      throw new InvalidRequestError(`"after" must be the id of one of your batches; ${after.slice(0, 64)} is not.`, 'invalid_value', 'after');
    }
    const page = await this.store.listBatches(tenantId, after, limit);
    const data = await Promise.all(page.data.map((b) => this.render(b)));
    return json({
      object: 'list', data, has_more: page.hasMore,
      first_id: page.data[0]?.id ?? null, last_id: page.data.at(-1)?.id ?? null,
    });
  }

  private async cancel(tenantId: string, id: string): Promise<StoredBatch> {
    const batch = await this.ownBatch(tenantId, id);
    if (!cancellable(batch.status)) {
      if (batch.status === BatchStatus.CANCELLING || batch.status === BatchStatus.CANCELLED) return batch;
      throw new InvalidRequestError(`Batch ${id} is ${batch.status}: only a validating or in-progress batch can be cancelled.`, 'batch_not_cancellable');
    }
    const cancelling: StoredBatch = { ...batch, status: BatchStatus.CANCELLING, cancellingAt: Math.floor(this.now() / 1000) };
    await this.store.putBatch(cancelling);
    return cancelling;
  }

  private async ownFile(tenantId: string, id: string): Promise<StoredFile> {
    const file = await this.store.getFile(tenantId, id);
    // Another tenant's file reads exactly like an unknown one.
    if (!file) throw new NotFoundError(`No file ${id} of yours exists.`, 'file_not_found', 'file_id');
    return file;
  }

  private async ownBatch(tenantId: string, id: string): Promise<StoredBatch> {
    const batch = await this.store.getBatch(tenantId, id);
    if (!batch) throw new NotFoundError(`No batch ${id} of yours exists.`, 'batch_not_found', 'batch_id');
    return batch;
  }

  private async render(batch: StoredBatch): Promise<Record<string, unknown>> {
    const results = await this.store.lineResults(batch.id);
    const progress: BatchProgress = { completed: 0, failed: 0, inputTokens: 0, outputTokens: 0 };
    const sum = { ...progress };
    for (const r of results.values()) {
      if (r.ok) sum.completed++;
      else sum.failed++;
      sum.inputTokens += r.inputTokens;
      sum.outputTokens += r.outputTokens;
    }
    return batchObject(batch, sum);
  }

  private runner(lines: BatchLinePort): BatchRunner {
    return new BatchRunner({ store: this.store, lines, lineConcurrency: this.options.lineConcurrency, now: this.now, newId });
  }

  /** Runs a batch in the background, after the tenant's earlier batches beyond the concurrency limit. */
  private start(batch: StoredBatch, lines: BatchLinePort): void {
    if (this.running.has(batch.id) || isFinished(batch.status)) return;
    const limit = this.options.maxRunningBatchesPerTenant ?? BatchService.DEFAULT_MAX_RUNNING_BATCHES_PER_TENANT;
    const queue = this.queues.get(batch.tenantId) ?? [];
    this.queues.set(batch.tenantId, queue);
    // Wait for the batch `limit` places ahead in this tenant's queue.
    const ahead = queue.length >= limit ? queue[queue.length - limit] : Promise.resolve();
    const run = ahead.then(() => undefined, () => undefined).then(async () => {
      const latest = (await this.store.getBatch(batch.tenantId, batch.id)) ?? batch;
      return this.runner(lines).run(latest);
    });
    queue.push(run);
    this.running.set(batch.id, run);
    void run.catch((error: unknown) => {
      process.stderr.write(`batch ${batch.id} stopped: ${error instanceof Error ? error.name : 'error'}; it resumes on the next start\n`);
    }).finally(() => {
      this.running.delete(batch.id);
      queue.splice(queue.indexOf(run), 1);
    });
  }
}
