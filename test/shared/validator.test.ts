import { GatewayConfigError } from '../../lambda/shared/config-error';
import { GatewayConfigValidator } from '../../lambda/shared/validator';
import { mutate, testConfig } from '../helpers/router-config';

type Draft = Record<string, unknown>;
const at = (draft: Draft, key: string, i: number): Draft => (draft[key] as Draft[])[i];

function problems(patch: (draft: Draft) => void): string[] {
  return GatewayConfigValidator.check(mutate(patch));
}

describe('GatewayConfigValidator.check', () => {
  test('accepts the test configuration and returns it typed from validate()', () => {
    // Prepare
    const config = testConfig();

    // Act
    const issues = GatewayConfigValidator.check(config);

    // Assess
    expect(issues).toEqual([]);
    expect(GatewayConfigValidator.validate(config)).toBe(config);
  });

  test.each([
    ['a non-object document', 42, ['(root): expected an object, received number 42']],
    ['an array document', [], ['(root): expected an object, received an array']],
  ])('rejects %s', (_name, value, expected) => {
    expect(GatewayConfigValidator.check(value)).toEqual(expected);
  });

  test('names every missing required section', () => {
    expect(GatewayConfigValidator.check({})).toEqual(['tenants: required', 'targets: required', 'routes: required', 'prices: required']);
  });

  test('an enum value: names the field, the value and the allowed values', () => {
    expect(problems((d) => { at(d, 'tenants', 0).sensitivityClearance = 'secret'; })).toEqual([
      "tenants[0].sensitivityClearance: 'secret' is not allowed; allowed: public, internal, restricted",
    ]);
  });

  test('a route naming an unknown target: names it and the known targets', () => {
    expect(problems((d) => { (at(d, 'routes', 0).targets as string[])[0] = 'vllm-8b'; })).toEqual([
      "routes[0].targets[0]: unknown target 'vllm-8b'; known targets: vllm, vllm-backup, bedrock-nova, bedrock-sonnet, bedrock-secure",
    ]);
  });

  test('unknown properties are rejected with the allowed names', () => {
    const issues = problems((d) => { at(d, 'routes', 1).fallback = ['x']; });
    expect(issues).toEqual([expect.stringMatching(/^routes\[1\]\.fallback: unknown property; allowed: alias, targets, guardrail, restrictedAllowed, retrieval, serviceTier, promptCaching, imageFetch, redactionGuardrail, validation, description$/)]);
  });

  test('$schema at the top level is allowed and ignored', () => {
    expect(problems((d) => { d.$schema = './schema.json'; })).toEqual([]);
  });

  test.each<[string, (d: Draft) => void, RegExp]>([
    ['type of a number', (d) => { d.retry = { maxAttempts: '3' }; }, /^retry\.maxAttempts: expected an integer, received the string '3'$/],
    ['integer range', (d) => { d.retry = { maxAttempts: 0 }; }, /^retry\.maxAttempts: 0 is out of range; allowed: 1 to 10$/],
    ['non-integer', (d) => { d.limits = { maxMessages: 2.5 }; }, /^limits\.maxMessages: expected an integer, received the number 2\.5$/],
    ['negative price', (d) => { (d.prices as Draft)['qwen3-8b'] = { inputUsdPer1K: -1, outputUsdPer1K: 0 }; }, /^prices\["qwen3-8b"\]\.inputUsdPer1K: -1 is out of range; allowed: 0 to 10000$/],
    ['tenant id pattern', (d) => { at(d, 'tenants', 0).id = 'Acme Corp'; }, /^tenants\[0\]\.id: 'Acme Corp' is not allowed; expected lower-case letters/],
    ['reserved alias auto', (d) => { at(d, 'routes', 0).alias = 'auto'; }, /^routes\[0\]\.alias: 'auto' is reserved/],
    ['empty target list', (d) => { at(d, 'routes', 0).targets = []; }, /^routes\[0\]\.targets: expected at least 1 item, received 0$/],
    ['duplicate target in a chain', (d) => { at(d, 'routes', 0).targets = ['vllm', 'vllm']; }, /^routes\[0\]\.targets\[1\]: 'vllm' is a duplicate$/],
    ['a boolean', (d) => { at(d, 'routes', 2).restrictedAllowed = 'yes'; }, /^routes\[2\]\.restrictedAllowed: expected true or false, received the string 'yes'$/],
    ['a profile ARN', (d) => { (at(d, 'targets', 3).profileArns as Draft).acme = 'arn:aws:iam::1:role/x'; }, /^targets\[3\]\.profileArns\.acme: 'arn:aws:iam::1:role\/x' is not allowed; expected an inference profile ARN/],
    ['a local key hash', (d) => { d.localKeys = { 'not-a-hash': 'acme' }; }, /^localKeys\["not-a-hash"\]: the key 'not-a-hash' is not allowed; expected the hex SHA-256/],
    ['a guardrail version', (d) => { (d.guardrails as Draft).pii = { identifier: 'gr1abc', version: 'latest' }; }, /^guardrails\.pii\.version: 'latest' is not allowed; expected a version number/],
    ['a base URL', (d) => { at(d, 'targets', 0).baseUrl = 'ftp://x'; }, /^targets\[0\]\.baseUrl: 'ftp:\/\/x' is not allowed; expected an http\(s\) URL/],
    ['a target output limit', (d) => { at(d, 'targets', 2).maxOutputTokens = 0; }, /^targets\[2\]\.maxOutputTokens: 0 is out of range; allowed: 1 to 1000000$/],
  ])('shape: %s', (_name, patch, expected) => {
    expect(problems(patch)).toEqual([expect.stringMatching(expected)]);
  });

  describe('per-kind target fields', () => {
    test('a Bedrock target needs exactly one of modelId and profileArns', () => {
      expect(problems((d) => { delete at(d, 'targets', 2).modelId; })).toEqual([
        "targets[2]: one of modelId or profileArns is required when kind is 'bedrock'",
      ]);
      expect(problems((d) => { at(d, 'targets', 3).modelId = 'x'; })).toEqual([
        "targets[3]: only one of modelId or profileArns may be set when kind is 'bedrock', received modelId and profileArns",
      ]);
    });

    test('profileArns require priceModelId', () => {
      expect(problems((d) => { delete at(d, 'targets', 3).priceModelId; })).toEqual(['targets[3].priceModelId: required when profileArns is set']);
    });

    test('OpenAI-compatible fields are not allowed on a Bedrock target, and the reverse', () => {
      expect(problems((d) => { at(d, 'targets', 2).baseUrl = 'http://x/v1'; })).toEqual(["targets[2].baseUrl: not allowed when kind is 'bedrock'"]);
      expect(problems((d) => { at(d, 'targets', 0).region = 'us-east-1'; })).toEqual(["targets[0].region: not allowed when kind is 'openai-compatible'"]);
      expect(problems((d) => { delete at(d, 'targets', 0).model; })).toEqual(["targets[0].model: required when kind is 'openai-compatible'"]);
    });
  });

  describe('cross-references', () => {
    test('duplicate ids and aliases', () => {
      expect(problems((d) => { at(d, 'tenants', 1).id = 'acme'; })).toEqual(expect.arrayContaining([
        "tenants[1].id: duplicate tenant id 'acme' (first at index 0)",
      ]));
      expect(problems((d) => { at(d, 'targets', 1).id = 'vllm'; })).toEqual(expect.arrayContaining([
        "targets[1].id: duplicate target id 'vllm' (first at index 0)",
      ]));
      expect(problems((d) => { at(d, 'routes', 1).alias = 'chat'; })).toEqual(expect.arrayContaining([
        "routes[1].alias: duplicate route alias 'chat' (first at index 0)",
      ]));
    });

    test('a tenant alias that is no route', () => {
      expect(problems((d) => { at(d, 'tenants', 2).allowedAliases = ['nope']; })).toEqual([
        "tenants[2].allowedAliases[0]: unknown route alias 'nope'; known aliases: chat, summary, secure, batch-only, guarded",
      ]);
    });

    test('unknown guardrails on tenants and routes', () => {
      expect(problems((d) => { at(d, 'tenants', 0).guardrail = 'strict'; at(d, 'routes', 0).guardrail = 'other'; })).toEqual([
        "routes[0].guardrail: unknown guardrail 'other'; known guardrails: pii",
        "tenants[0].guardrail: unknown guardrail 'strict'; known guardrails: pii",
      ]);
    });

    test('every target needs a price for its model (profile targets: their priceModelId)', () => {
      expect(problems((d) => { delete (d.prices as Draft)['amazon.nova-lite-v1:0']; })).toEqual([
        expect.stringMatching(/^targets\[2\]\.modelId: no price for model 'amazon\.nova-lite-v1:0'; add it to prices \(known priced models: /),
      ]);
      expect(problems((d) => { at(d, 'targets', 3).priceModelId = 'unpriced'; })).toEqual([
        expect.stringMatching(/^targets\[3\]\.priceModelId: no price for model 'unpriced'/),
      ]);
    });

    test('profileArns may only name known tenants', () => {
      expect(problems((d) => { (at(d, 'targets', 3).profileArns as Draft).umbrella = 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/x1'; }))
        .toEqual([expect.stringMatching(/^targets\[3\]\.profileArns\.umbrella: unknown tenant 'umbrella'; known tenants: acme, globex, initech$/)]);
    });

    test('a tenant allowed a route none of whose targets has a profile for it', () => {
      expect(problems((d) => { (at(d, 'tenants', 2).allowedAliases as string[]).push('summary'); })).toEqual([
        "tenants[2].allowedAliases[1]: no target of route 'summary' can serve tenant 'initech' (bedrock-sonnet have no profileArns entry for it)",
      ]);
    });

    test('a restricted route may only contain restricted targets', () => {
      expect(problems((d) => { (at(d, 'routes', 2).targets as string[]).push('vllm'); })).toEqual([
        "routes[2].targets[1]: target 'vllm' is not restrictedAllowed, but route 'secure' is; mark the target or remove it from the route",
      ]);
    });

    test('a default sensitivity above the clearance', () => {
      expect(problems((d) => { at(d, 'tenants', 1).defaultSensitivity = 'restricted'; })).toEqual([
        "tenants[1].defaultSensitivity: 'restricted' is above the tenant's sensitivityClearance 'internal'",
      ]);
    });

    test('auto routing rules, local keys, retry and timeout relations', () => {
      expect(problems((d) => { (d.autoRouting as Draft[])[0].alias = 'gone'; })).toEqual([expect.stringMatching(/^autoRouting\[0\]\.alias: unknown route alias 'gone'/)]);
      expect(problems((d) => { d.localKeys = { ['a'.repeat(64)]: 'nobody' }; })).toEqual([expect.stringMatching(/^localKeys\.aaaaaaaaaaaa…: unknown tenant 'nobody'/)]);
      expect(problems((d) => { d.retry = { baseDelayMs: 500, maxDelayMs: 100 }; })).toEqual(['retry.baseDelayMs: 500 exceeds retry.maxDelayMs 100']);
      expect(problems((d) => { d.timeouts = { connectMs: 9000, totalMs: 5000 }; })).toEqual(['timeouts.connectMs: 9000 exceeds the total deadline of 5000 ms']);
      expect(problems((d) => { at(d, 'targets', 0).timeouts = { firstTokenMs: 6000 }; })).toEqual(['targets[0].timeouts.firstTokenMs: 6000 exceeds the total deadline of 5000 ms']);
    });
  });

  test('reports all problems at once', () => {
    const issues = problems((d) => { at(d, 'tenants', 0).tier = 'Gold!'; at(d, 'routes', 0).alias = 'Chat'; d.extra = true; });
    expect(issues).toHaveLength(3);
  });
});

describe('GatewayConfigValidator.validate', () => {
  test('throws a GatewayConfigError listing every problem', () => {
    // Act
    let caught: unknown;
    try {
      GatewayConfigValidator.validate(mutate((d) => { at(d, 'tenants', 0).sensitivityClearance = 'secret'; }));
    } catch (e) {
      caught = e;
    }

    // Assess
    expect(caught).toBeInstanceOf(GatewayConfigError);
    expect((caught as GatewayConfigError).issues).toHaveLength(1);
    expect((caught as Error).message).toMatch(/^Invalid gateway configuration \(1 problem\):\n {2}tenants\[0\]\.sensitivityClearance: 'secret'/);
  });
});

describe('GatewayConfigValidator.jsonSchema', () => {
  const schema = GatewayConfigValidator.jsonSchema();
  const dig = (value: unknown, ...path: string[]): unknown =>
    path.reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);

  test('is a closed draft 2020-12 object schema with the required sections', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['tenants', 'targets', 'routes', 'prices']);
  });

  test('carries enums, patterns and defaults from the same description as the validator', () => {
    expect(dig(schema, 'properties', 'tenants', 'items', 'properties', 'sensitivityClearance'))
      .toMatchObject({ enum: ['public', 'internal', 'restricted'], default: 'internal' });
    expect(dig(schema, 'properties', 'retry', 'properties', 'maxAttempts')).toMatchObject({ type: 'integer', minimum: 1, maximum: 10, default: 3 });
    expect(dig(schema, 'properties', 'routes', 'items', 'properties', 'alias', 'not')).toEqual({ enum: ['auto'] });
  });

  test('expresses the per-kind target rules', () => {
    const target = dig(schema, 'properties', 'targets', 'items');
    expect(dig(target, 'dependentRequired')).toEqual({ profileArns: ['priceModelId'] });
    expect(dig(target, 'allOf')).toEqual([
      {
        if: { properties: { kind: { const: 'bedrock' } }, required: ['kind'] },
        then: { not: { anyOf: [{ required: ['baseUrl'] }, { required: ['model'] }, { required: ['apiKeyEnv'] }] }, oneOf: [{ required: ['modelId'] }, { required: ['profileArns'] }] },
      },
      {
        if: { properties: { kind: { const: 'openai-compatible' } }, required: ['kind'] },
        then: { required: ['baseUrl', 'model'], not: { anyOf: [{ required: ['modelId'] }, { required: ['profileArns'] }, { required: ['region'] }, { required: ['endpoint'] }] } },
      },
    ]);
  });
});
