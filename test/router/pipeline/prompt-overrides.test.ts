import { readRoutingHints } from '../../../lambda/router/pipeline/hints';
import { parseChatRequest } from '../../../lambda/router/pipeline/parse';
import { applyPrompt } from '../../../lambda/router/pipeline/prompt';
import { resolveTenant } from '../../../lambda/router/pipeline/tenant';
import { CachedLabelOverrides, FileLabelStore, LabelStore, overrideKey } from '../../../lambda/router/prompts/label-store';
import { LabelHistoryEntry, LabelMoveSource } from '../../../lambda/shared/prompt-label-schema';
import { Outcome } from '../../../lambda/router/usage/types';
import { resolved } from '../../helpers/router-config';
import { chatRequest, hello, send, Steps, testGateway } from '../../helpers/router-fakes';
import { promptConfig } from '../../prompts/fixtures';

const config = resolved(promptConfig());
const tenant = resolveTenant({ kind: 'authorizer', context: { tenantId: 'acme' } }, {}, config);
const variables = { product: 'Acme Pay', ticket: 'Charged twice', priority: '1' };

function resolvedVersion(overrides: ReadonlyMap<string, number> | undefined, user: string, version = 'canary'): number | undefined {
  const chat = parseChatRequest(Buffer.from(JSON.stringify({
    model: 'chat', user, prompt: { id: 'support-reply', version, variables }, messages: [{ role: 'user', content: 'hi' }],
  })), undefined, config.limits, {});
  return applyPrompt({ chat, hints: readRoutingHints({}, chat.metadata), tenant, requestId: 'r', config, labelOverrides: overrides }).prompt?.version;
}

const move = (version: number, eventId: string): LabelHistoryEntry => ({
  promptId: 'support-reply', label: 'canary', version, previousVersion: 2, updatedAt: '2026-12-07T02:00:00.000Z',
  source: LabelMoveSource.ALARM, actor: 'alarm', reason: 'error rate', eventId,
});

/** Users the configured canary split (1: 90, 2: 10) sends to version 2. */
const canaryUsers = Array.from({ length: 400 }, (_, i) => `user-${i}`).filter((u) => resolvedVersion(undefined, u) === 2);

describe('label overrides in the prompt stage', () => {
  test('an override of the canary label sends every user to its version; other labels and numbers are untouched', () => {
    expect(canaryUsers.length).toBeGreaterThan(0);
    const overrides = new Map([[overrideKey('support-reply', 'canary'), 1]]);
    for (const user of canaryUsers) expect(resolvedVersion(overrides, user)).toBe(1);
    expect(resolvedVersion(overrides, canaryUsers[0], '2')).toBe(2);
    expect(resolvedVersion(new Map([[overrideKey('support-reply', 'prod'), 2]]), canaryUsers[0])).toBe(2);
  });

  test('an override naming a version the prompt does not have is ignored', () => {
    const overrides = new Map([[overrideKey('support-reply', 'canary'), 9]]);
    expect(resolvedVersion(overrides, canaryUsers[0])).toBe(2);
  });

  test('the router re-reads overrides only after the cache time (injected clock) and honours the new ones', async () => {
    // Prepare
    let now = 1_000_000;
    const store = new FileLabelStore();
    const list = jest.spyOn(store, 'list');
    const cache = new CachedLabelOverrides({ store, ttlMs: 15_000, now: () => now, log: () => undefined });
    expect(resolvedVersion(await cache.current(), canaryUsers[0])).toBe(2);

    // Act: the label is rolled back; within the cache time the old view stays
    await store.move(move(1, 'e1'));
    now += 14_999;
    const before = await cache.current();
    now += 1;
    const after = await cache.current();

    // Assess
    expect(resolvedVersion(before, canaryUsers[0])).toBe(2);
    expect(resolvedVersion(after, canaryUsers[0])).toBe(1);
    expect(list).toHaveBeenCalledTimes(2);
  });

  test('the cache time is at most 30 s', async () => {
    let now = 0;
    const store = new FileLabelStore();
    const list = jest.spyOn(store, 'list');
    const cache = new CachedLabelOverrides({ store, ttlMs: 600_000, now: () => now, log: () => undefined });
    await cache.current();
    now = 30_000;
    await cache.current();
    expect(list).toHaveBeenCalledTimes(2);
  });

  test('a failed read is logged and fails safe: the configured label, or the last overrides read', async () => {
    // Prepare
    let now = 0;
    let fail = true;
    const logged: Record<string, unknown>[] = [];
    const inner = new FileLabelStore();
    const store: LabelStore = {
      list: async () => { if (fail) throw new Error('AccessDenied'); return inner.list(); },
      move: (e, o) => inner.move(e, o),
      history: (p, l) => inner.history(p, l),
    };
    const cache = new CachedLabelOverrides({ store, ttlMs: 10_000, now: () => now, log: (l) => logged.push(l) });

    // Act / Assess: no override read yet → the configured split
    expect(resolvedVersion(await cache.current(), canaryUsers[0])).toBe(2);
    expect(logged[0]).toMatchObject({ level: 'WARN', 'gateway.error.detail': 'AccessDenied' });

    // a successful read, then a failing one: the rollback read last stays in force
    fail = false;
    await inner.move(move(1, 'e1'));
    now += 10_000;
    expect(resolvedVersion(await cache.current(), canaryUsers[0])).toBe(1);
    fail = true;
    now += 10_000;
    expect(resolvedVersion(await cache.current(), canaryUsers[0])).toBe(1);
    expect(logged).toHaveLength(2);
  });
});

describe('label overrides through the gateway', () => {
  test('a rolled-back canary serves, answers and records the override\'s version; requests naming no prompt never read overrides', async () => {
    // Prepare
    const store = new FileLabelStore();
    await store.move(move(1, 'e1'));
    const list = jest.spyOn(store, 'list');
    const t = testGateway({ config, labelOverrides: new CachedLabelOverrides({ store, now: () => 0, log: () => undefined }) });
    t.openai.enqueue(Steps.ok({ text: 'ok' }), Steps.ok({ text: 'ok' }));

    // Act
    await send(t.gateway, chatRequest(hello('chat')));
    const res = await send(t.gateway, chatRequest({ model: 'chat', user: canaryUsers[0], prompt: { id: 'support-reply', version: 'canary', variables } }));

    // Assess
    expect(res.headers['x-gateway-prompt']).toBe('support-reply@1');
    expect(t.usage.records.map((r) => r.promptVersion)).toEqual([undefined, '1']);
    expect(list).toHaveBeenCalledTimes(1);
  });

  test('a request the resolved version refuses is recorded against that version (its validation-failure rate)', async () => {
    const t = testGateway({ config });
    const res = await send(t.gateway, chatRequest({ model: 'chat', prompt: { id: 'support-reply', version: '2', variables: { product: 'Acme Pay', ticket: 'x' } } }));
    expect(res.status).toBe(400);
    expect(t.usage.only()).toMatchObject({ promptId: 'support-reply', promptVersion: '2', errorCode: 'missing_prompt_variable', outcome: Outcome.REJECTED });
  });
});
