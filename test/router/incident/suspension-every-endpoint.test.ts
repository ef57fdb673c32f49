/**
 * A suspended tenant or key is refused before any other work on every router endpoint: the
 * incident controls are read right after the caller is known, so no body is parsed, no ledger
 * read or written, no batch touched and no model called. One row per endpoint; each row also
 * checks that another tenant is served past that point (the refusal is the suspension's, not the
 * endpoint's).
 */
import { BatchEndpoints } from '../../../lambda/router/batch/types';
import { MemoryControlsLoader } from '../../../lambda/router/incident/file-controls';
import { CachedControls, ControlEntry } from '../../../lambda/router/pipeline/controls';
import { UsageStore } from '../../../lambda/router/usage/store';
import { ControlKind } from '../../../lambda/shared/incident-controls-schema';
import { ACME_KEY, GLOBEX_KEY, sha256 } from '../../helpers/router-config';
import { chatRequest, hello, MemorySink, send, testGateway } from '../../helpers/router-fakes';

const control = (kind: ControlKind, subject: string): ControlEntry => ({ kind, subject, reason: 'INC-18 test', actor: 'local:op', at: '2026-12-07T00:00:00.000Z' });

interface Row {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly operation: string;
}

const ROWS: readonly Row[] = [
  { name: 'chat completions', method: 'POST', path: '/v1/chat/completions', body: hello(), operation: 'chat.completions' },
  { name: 'streamed chat completions', method: 'POST', path: '/v1/chat/completions', body: hello('chat', { stream: true }), operation: 'chat.completions' },
  { name: 'embeddings', method: 'POST', path: '/v1/embeddings', body: { model: 'chat', input: 'hello' }, operation: 'embeddings' },
  { name: 'model list', method: 'GET', path: '/v1/models', operation: 'models' },
  { name: 'one model', method: 'GET', path: '/v1/models/chat', operation: 'models' },
  { name: 'feedback', method: 'POST', path: '/v1/feedback', body: { request_id: 'req-1', score: 1 }, operation: 'feedback' },
  { name: 'usage', method: 'GET', path: '/v1/usage', operation: 'usage' },
  { name: 'file upload', method: 'POST', path: '/v1/files', body: 'x', operation: 'files' },
  { name: 'one file', method: 'GET', path: '/v1/files/file-abc', operation: 'files' },
  { name: 'file content', method: 'GET', path: '/v1/files/file-abc/content', operation: 'files' },
  { name: 'batch creation', method: 'POST', path: '/v1/batches', body: { input_file_id: 'file-abc', endpoint: '/v1/chat/completions', completion_window: '24h' }, operation: 'batches' },
  { name: 'batch list (trailing slash)', method: 'GET', path: '/v1/batches/', operation: 'batches' },
  { name: 'batch cancel', method: 'POST', path: '/v1/batches/batch-abc/cancel', operation: 'batches' },
];

function setup() {
  const loader = new MemoryControlsLoader();
  const work: string[] = [];
  const usageStore: UsageStore = {
    recordFeedback: async () => {
      work.push('recordFeedback');
      return undefined;
    },
    readUsage: async () => {
      work.push('readUsage');
      throw new Error('not under test');
    },
  };
  const batch: BatchEndpoints = {
    maxFileBytes: 1024,
    handle: async () => {
      work.push('batch');
      return { status: 200, contentType: 'application/json', body: '{}' };
    },
  };
  const t = testGateway({ controls: new CachedControls(loader, { cacheMs: 0 }), usageStore, batch });
  return { t, loader, work };
}

function requestOf(row: Row, key: string) {
  return chatRequest(row.body ?? {}, {
    key, method: row.method, path: row.path,
    ...(row.body === undefined ? { rawBody: '' } : typeof row.body === 'string' ? { rawBody: row.body } : {}),
  });
}

describe.each(ROWS)('$name ($method $path)', (row) => {
  test.each([
    ['tenant', 'acme', 'tenant_suspended', 'This tenant is suspended by the gateway operators.'],
    ['key', sha256(ACME_KEY).slice(0, 12), 'key_suspended', 'This API key is suspended by the gateway operators.'],
  ] as const)('a suspended %s: 403 before any work; one usage record', async (kind, subject, code, message) => {
    const { t, loader, work } = setup();
    loader.entries.push(control(kind, subject));
    const sink = await send(t.gateway, requestOf(row, ACME_KEY), new MemorySink());
    expect(sink.status).toBe(403);
    expect(sink.json()).toEqual({ error: { message, type: 'permission_error', code, param: null } });
    expect(work).toEqual([]);
    expect(t.openai.calls).toHaveLength(0);
    expect(t.bedrock.calls).toHaveLength(0);
    expect(t.guardrails.calls).toHaveLength(0);
    expect(t.usage.records).toHaveLength(1);
    expect(t.usage.records[0]).toMatchObject({ tenantId: 'acme', operation: row.operation, status: 403 });
  });

  test("another tenant's suspension does not refuse this one", async () => {
    const { t, loader } = setup();
    loader.entries.push(control('tenant', 'acme'), control('key', sha256(ACME_KEY).slice(0, 12)));
    const sink = await send(t.gateway, requestOf(row, GLOBEX_KEY), new MemorySink());
    expect(sink.status).not.toBe(403);
    expect(t.usage.records).toEqual([expect.objectContaining({ tenantId: 'globex', operation: row.operation })]);
  });
});
