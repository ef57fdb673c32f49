/**
 * The kill switch in local mode, end to end: `cdk-ai-gateway incident … --file F` writes the
 * controls file, the local server's gateway reads it through the controls cache (injected clock),
 * and clients see the effect once the cache period ends.
 */
import * as http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIncidentCommand } from '../../../cli/incident';
import { FileControlsLoader } from '../../../lambda/router/incident/file-controls';
import { LocalServer, startLocalServer } from '../../../lambda/router/local/server';
import { CachedControls } from '../../../lambda/router/pipeline/controls';
import { ACME_KEY, GLOBEX_KEY, sha256 } from '../../helpers/router-config';
import { Steps, testGateway, TestGateway, Upstream } from '../../helpers/router-fakes';

const CACHE_MS = 30_000;

async function post(server: LocalServer, key: string, model = 'chat'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }> {
  const res = await fetch(`${server.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const headers: http.IncomingHttpHeaders = {};
  res.headers.forEach((v, k) => { headers[k] = v; });
  return { status: res.status, headers, body: (await res.json()) as Record<string, unknown> };
}

describe('incident controls in local mode', () => {
  let dir: string;
  let file: string;
  let now: number;
  let t: TestGateway;
  let server: LocalServer;
  const out: string[] = [];
  const err: string[] = [];
  const incident = (args: string[]) => runIncidentCommand([...args, '--file', file], {
    stdout: (s) => out.push(s), stderr: (s) => err.push(s), now: () => new Date(now),
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'incident-'));
    file = join(dir, 'controls.json');
    now = Date.parse('2026-12-07T10:00:00.000Z');
    out.length = 0;
    err.length = 0;
    t = testGateway({ controls: new CachedControls(new FileControlsLoader(file), { cacheMs: CACHE_MS, now: () => now }) });
    server = await startLocalServer({ gateway: t.gateway, port: 0 });
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a suspended tenant gets 403 tenant_suspended once the cache period ends; other tenants are served; resume lifts it', async () => {
    expect((await post(server, ACME_KEY)).status).toBe(200); // controls read (none) at t0
    expect(await incident(['suspend-tenant', '--tenant', 'acme', '--reason', 'INC-7: leaked key under investigation'])).toBe(0);
    expect(out.join('\n')).toMatch(/tenant acme: in force \(recorded as local:.+ at 2026-12-07T10:00:00.000Z\); every router applies it within 30 s/);

    now += CACHE_MS - 1;
    expect((await post(server, ACME_KEY)).status).toBe(200); // still the controls read at t0
    now += 1;
    const refused = await post(server, ACME_KEY);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: { message: 'This tenant is suspended by the gateway operators.', type: 'permission_error', code: 'tenant_suspended', param: null } });
    expect((await post(server, GLOBEX_KEY)).status).toBe(200);
    expect(t.usage.records.at(-2)).toMatchObject({ tenantId: 'acme', status: 403 });

    expect(await incident(['resume', '--kind', 'tenant', '--subject', 'acme', '--reason', 'INC-7 closed: key rotated'])).toBe(0);
    now += CACHE_MS;
    expect((await post(server, ACME_KEY)).status).toBe(200);

    const history = JSON.parse(readFileSync(file, 'utf8')).history;
    expect(history).toEqual([
      expect.objectContaining({ action: 'suspend', kind: 'tenant', subject: 'acme', reason: 'INC-7: leaked key under investigation', actor: expect.stringMatching(/^local:/) }),
      expect.objectContaining({ action: 'resume', kind: 'tenant', subject: 'acme', reason: 'INC-7 closed: key rotated' }),
    ]);
  });

  test('a forced fallback skips the primary target: the fallback serves and the answer says so', async () => {
    expect(await incident(['force-fallback', '--route', 'chat', '--reason', 'INC-8: vLLM answers garbage after the upgrade'])).toBe(0);
    const res = await post(server, ACME_KEY);
    expect(res.status).toBe(200);
    expect(t.openai.calls).toHaveLength(0); // vllm, the primary, never called
    expect(t.bedrock.calls.map((c) => c.target.kind === 'bedrock' && c.target.modelId)).toEqual(['amazon.nova-lite-v1:0']);
    expect(res.headers['x-gateway-fallback']).toBe('true');
  });

  test('suspend a key, a target and a route', async () => {
    await incident(['suspend-key', '--key-id', sha256(GLOBEX_KEY).slice(0, 12), '--reason', 'INC-9: key posted in a public repo']);
    await incident(['suspend-target', '--target', 'bedrock-nova', '--reason', 'INC-9: Bedrock model deprecated early']);
    await incident(['suspend-route', '--route', 'summary', '--reason', 'INC-9: summaries leak internal notes']);
    expect((await post(server, GLOBEX_KEY)).body).toMatchObject({ error: { code: 'key_suspended' } });
    expect((await post(server, ACME_KEY, 'summary')).body).toMatchObject({ error: { code: 'route_suspended' } });
    t.openai.enqueue(...[1, 2, 3].map(() => Steps.error(Upstream.unavailable())));
    // chat: vllm fails and its fallback bedrock-nova is suspended: no answer from Bedrock.
    const chat = await post(server, ACME_KEY);
    expect(t.bedrock.calls).toHaveLength(0);
    expect(chat.status).toBe(503);
    expect(t.openai.calls).toHaveLength(3);

    out.length = 0;
    expect(await incident(['list'])).toBe(0);
    expect(out).toHaveLength(3);
    expect(out.join('\n')).toMatch(/key [0-9a-f]{12} .*INC-9: key posted/);
    out.length = 0;
    expect(await incident(['list', '--history', '--limit', '2'])).toBe(0);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/suspend +route summary/);
  });

  test('bad command lines are refused with what is allowed', async () => {
    expect(await incident(['suspend-tenant', '--tenant', 'acme'])).toBe(2);
    expect(err.join('\n')).toMatch(/--reason is required: say why, in 10 to 500 characters/);
    expect(await incident(['suspend-key', '--key-id', 'acme', '--reason', 'INC-1 something bad'])).toBe(2);
    expect(err.join('\n')).toMatch(/'acme' is not a key id: the 12 hex characters/);
    expect(await incident(['resume', '--kind', 'everything', '--subject', 'x', '--reason', 'INC-1 something bad'])).toBe(2);
    expect(err.join('\n')).toMatch(/resume needs --kind, one of tenant, key, route, target, fallback; received 'everything'/);
    expect(await runIncidentCommand(['list'], { stdout: () => undefined, stderr: (s) => err.push(s) })).toBe(2);
    expect(err.join('\n')).toMatch(/give exactly one of --table NAME \(deployed\) or --file PATH/);
    expect(await incident(['shutdown'])).toBe(2);
    expect(err.join('\n')).toMatch(/unknown action 'shutdown'; allowed: suspend-tenant, suspend-key, suspend-route, suspend-target, force-fallback, resume, list/);
  });
});
