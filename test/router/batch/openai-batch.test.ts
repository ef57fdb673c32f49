/**
 * The Batch API through local mode with the official `openai` client: files.create / retrieve /
 * content, batches.create / retrieve / list / cancel; output and error files matched by custom_id;
 * every line checked like a synchronous request (same error codes); one usage record per line at
 * the batch price; a tenant never reads another's files or batches.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { runBatchCommand } from '../../../cli/batch';
import { CliIo } from '../../../cli/io';
import { BatchService } from '../../../lambda/router/batch/batch-service';
import { Gateway } from '../../../lambda/router/gateway';
import { LocalServer, startLocalServer } from '../../../lambda/router/local/server';
import { createGateway } from '../../../lambda/router/runtime';
import { Outcome } from '../../../lambda/router/usage/types';
import { resolveGatewayConfig } from '../../../lambda/shared/defaults';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { apiError } from '../../helpers/openai-e2e';
import { InMemoryUsageSink } from '../../helpers/in-memory-usage-sink';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { ACME_KEY, GLOBEX_KEY, testConfig } from '../../helpers/router-config';
import { fakeEmbedding } from '../../helpers/fake-embeddings';
import { TargetKind } from '../../../lambda/shared/config';

const BATCH_INPUT_PER_1K = 0.00005;
const BATCH_OUTPUT_PER_1K = 0.0001;
const EMBED_BATCH_INPUT_PER_1K = 0.00001;

function line(customId: string, body: Record<string, unknown>, url = '/v1/chat/completions'): string {
  return JSON.stringify({ custom_id: customId, method: 'POST', url, body });
}

const chat = (model: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ model, messages: [{ role: 'user', content: 'Classify: the parcel arrived late.' }], max_tokens: 16, ...extra });

describe('Batch API: openai client → local gateway', () => {
  let vllm: FakeOpenAiUpstream;
  let server: LocalServer;
  let gateway: Gateway;
  let batches: BatchService;
  let usage: InMemoryUsageSink;
  let acme: OpenAI;
  let globex: OpenAI;

  beforeAll(async () => {
    vllm = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
    const base = testConfig({ openai: vllm.baseUrl });
    const config = {
      ...base,
      // An embedding model on the same OpenAI-compatible server, for acme only.
      tenants: base.tenants.map((t) => (t.id === 'acme' ? { ...t, allowedAliases: [...t.allowedAliases, 'embed'] } : t)),
      targets: [...base.targets, { id: 'vllm-embed', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: vllm.baseUrl, model: 'bge-m3', capabilities: { embeddings: true } }],
      routes: [...base.routes, { alias: 'embed', targets: ['vllm-embed'] }],
      prices: {
        ...base.prices,
        'qwen3-8b': { inputUsdPer1K: 0.0001, outputUsdPer1K: 0.0002, batchInputUsdPer1K: BATCH_INPUT_PER_1K, batchOutputUsdPer1K: BATCH_OUTPUT_PER_1K },
        'bge-m3': { inputUsdPer1K: 0.00002, outputUsdPer1K: 0, batchInputUsdPer1K: EMBED_BATCH_INPUT_PER_1K, batchOutputUsdPer1K: 0 },
      },
    };
    usage = new InMemoryUsageSink();
    batches = new BatchService();
    gateway = createGateway(resolveGatewayConfig(GatewayConfigValidator.validate(config)), { usageSink: usage, batch: batches });
    server = await startLocalServer({ gateway, port: 0 });
    const client = (apiKey: string): OpenAI => new OpenAI({ baseURL: server.baseUrl, apiKey, maxRetries: 0, timeout: 10_000 });
    acme = client(ACME_KEY);
    globex = client(GLOBEX_KEY);
  });

  afterAll(async () => {
    await server.close();
    await vllm.close();
  });

  beforeEach(() => {
    usage.clear();
    vllm.reset();
  });

  async function upload(client: OpenAI, lines: readonly string[]): Promise<OpenAI.FileObject> {
    return client.files.create({ file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'input.jsonl'), purpose: 'batch' });
  }

  async function runBatch(client: OpenAI, lines: readonly string[], endpoint: '/v1/chat/completions' | '/v1/embeddings' = '/v1/chat/completions'): Promise<OpenAI.Batch> {
    const file = await upload(client, lines);
    const created = await client.batches.create({ input_file_id: file.id, endpoint, completion_window: '24h' });
    await batches.idle();
    return client.batches.retrieve(created.id);
  }

  async function jsonl(client: OpenAI, fileId: string | undefined): Promise<Record<string, unknown>[]> {
    if (fileId === undefined) return [];
    const text = await (await client.files.content(fileId)).text();
    return text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  test('files.create stores a batch file; files.retrieve and files.content give it back', async () => {
    const lines = [line('a', chat('chat'))];
    const file = await upload(acme, lines);
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'input.jsonl', bytes: Buffer.byteLength(`${lines[0]}\n`) });
    expect(await acme.files.retrieve(file.id)).toEqual(file);
    expect(await (await acme.files.content(file.id)).text()).toBe(`${lines[0]}\n`);
  });

  test('a batch ends completed: one output line per served request, matched by custom_id', async () => {
    const batch = await runBatch(acme, [line('first', chat('chat')), line('second', chat('chat'))]);
    expect(batch).toMatchObject({ status: 'completed', endpoint: '/v1/chat/completions', request_counts: { total: 2, completed: 2, failed: 0 } });
    const output = await jsonl(acme, batch.output_file_id);
    expect(output.map((o) => o.custom_id).sort()).toEqual(['first', 'second']);
    expect(output[0]).toMatchObject({ error: null, response: { status_code: 200, body: { object: 'chat.completion' } } });
    expect(batch.error_file_id).toBeUndefined();
  });

  test('every line leaves exactly one usage record, under the request id <batch>.<line>, at the batch price', async () => {
    const batch = await runBatch(acme, [line('first', chat('chat')), line('second', chat('chat'))]);
    const lineRecords = usage.records.filter((r) => r.requestId.startsWith(`${batch.id}.`));
    expect(lineRecords.map((r) => r.requestId).sort()).toEqual([`${batch.id}.1`, `${batch.id}.2`]);
    for (const r of lineRecords) {
      expect(r.costUsd).toBeCloseTo((r.inputTokens * BATCH_INPUT_PER_1K + r.outputTokens * BATCH_OUTPUT_PER_1K) / 1000, 12);
      expect(r.latencyClass).toBe('batch');
    }
  });

  test('invalid lines are checked before any runs and land in the error file with the synchronous error codes', async () => {
    const synchronous = await apiError(globex.chat.completions.create({ model: 'secure', messages: [{ role: 'user', content: 'x' }], max_tokens: 16 }));
    usage.clear();
    const batch = await runBatch(globex, [
      line('ok', chat('chat')),
      line('not-allowed', chat('secure')),
      line('streams', chat('chat', { stream: true })),
      line('wrong-url', chat('chat'), '/v1/embeddings'),
    ]);
    expect(batch.request_counts).toEqual({ total: 4, completed: 1, failed: 3 });
    const errors = Object.fromEntries((await jsonl(globex, batch.error_file_id)).map((e) => [e.custom_id, e]));
    expect(errors['not-allowed']).toMatchObject({ response: { status_code: synchronous.status }, error: { code: synchronous.code } });
    expect(errors.streams).toMatchObject({ response: { status_code: 400, body: { error: { param: 'stream' } } }, error: { code: 'invalid_value' } });
    expect(errors['wrong-url']).toMatchObject({ error: { code: 'invalid_value' }, response: { body: { error: { param: 'url' } } } });
    // Only the valid line reached the model; every line has its record.
    expect(vllm.requests).toHaveLength(1);
    expect(usage.records.filter((r) => r.requestId.startsWith(`${batch.id}.`)).map((r) => r.outcome).sort())
      .toEqual([Outcome.REJECTED, Outcome.REJECTED, Outcome.REJECTED, Outcome.SUCCESS].sort());
  });

  describe('embeddings lines (url /v1/embeddings)', () => {
    const eline = (customId: string, body: Record<string, unknown>): string => line(customId, body, '/v1/embeddings');
    const embed = (input: string | string[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({ model: 'embed', input, ...extra });

    test('each line\'s output is OpenAI\'s embeddings response, matched by custom_id', async () => {
      const batch = await runBatch(acme, [eline('two', embed(['late parcel', 'refund'])), eline('one', embed('lost card'))], '/v1/embeddings');
      expect(batch).toMatchObject({ status: 'completed', endpoint: '/v1/embeddings', request_counts: { total: 2, completed: 2, failed: 0 } });
      const output = Object.fromEntries((await jsonl(acme, batch.output_file_id)).map((o) => [o.custom_id, o]));
      expect(output.two).toMatchObject({ error: null, response: { status_code: 200, body: { object: 'list', model: 'embed' } } });
      const body = (output.two as { response: { body: { data: { object: string; index: number; embedding: number[] }[]; usage: { prompt_tokens: number } } } }).response.body;
      // In input order, one vector per input, like the synchronous endpoint.
      expect(body.data.map((d) => [d.object, d.index])).toEqual([['embedding', 0], ['embedding', 1]]);
      expect(body.data[0].embedding).toEqual(fakeEmbedding('late parcel', 8));
      expect(body.usage.prompt_tokens).toBeGreaterThan(0);
      expect(vllm.requests.map((r) => r.path)).toEqual(['/v1/embeddings', '/v1/embeddings']);
    });

    test('every embeddings line leaves one usage record at the batch input price, with no output tokens', async () => {
      const batch = await runBatch(acme, [eline('a', embed('one')), eline('b', embed(['two', 'three']))], '/v1/embeddings');
      const records = usage.records.filter((r) => r.requestId.startsWith(`${batch.id}.`));
      expect(records.map((r) => r.requestId).sort()).toEqual([`${batch.id}.1`, `${batch.id}.2`]);
      for (const r of records) {
        expect(r).toMatchObject({ operation: 'embeddings', outputTokens: 0, latencyClass: 'batch', outcome: Outcome.SUCCESS });
        expect(r.inputTokens).toBeGreaterThan(0);
        expect(r.costUsd).toBeCloseTo((r.inputTokens * EMBED_BATCH_INPUT_PER_1K) / 1000, 12);
      }
    });

    test('embeddings lines are checked like synchronous embeddings requests: same status and code in the error file', async () => {
      const chatAlias = await apiError(acme.embeddings.create({ model: 'chat', input: 'x' }));
      const auto = await apiError(acme.embeddings.create({ model: 'auto', input: 'x' }));
      const notAllowed = await apiError(globex.embeddings.create({ model: 'embed', input: 'x' }));
      usage.clear();
      vllm.reset();
      const batch = await runBatch(acme, [
        eline('ok', embed('fine')),
        eline('chat-model', embed('x', { model: 'chat' })),
        eline('auto', embed('x', { model: 'auto' })),
        eline('empty', embed([])),
        line('chat-line', chat('chat'), '/v1/chat/completions'),
      ], '/v1/embeddings');
      const globexBatch = await runBatch(globex, [eline('not-allowed', embed('x'))], '/v1/embeddings');
      expect(batch.request_counts).toEqual({ total: 5, completed: 1, failed: 4 });
      const errors = Object.fromEntries((await jsonl(acme, batch.error_file_id)).map((e) => [e.custom_id, e]));
      expect(errors['chat-model']).toMatchObject({ response: { status_code: chatAlias.status }, error: { code: chatAlias.code } });
      expect(errors.auto).toMatchObject({ response: { status_code: auto.status }, error: { code: auto.code } });
      expect(errors.empty).toMatchObject({ response: { status_code: 400, body: { error: { param: 'input' } } } });
      expect(errors['chat-line']).toMatchObject({ error: { code: 'invalid_value' }, response: { body: { error: { param: 'url' } } } });
      const [globexError] = await jsonl(globex, globexBatch.error_file_id);
      expect(globexError).toMatchObject({ custom_id: 'not-allowed', response: { status_code: notAllowed.status }, error: { code: notAllowed.code } });
      // Only the valid line reached the model; every line has its one record.
      expect(vllm.requests).toHaveLength(1);
      expect(usage.records.filter((r) => r.requestId.startsWith(`${batch.id}.`))).toHaveLength(5);
      expect(usage.records.filter((r) => r.requestId.startsWith(`${globexBatch.id}.`)).map((r) => r.operation)).toEqual(['embeddings']);
    });
  });

  test('a line the model fails lands in the error file with its status and code', async () => {
    vllm.setDefaultBehaviour(OpenAiBehaviours.error(400, { message: 'bad input' }));
    const batch = await runBatch(acme, [line('fails', chat('batch-only'))]);
    const [error] = await jsonl(acme, batch.error_file_id);
    expect(error).toMatchObject({ custom_id: 'fails', response: { status_code: 400 }, error: { code: 'upstream_rejected_request' } });
  });

  test('a tenant never reads another tenant\'s file or batch: 404 exactly as for an unknown id', async () => {
    const batch = await runBatch(acme, [line('a', chat('chat'))]);
    const unknownFile = await apiError(globex.files.retrieve('file_000000000000000000000000'));
    for (const attempt of [globex.files.retrieve(batch.input_file_id), globex.files.content(batch.output_file_id!)]) {
      const e = await apiError(attempt);
      expect([e.status, e.code]).toEqual([unknownFile.status, unknownFile.code]);
    }
    const unknownBatch = await apiError(globex.batches.retrieve('batch_000000000000000000000000'));
    for (const attempt of [globex.batches.retrieve(batch.id), globex.batches.cancel(batch.id)]) {
      const e = await apiError(attempt);
      expect([e.status, e.code]).toEqual([unknownBatch.status, unknownBatch.code]);
    }
    const ids: string[] = [];
    for await (const b of globex.batches.list()) ids.push(b.id);
    expect(ids).not.toContain(batch.id);
  });

  test('batches.list pages newest first with limit and after', async () => {
    const created: string[] = [];
    for (const id of ['p1', 'p2', 'p3']) created.push((await runBatch(acme, [line(id, chat('chat'))])).id);
    const first = await acme.batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual([created[2], created[1]]);
    expect(first.has_more).toBe(true);
    const second = await acme.batches.list({ limit: 2, after: created[1] });
    expect(second.data[0].id).toBe(created[0]);
  });

  test('cancelling a finished batch is refused', async () => {
    const batch = await runBatch(acme, [line('a', chat('chat'))]);
    const e = await apiError(acme.batches.cancel(batch.id));
    expect([e.status, e.code]).toEqual([400, 'batch_not_cancellable']);
  });

  test.each([
    ['purpose', async (c: OpenAI) => c.files.create({ file: await toFile(Buffer.from(line('a', chat('chat'))), 'a.jsonl'), purpose: 'assistants' })],
    ['file', async (c: OpenAI) => c.files.create({ file: await toFile(Buffer.from('{"custom_id":"a"}\nnot json\n'), 'a.jsonl'), purpose: 'batch' })],
    ['completion_window', async (c: OpenAI) => c.batches.create({
      input_file_id: (await upload(c, [line('a', chat('chat'))])).id, endpoint: '/v1/chat/completions', completion_window: '48h' as '24h',
    })],
    ['endpoint', async (c: OpenAI) => c.batches.create({ input_file_id: (await upload(c, [line('a', chat('chat'))])).id, endpoint: '/v1/images/generations', completion_window: '24h' })],
    ['input_file_id', async (c: OpenAI) => c.batches.create({ input_file_id: 'file_nope', endpoint: '/v1/chat/completions', completion_window: '24h' })],
  ])('bad %s is refused with an OpenAI error naming it', async (param, call) => {
    const e = await apiError(call(acme));
    expect(e.status).toBeGreaterThanOrEqual(400);
    expect(e.param).toBe(param);
  });

  test('an upload names the first malformed line', async () => {
    const e = await apiError(acme.files.create({ file: await toFile(Buffer.from(`${line('a', chat('chat'))}\n${line('a', chat('chat'))}\n`), 'dup.jsonl'), purpose: 'batch' }));
    expect(e.message).toMatch(/Line 2 .*custom_id/);
  });

  describe('cdk-ai-gateway batch', () => {
    let dir: string;
    const env = { GW_KEY: ACME_KEY };
    const io = (): CliIo & { out: string[]; err: string[] } => {
      const out: string[] = [];
      const err: string[] = [];
      return { out, err, stdout: (t) => { out.push(t); }, stderr: (t) => { err.push(t); } };
    };
    const cli = async (args: string[]): Promise<{ code: number; out: string[]; err: string[] }> => {
      const captured = io();
      const code = await runBatchCommand([...args, '--url', server.baseUrl, '--key-env', 'GW_KEY'], captured, env);
      return { code, out: captured.out, err: captured.err };
    };

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'gw-batch-cli-'));
    });

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('submit, status, list and download a batch', async () => {
      const input = join(dir, 'in.jsonl');
      writeFileSync(input, `${[line('one', chat('chat')), line('bad', chat('secure', { stream: true }))].join('\n')}\n`);
      const submitted = await cli(['submit', input, '--metadata', 'job=nightly']);
      expect(submitted.code).toBe(0);
      const id = submitted.out[0].split(' ')[0];
      expect(id).toMatch(/^batch_/);
      await batches.idle();
      expect((await cli(['status', id])).out[0]).toMatch(/completed {2}total 2 {2}completed 1 {2}failed 1/);
      expect((await cli(['list', '--limit', '1'])).out[0]).toContain(id);
      const downloaded = await cli(['download', id, '--out', dir]);
      expect(downloaded.out).toHaveLength(2);
      expect(JSON.parse(readFileSync(join(dir, `${id}_output.jsonl`), 'utf8'))).toMatchObject({ custom_id: 'one' });
      expect(JSON.parse(readFileSync(join(dir, `${id}_errors.jsonl`), 'utf8'))).toMatchObject({ custom_id: 'bad' });
    });

    test('a refused call exits 1 with the gateway\'s message and code', async () => {
      const result = await cli(['cancel', 'batch_000000000000000000000000']);
      expect(result.code).toBe(1);
      expect(result.err[0]).toMatch(/404 .*\(batch_not_found\)/);
    });

    test('without a key in the named variable it exits 2 before any call', async () => {
      const captured = io();
      expect(await runBatchCommand(['list', '--url', server.baseUrl, '--key-env', 'NOPE'], captured, {})).toBe(2);
      expect(captured.err[0]).toMatch(/NOPE/);
    });
  });
});
