import { Sensitivity } from '../../lambda/shared/config';
import { resolveGatewayConfig } from '../../lambda/shared/defaults';
import { isTlsOrLoopbackUrl } from '../../lambda/shared/restricted-checks';
import { GatewayConfigValidator } from '../../lambda/shared/validator';
import { mutate } from '../helpers/router-config';
import { GatewayConfig } from '../../lambda/shared/config';

type Draft = Record<string, unknown>;
const at = (draft: Draft, key: string, i: number): Draft => (draft[key] as Draft[])[i];
const problems = (patch: (draft: Draft) => void): string[] => GatewayConfigValidator.check(mutate(patch));

describe('sensitivity floor', () => {
  test('a floor above the clearance is refused, naming both', () => {
    expect(problems((d) => { at(d, 'tenants', 1).sensitivityFloor = 'restricted'; })).toEqual([
      expect.stringMatching(/^tenants\[1\]\.sensitivityFloor: 'restricted' is above the tenant's sensitivityClearance 'internal'/),
    ]);
  });

  test('an explicit default below the floor is refused', () => {
    expect(problems((d) => { Object.assign(at(d, 'tenants', 0), { sensitivityFloor: 'restricted', defaultSensitivity: 'internal' }); })).toEqual([
      expect.stringMatching(/^tenants\[0\]\.defaultSensitivity: 'internal' is below the tenant's sensitivityFloor 'restricted'/),
    ]);
  });

  test('a floor that is not a sensitivity is refused with the allowed values', () => {
    expect(problems((d) => { at(d, 'tenants', 0).sensitivityFloor = 'secret'; })).toEqual([
      "tenants[0].sensitivityFloor: 'secret' is not allowed; allowed: public, internal, restricted",
    ]);
  });

  test('without an explicit default, the default sensitivity is raised to the floor', () => {
    const config = mutate((d) => { at(d, 'tenants', 0).sensitivityFloor = 'restricted'; }) as GatewayConfig;
    const tenant = resolveGatewayConfig(GatewayConfigValidator.validate(config)).tenants.get('acme')!;
    expect([tenant.sensitivityFloor, tenant.defaultSensitivity]).toEqual([Sensitivity.RESTRICTED, Sensitivity.RESTRICTED]);
  });

  test('without a floor, the floor resolves to public', () => {
    const config = mutate(() => undefined) as GatewayConfig;
    expect(resolveGatewayConfig(config).tenants.get('globex')!.sensitivityFloor).toBe(Sensitivity.PUBLIC);
  });
});

describe('restricted routes admit only TLS targets', () => {
  test('an OpenAI-compatible target over plain HTTP on a restricted route is refused, naming the route, target and URL', () => {
    const issues = problems((d) => {
      Object.assign(at(d, 'targets', 0), { restrictedAllowed: true, baseUrl: 'http://vllm.internal:8000/v1' });
      (at(d, 'routes', 2).targets as string[]).push('vllm');
    });
    expect(issues).toEqual([
      expect.stringMatching(/^routes\[2\]\.targets\[1\]: route 'secure' is restrictedAllowed, so its targets must be reached over TLS, but target 'vllm' has baseUrl 'http:\/\/vllm\.internal:8000\/v1'; use an https baseUrl/),
    ]);
  });

  test('the same target with an https baseUrl is accepted', () => {
    expect(problems((d) => {
      Object.assign(at(d, 'targets', 0), { restrictedAllowed: true, baseUrl: 'https://vllm.internal:8443/v1' });
      (at(d, 'routes', 2).targets as string[]).push('vllm');
    })).toEqual([]);
  });

  test('a Bedrock endpoint override over plain HTTP on a restricted route is refused', () => {
    expect(problems((d) => { at(d, 'targets', 4).endpoint = 'http://bedrock.internal'; })).toEqual([
      expect.stringMatching(/^routes\[2\]\.targets\[0\]: .* target 'bedrock-secure' has endpoint 'http:\/\/bedrock\.internal'/),
    ]);
  });

  test('a plain HTTP target on a route that is not restricted is accepted', () => {
    expect(problems((d) => { at(d, 'targets', 0).baseUrl = 'http://vllm.internal:8000/v1'; })).toEqual([]);
  });

  test.each([
    ['https://vllm.internal/v1', true],
    ['HTTPS://VLLM/v1', true],
    ['http://127.0.0.1:8000/v1', true],
    ['http://localhost:8000/v1', true],
    ['http://[::1]:8000/v1', true],
    ['http://127.0.0.1.evil.example/v1', false],
    ['http://localhost.evil.example/v1', false],
    ['http://10.0.0.1/v1', false],
  ])('isTlsOrLoopbackUrl(%s) is %s', (url, expected) => {
    expect(isTlsOrLoopbackUrl(url)).toBe(expected);
  });
});

describe('redaction guardrail', () => {
  test('an unknown redaction guardrail is refused with the known ones', () => {
    expect(problems((d) => { at(d, 'routes', 2).redactionGuardrail = 'nope'; })).toEqual([
      "routes[2].redactionGuardrail: unknown guardrail 'nope'; known guardrails: pii",
    ]);
  });
});
