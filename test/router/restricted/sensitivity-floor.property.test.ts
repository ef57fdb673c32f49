import fc from 'fast-check';
import { Sensitivity } from '../../../lambda/shared/config';
import { AuthorizerContext } from '../../../lambda/shared/authorizer-context';
import { GatewayRequest } from '../../../lambda/router/http';
import { mutate, resolved } from '../../helpers/router-config';
import { chatRequest, MemorySink, testGateway } from '../../helpers/router-fakes';
import { GatewayConfig } from '../../../lambda/shared/config';

type Draft = Record<string, unknown>;
const tenants = (d: Draft): Draft[] => d.tenants as Draft[];

/**
 * A hostile client of a tenant (or key) whose floor is `restricted` tries to lower its sensitivity
 * by every channel: the header, `metadata`, top-level body fields, in every case variant, repeated,
 * combined. Whatever it sends, no request of it is ever treated as less than restricted: it never
 * reaches a target that is not cleared for restricted data, and its usage record says restricted.
 */
describe('a hostile client cannot lower its sensitivity below the floor', () => {
  // acme: clearance restricted, floor restricted (the tenant's own floor, local keys).
  const floored = testGateway({
    config: resolved(mutate((d) => { tenants(d)[0].sensitivityFloor = 'restricted'; }) as GatewayConfig),
  });
  // acme without a tenant floor: the floor comes from the key (the authorizer's context).
  const keyFloored = testGateway();

  const lower = fc.constantFrom('public', 'internal', 'PUBLIC', 'Public', ' public ', 'iNtErNaL', 'internal\t', 'restricted', '');
  const headerName = fc.constantFrom('x-gateway-sensitivity', 'X-Gateway-Sensitivity', 'X-GATEWAY-SENSITIVITY', 'x-gateway-sensitivity ');
  const metadataKey = fc.constantFrom('sensitivity', 'Sensitivity', 'SENSITIVITY', 'x-gateway-sensitivity');
  const bodyKey = fc.constantFrom('sensitivity', 'data_sensitivity', 'x-gateway-sensitivity');
  const channels = fc.record({
    headers: fc.array(fc.tuple(headerName, lower), { maxLength: 3 }),
    metadata: fc.array(fc.tuple(metadataKey, lower), { maxLength: 3 }),
    body: fc.array(fc.tuple(bodyKey, fc.oneof(lower, fc.constant({ sensitivity: 'public' }))), { maxLength: 2 }),
  });
  const model = fc.constantFrom('chat', 'summary', 'secure', 'auto', 'guarded');

  function hostile(m: string, c: { headers: [string, string][]; metadata: [string, string][]; body: [string, unknown][] }): Record<string, unknown> {
    return {
      headers: Object.fromEntries(c.headers),
      body: {
        model: m,
        messages: [{ role: 'user', content: 'Account 12345 balance?' }],
        ...(c.metadata.length > 0 ? { metadata: Object.fromEntries(c.metadata) } : {}),
        ...Object.fromEntries(c.body),
      },
    };
  }

  async function assertNeverLowered(t: ReturnType<typeof testGateway>, request: GatewayRequest): Promise<void> {
    const calls = t.bedrock.calls.length + t.openai.calls.length;
    const records = t.usage.records.length;
    const sink = new MemorySink();
    await t.gateway.handle(request, sink);
    expect(t.usage.records.length).toBe(records + 1);
    const record = t.usage.records.at(-1)!;
    const reached = [...t.bedrock.calls, ...t.openai.calls].slice(calls);
    // Every target reached is cleared for restricted data, and the record says restricted.
    for (const call of reached) expect(t.config.targets.get(call.target.id)!.restrictedAllowed).toBe(true);
    if (sink.status === 200 || reached.length > 0) expect(record.sensitivity).toBe(Sensitivity.RESTRICTED);
    if (record.sensitivity !== undefined) expect(record.sensitivity).toBe(Sensitivity.RESTRICTED);
  }

  test('the tenant floor holds over header, metadata and body, in any combination', async () => {
    await fc.assert(fc.asyncProperty(model, channels, async (m, c) => {
      const { headers, body } = hostile(m, c);
      await assertNeverLowered(floored, chatRequest(body, { headers: headers as Record<string, string> }));
    }), { numRuns: 300 });
  });

  test('the key floor holds the same way, even on a tenant without a floor', async () => {
    await fc.assert(fc.asyncProperty(model, channels, async (m, c) => {
      const { headers, body } = hostile(m, c);
      const request: GatewayRequest = {
        ...chatRequest(body, { headers: headers as Record<string, string>, key: null }),
        credentials: { kind: 'authorizer', context: AuthorizerContext.encode({ tenantId: 'acme', sensitivityFloor: Sensitivity.RESTRICTED }) },
      };
      await assertNeverLowered(keyFloored, request);
    }), { numRuns: 300 });
  });

  test('a lowering hint on an uncleared route is refused with route_not_cleared, not served', async () => {
    const sink = new MemorySink();
    await floored.gateway.handle(chatRequest({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-gateway-sensitivity': 'public' } }), sink);
    expect([sink.status, (sink.json().error as Record<string, unknown>).code]).toEqual([403, 'route_not_cleared']);
  });

  test('a raising hint is honoured: a tenant without a floor may declare restricted', async () => {
    const sink = new MemorySink();
    await keyFloored.gateway.handle(chatRequest({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-gateway-sensitivity': 'restricted' } }), sink);
    expect((sink.json().error as Record<string, unknown>).code).toBe('route_not_cleared');
  });

  test('without a floor, a lower hint still lowers (the control case: the property can fail)', async () => {
    const sink = new MemorySink();
    const before = keyFloored.usage.records.length;
    await keyFloored.gateway.handle(chatRequest({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-gateway-sensitivity': 'public' } }), sink);
    expect([sink.status, keyFloored.usage.records[before].sensitivity]).toEqual([200, Sensitivity.PUBLIC]);
  });

  test('a malformed key floor in the authorizer context fails closed to restricted', () => {
    expect(AuthorizerContext.decode({ tenantId: 'acme', sensitivityFloor: 'publik' })!.sensitivityFloor).toBe(Sensitivity.RESTRICTED);
  });
});
