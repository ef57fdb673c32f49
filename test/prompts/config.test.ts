import { GatewayConfigValidator } from '../../lambda/shared/validator';
import { resolveGatewayConfig } from '../../lambda/shared/defaults';
import { mutate } from '../helpers/router-config';
import { promptConfig } from './fixtures';

type Draft = Record<string, unknown>;
const prompt = (d: Draft, i = 0): Draft => (d.prompts as Draft[])[i];
const version = (d: Draft, j = 0, i = 0): Draft => (prompt(d, i).versions as Draft[])[j];

function problems(patch: (draft: Draft) => void): string[] {
  return GatewayConfigValidator.check(mutate(patch, promptConfig()));
}

describe('prompts in the gateway configuration', () => {
  test('accepts the prompt fixture and indexes it for the router', () => {
    // Act
    const config = GatewayConfigValidator.validate(promptConfig());
    const resolved = resolveGatewayConfig(config);

    // Assess
    const support = resolved.prompts.get('support-reply')!;
    expect(support.latest).toBe(2);
    expect([...support.versions.keys()]).toEqual([1, 2]);
    expect(support.labels.get('canary')).toEqual({ weights: { 1: 90, 2: 10 } });
    expect(resolved.prompts.get('classify')!.labels.size).toBe(0);
  });

  test.each<[string, (d: Draft) => void, string]>([
    ['an unknown variable in a template', (d) => { version(d).system = 'Hello {{customer}} of {{product}}'; },
      "prompts[0].versions[0].system: unknown variable 'customer' in the template; known variables: product, ticket"],
    ['a malformed slot', (d) => { version(d).system = 'Hello {{ product }} {{product}}'; },
      "prompts[0].versions[0].system: '{{ product }}' is not a slot; write {{name}} with a declared variable name (letters, digits, '_')"],
    ['a declared variable no template uses', (d) => { version(d).messages = [{ role: 'user', content: 'no slot' }]; },
      "prompts[0].versions[0].variables[1].name: variable 'ticket' is declared but no template uses {{ticket}}"],
    ['a label to a missing version', (d) => { prompt(d).labels = { prod: { version: 7 } }; },
      'prompts[0].labels.prod.version: version 7 does not exist; known versions: 1, 2'],
    ['a split to a missing version', (d) => { prompt(d).labels = { canary: { weights: { 1: 50, 9: 50 } } }; },
      'prompts[0].labels.canary.weights["9"]: version 9 does not exist; known versions: 1, 2'],
    ['weights not summing to 100', (d) => { prompt(d).labels = { canary: { weights: { 1: 90, 2: 5 } } }; },
      'prompts[0].labels.canary.weights: the weights sum to 95; they must sum to 100'],
    ['a label with both version and weights', (d) => { prompt(d).labels = { prod: { version: 1, weights: { 1: 100 } } }; },
      'prompts[0].labels.prod: only one of version or weights may be set, received version and weights'],
    ['a label with neither', (d) => { prompt(d).labels = { prod: {} }; },
      'prompts[0].labels.prod: one of version or weights is required'],
    ['a numeric label name', (d) => { prompt(d).labels = { 3: { version: 1 } }; },
      "prompts[0].labels[\"3\"]: the key '3' is not allowed; expected a label name: a lower-case letter, then lower-case letters, digits, '_' or '-', at most 32 characters"],
    ['a duplicate version', (d) => { version(d, 1).version = 1; prompt(d).labels = {}; },
      "prompts[0].versions[1].version: duplicate version '1' (first at index 0)"],
    ['an unknown route', (d) => { version(d).routes = ['nope']; },
      "prompts[0].versions[0].routes[0]: unknown route alias 'nope'; known aliases: chat, summary, secure, batch-only, guarded"],
    ['a version without template', (d) => { delete version(d).system; version(d).messages = []; version(d).variables = []; },
      'prompts[0].versions[0]: a version needs a system template or at least one message'],
    ['a default on a required variable', (d) => { (version(d).variables as Draft[])[0].defaultValue = 'x'; },
      'prompts[0].versions[0].variables[0].defaultValue: only an optional variable has a default; set required: false or remove defaultValue'],
    ['an allowed value of the wrong type', (d) => { (version(d, 1).variables as Draft[])[3].allowedValues = ['1', 'high']; },
      "prompts[0].versions[1].variables[3].allowedValues[1]: 'high' is not a value of type integer"],
    ['maxTokens above the cap', (d) => { version(d).inference = { maxTokens: 100_000 }; },
      'prompts[0].versions[0].inference.maxTokens: 100000 exceeds limits.maxTokensCap 8192'],
    ['an unknown allowed prompt of a tenant', (d) => { (d.tenants as Draft[])[1].allowedPrompts = ['ghost']; },
      "tenants[1].allowedPrompts[0]: unknown prompt 'ghost'; known prompts: support-reply, classify"],
    ['a duplicate prompt id', (d) => { prompt(d, 1).id = 'support-reply'; delete (d.tenants as Draft[])[2].allowedPrompts; },
      "prompts[1].id: duplicate prompt id 'support-reply' (first at index 0)"],
    ['a bad variable type', (d) => { (version(d).variables as Draft[])[0].valueType = 'date'; },
      "prompts[0].versions[0].variables[0].valueType: 'date' is not allowed; allowed: string, number, integer, boolean"],
  ])('names the field, the value and what is allowed: %s', (_name, patch, expected) => {
    expect(problems(patch)).toEqual([expected]);
  });

  test('the JSON Schema requires exactly one of version and weights on a label', () => {
    const schema = JSON.stringify(GatewayConfigValidator.jsonSchema());
    expect(schema).toContain('"oneOf":[{"required":["version"]},{"required":["weights"]}]');
  });
});
