/**
 * The batch runner against a fake pipeline port and an injected clock: cancellation, the 24 h
 * completion window, a crash in the middle of a batch and its replay (every line ends in exactly
 * one result and one served request or refusal), and the per-tenant limit on running batches.
 */
import { BatchService } from '../../../lambda/router/batch/batch-service';
import { BatchStatus, InMemoryBatchStore } from '../../../lambda/router/batch/store';
import { BatchLineAnswer, BatchLinePlan, BatchLinePort, BatchLineRequest } from '../../../lambda/router/batch/types';
import { GatewayError } from '../../../lambda/router/errors';
import { GatewayRequest } from '../../../lambda/router/http';

/** A pipeline that answers every line at once (or as told), and counts what it saw. */
class FakeLines implements BatchLinePort {
  readonly served: BatchLineRequest[] = [];
  /** Called before each served line; may throw (a crash) or wait. */
  beforeServe: (line: BatchLineRequest) => Promise<void> = () => Promise.resolve();

  checkBatchLine(): Promise<GatewayError | undefined> {
    return Promise.resolve(undefined);
  }

  planBatchLine(): Promise<BatchLinePlan> {
    return Promise.reject(new Error('local batches do not plan jobs'));
  }

  async serveBatchLine(line: BatchLineRequest): Promise<BatchLineAnswer> {
    await this.beforeServe(line);
    this.served.push(line);
    if (line.refusal) return { status: line.refusal.status, body: JSON.stringify(line.refusal.envelope()) };
    return { status: 200, body: JSON.stringify({ object: 'chat.completion', usage: { prompt_tokens: 3, completion_tokens: 2 } }) };
  }

  /** The request ids served, refusals included, in order. */
  ids(): string[] {
    return this.served.map((l) => l.requestId);
  }
}

const IDENTITY = { tenantId: 'acme' };
const LINES = (n: number): string => Array.from({ length: n }, (_, i) =>
  JSON.stringify({ custom_id: `c${i + 1}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [] } })).join('\n');

function request(method: string, path: string, body?: unknown): GatewayRequest {
  const bytes = body === undefined ? new Uint8Array(0) : Buffer.from(JSON.stringify(body));
  return { method, path, headers: { 'content-type': 'application/json' }, body: bytes, credentials: { kind: 'bearer' }, receivedAt: 0 };
}

async function uploadRequest(content: string): Promise<GatewayRequest> {
  const form = new FormData();
  form.set('purpose', 'batch');
  form.set('file', new Blob([content]), 'in.jsonl');
  const encoded = new Response(form);
  return {
    method: 'POST', path: '/v1/files', headers: { 'content-type': encoded.headers.get('content-type')! },
    body: new Uint8Array(await encoded.arrayBuffer()), credentials: { kind: 'bearer' }, receivedAt: 0,
  };
}

interface Harness {
  readonly service: BatchService;
  readonly store: InMemoryBatchStore;
  readonly lines: FakeLines;
  readonly clock: { now: number };
  create(n: number): Promise<string>;
  batch(id: string): Promise<Record<string, unknown>>;
}

function harness(options: { maxRunning?: number } = {}): Harness {
  const store = new InMemoryBatchStore();
  const clock = { now: Date.UTC(2026, 11, 7, 4, 0, 0) };
  const service = new BatchService({ store, now: () => clock.now, lineConcurrency: 1, maxRunningBatchesPerTenant: options.maxRunning });
  const lines = new FakeLines();
  const call = async (req: GatewayRequest): Promise<Record<string, unknown>> =>
    JSON.parse((await service.handle({ request: req, identity: IDENTITY, lines })).body) as Record<string, unknown>;
  return {
    service, store, lines, clock,
    async create(n) {
      const file = await call(await uploadRequest(LINES(n)));
      const batch = await call(request('POST', '/v1/batches', { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }));
      return batch.id as string;
    },
    batch: (id) => call(request('GET', `/v1/batches/${id}`)),
  };
}

async function outputCustomIds(h: Harness, batch: Record<string, unknown>, field: 'output_file_id' | 'error_file_id'): Promise<string[]> {
  const file = await h.store.getFile('acme', batch[field] as string);
  return (file?.content.trim().split('\n') ?? []).map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);
}

describe('BatchRunner', () => {
  test('a batch cancelled while it runs: the lines left end as batch_cancelled refusals, each with one record', async () => {
    const h = harness();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    h.lines.beforeServe = async (line) => {
      if (line.requestId.endsWith('.2')) await gate;
    };
    const id = await h.create(4);
    await new Promise((r) => setImmediate(r));
    const cancelled = JSON.parse((await h.service.handle({ request: request('POST', `/v1/batches/${id}/cancel`), identity: IDENTITY, lines: h.lines })).body) as Record<string, unknown>;
    expect(cancelled.status).toBe(BatchStatus.CANCELLING);
    release();
    await h.service.idle();
    const batch = await h.batch(id);
    expect(batch.status).toBe(BatchStatus.CANCELLED);
    expect(h.lines.ids().sort()).toEqual([1, 2, 3, 4].map((n) => `${id}.${n}`));
    const refused = h.lines.served.filter((l) => l.refusal !== undefined).map((l) => l.refusal!.code);
    expect(refused).toEqual(['batch_cancelled', 'batch_cancelled']);
    expect(await outputCustomIds(h, batch, 'error_file_id')).toEqual(['c3', 'c4']);
  });

  test('lines not run within the 24 h completion window end as batch_expired; the batch is expired', async () => {
    const h = harness();
    h.lines.beforeServe = (line) => {
      // The first line takes the whole window.
      if (line.requestId.endsWith('.1')) h.clock.now += 24 * 3600 * 1000;
      return Promise.resolve();
    };
    const id = await h.create(3);
    await h.service.idle();
    const batch = await h.batch(id);
    expect(batch.status).toBe(BatchStatus.EXPIRED);
    expect(batch.request_counts).toEqual({ total: 3, completed: 1, failed: 2 });
    expect(h.lines.served.filter((l) => l.refusal?.code === 'batch_expired')).toHaveLength(2);
  });

  test('a crash in the middle: the replay serves only the lines without a result, under the same request ids', async () => {
    const h = harness();
    let crashed = false;
    h.lines.beforeServe = (line) => {
      if (line.requestId.endsWith('.3') && !crashed) {
        crashed = true;
        return Promise.reject(new Error('process killed'));
      }
      return Promise.resolve();
    };
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const id = await h.create(5);
    await h.service.idle();
    stderr.mockRestore();
    expect((await h.batch(id)).status).toBe(BatchStatus.IN_PROGRESS);
    await h.service.resume(h.lines);
    await h.service.idle();
    const batch = await h.batch(id);
    expect(batch.status).toBe(BatchStatus.COMPLETED);
    expect(h.lines.ids()).toEqual([1, 2, 3, 4, 5].map((n) => `${id}.${n}`));
    expect(await outputCustomIds(h, batch, 'output_file_id')).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
  });

  test('resuming a finished batch serves nothing again', async () => {
    const h = harness();
    const id = await h.create(2);
    await h.service.idle();
    await h.service.resume(h.lines);
    await h.service.idle();
    expect(h.lines.ids()).toEqual([`${id}.1`, `${id}.2`]);
  });

  test('at most maxRunningBatchesPerTenant batches of a tenant run at once', async () => {
    const h = harness({ maxRunning: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let first: string | undefined;
    h.lines.beforeServe = async (line) => {
      first ??= line.requestId.split('.')[0];
      if (line.requestId.startsWith(first)) await gate;
    };
    const a = await h.create(1);
    const b = await h.create(1);
    await new Promise((r) => setImmediate(r));
    expect(h.lines.ids()).toEqual([]);
    expect((await h.batch(b)).request_counts).toEqual({ total: 1, completed: 0, failed: 0 });
    release();
    await h.service.idle();
    expect(h.lines.ids()).toEqual([`${a}.1`, `${b}.1`]);
  });
});
