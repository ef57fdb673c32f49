/** The incident-controls stage: its effect on a route plan, and the cache's timing and fail-safe behaviour. */
import { CachedControls, ControlEntry, ControlSet, applyIncidentControls } from '../../../lambda/router/pipeline/controls';
import { MemoryControlsLoader } from '../../../lambda/router/incident/file-controls';
import { ControlKind } from '../../../lambda/shared/incident-controls-schema';
import { PermissionDeniedError, ServiceUnavailableError } from '../../../lambda/router/errors';
import { harness } from '../../helpers/router-harness';
import { resolved, thrownBy } from '../../helpers/router-config';

const control = (kind: ControlKind, subject: string): ControlEntry => ({ kind, subject, reason: 'INC-1 test', actor: 'arn:aws:iam::111122223333:user/op', at: '2026-12-07T00:00:00.000Z' });
const TENANT = { tenantId: 'globex', tier: 'standard', keyId: 'abcdefabcdef', allowedAliases: new Set(['chat']), sensitivityClearance: 'internal', defaultSensitivity: 'internal' } as never;

describe('applyIncidentControls', () => {
  const config = resolved();
  const plan = harness({ config }).plan; // route chat: vllm, then bedrock-nova

  test('no controls: the plan is unchanged', () => {
    expect(applyIncidentControls(plan, TENANT, ControlSet.EMPTY, config)).toBe(plan);
  });

  test('a suspended tenant or key: 403 tenant_suspended / key_suspended', () => {
    const tenant = thrownBy(PermissionDeniedError, () => applyIncidentControls(plan, TENANT, new ControlSet([control('tenant', 'globex')]), config));
    expect(tenant).toMatchObject({ status: 403, code: 'tenant_suspended' });
    expect(thrownBy(PermissionDeniedError, () => applyIncidentControls(plan, TENANT, new ControlSet([control('key', 'abcdefabcdef')]), config))).toMatchObject({ status: 403, code: 'key_suspended' });
    // Another tenant's suspension does not touch this one.
    expect(applyIncidentControls(plan, TENANT, new ControlSet([control('tenant', 'acme')]), config)).toBe(plan);
  });

  test('a suspended route: 503 route_suspended with Retry-After', () => {
    const error = thrownBy(ServiceUnavailableError, () => applyIncidentControls(plan, TENANT, new ControlSet([control('route', 'chat')]), config));
    expect(error).toMatchObject({ status: 503, code: 'route_suspended', retryAfterSeconds: 60 });
  });

  test('a forced fallback skips the primary target and says so', () => {
    const out = applyIncidentControls(plan, TENANT, new ControlSet([control('fallback', 'chat')]), config);
    expect(out.candidates.map((c) => c.config.id)).toEqual(['bedrock-nova']);
    expect(out.skipped).toEqual([expect.objectContaining({ targetId: 'vllm', reason: 'forced_fallback' })]);
  });

  test('a suspended target is skipped; a route left with none: 503 targets_suspended; forced fallback with no fallback: fallback_unavailable', () => {
    expect(applyIncidentControls(plan, TENANT, new ControlSet([control('target', 'bedrock-nova')]), config).candidates.map((c) => c.config.id)).toEqual(['vllm']);
    expect(thrownBy(ServiceUnavailableError, () => applyIncidentControls(plan, TENANT, new ControlSet([control('target', 'vllm'), control('target', 'bedrock-nova')]), config)))
      .toMatchObject({ status: 503, code: 'targets_suspended' });
    const summary = harness({ config, alias: 'summary' }).plan; // one target only
    expect(thrownBy(ServiceUnavailableError, () => applyIncidentControls(summary, TENANT, new ControlSet([control('fallback', 'summary')]), config)))
      .toMatchObject({ status: 503, code: 'fallback_unavailable' });
  });
});

describe('CachedControls', () => {
  test('reads once per cache period: a new control takes effect when the period ends, not before', async () => {
    let now = 1_000_000;
    const loader = new MemoryControlsLoader();
    const load = jest.spyOn(loader, 'load');
    const cached = new CachedControls(loader, { cacheMs: 30_000, now: () => now });
    expect((await cached.get()).entries).toEqual([]);
    loader.entries.push(control('tenant', 'globex'));
    now += 29_999;
    expect((await cached.get()).get('tenant', 'globex')).toBeUndefined();
    now += 1;
    expect((await cached.get()).get('tenant', 'globex')).toMatchObject({ reason: 'INC-1 test' });
    expect(load).toHaveBeenCalledTimes(2);
  });

  test('concurrent requests share one read', async () => {
    const loader = new MemoryControlsLoader();
    const load = jest.spyOn(loader, 'load');
    const cached = new CachedControls(loader, { now: () => 0 });
    await Promise.all([cached.get(), cached.get(), cached.get()]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  test('a failed read keeps the last controls in force, logs, and retries after retryMs', async () => {
    let now = 0;
    const lines: Record<string, unknown>[] = [];
    const loader = new MemoryControlsLoader();
    loader.entries.push(control('route', 'chat'));
    const cached = new CachedControls(loader, { cacheMs: 10_000, retryMs: 2_000, now: () => now, log: (l) => lines.push(l) });
    await cached.get();
    const load = jest.spyOn(loader, 'load').mockRejectedValue(Object.assign(new Error('down'), { name: 'ServiceUnavailable' }));
    now = 10_000;
    expect((await cached.get()).get('route', 'chat')).toBeDefined();
    expect(lines).toEqual([expect.objectContaining({ level: 'ERROR', message: 'incident controls unavailable', kept: 'last controls read', error: 'ServiceUnavailable' })]);
    now = 11_999;
    await cached.get();
    expect(load).toHaveBeenCalledTimes(1);
    now = 12_000;
    await cached.get();
    expect(load).toHaveBeenCalledTimes(2);
  });

  test('never read: serves without controls (fail open) and logs it', async () => {
    const lines: Record<string, unknown>[] = [];
    const cached = new CachedControls({ load: () => Promise.reject(new Error('x')) }, { now: () => 0, log: (l) => lines.push(l) });
    expect((await cached.get()).entries).toEqual([]);
    expect(lines[0]).toMatchObject({ kept: 'none (serving without controls)' });
  });

  test('refuses a cache period above 30 s', () => {
    expect(() => new CachedControls(new MemoryControlsLoader(), { cacheMs: 31_000 })).toThrow(/cacheMs must be between 0 and 30000, received 31000/);
  });
});

