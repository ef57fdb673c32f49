import fc from 'fast-check';
import { compileJsonSchema, compileSafePattern, MAX_VIOLATIONS, UnsupportedSchemaError } from '../../../lambda/router/validation/json-schema';

function violations(schema: unknown, value: unknown): string[] {
  return compileJsonSchema(schema).validate(value).map((v) => `${v.path}: ${v.message}`);
}

function refusal(schema: unknown, limits?: { maxDepth?: number; maxNodes?: number }): UnsupportedSchemaError {
  try {
    compileJsonSchema(schema, limits);
  } catch (e) {
    if (e instanceof UnsupportedSchemaError) return e;
    throw e;
  }
  throw new Error('the schema was accepted');
}

describe('types', () => {
  test.each([
    ['string', 'a', true], ['string', 1, false],
    ['integer', 3, true], ['integer', 3.5, false],
    ['number', 3, true], ['number', 3.5, true], ['number', '3', false],
    ['boolean', false, true], ['null', null, true], ['null', 0, false],
    ['object', {}, true], ['object', [], false], ['array', [], true], ['array', {}, false],
  ])('type %s against %p: valid %p', (type, value, valid) => {
    expect(violations({ type }, value).length === 0).toBe(valid);
  });

  test('a list of types admits any of them, and the message names what was expected', () => {
    expect(violations({ type: ['string', 'null'] }, null)).toEqual([]);
    expect(violations({ type: ['string', 'null'] }, 4)).toEqual(['$: is an integer; expected string or null']);
  });

  test('an unknown type name is refused at compile time, naming the place', () => {
    expect(refusal({ properties: { a: { type: 'text' } } }).path).toBe('$.properties.a.type');
  });
});

describe('objects', () => {
  const person = {
    type: 'object',
    properties: { name: { type: 'string', minLength: 1 }, age: { type: 'integer', minimum: 0 } },
    required: ['name', 'age'],
    additionalProperties: false,
  };

  test('a valid object has no violations', () => {
    expect(violations(person, { name: 'Ada', age: 36 })).toEqual([]);
  });

  test('each violation names its path; the value itself is never quoted', () => {
    const found = compileJsonSchema(person).validate({ name: '', age: -1, secret: 'sk-live-123' });
    expect(found.map((v) => v.path)).toEqual(['$.name', '$.age', '$']);
    expect(JSON.stringify(found)).not.toContain('sk-live-123');
    expect(found[2].message).toBe('has a property the schema does not allow ("secret")');
  });

  test('a missing required property is named', () => {
    expect(violations(person, { name: 'Ada' })).toEqual(['$: is missing the required property "age"']);
  });

  test('a property name that could carry data is not repeated', () => {
    expect(violations({ type: 'object', additionalProperties: false }, { 'card 4111 1111 1111 1111': 1 }))
      .toEqual(['$: has a property the schema does not allow (a property name that is not shown)']);
  });

  test('additionalProperties as a schema and patternProperties apply to the extra keys', () => {
    const schema = { type: 'object', patternProperties: { '^x-': { type: 'string' } }, additionalProperties: { type: 'number' } };
    expect(violations(schema, { 'x-a': 'ok', 'b': 2 })).toEqual([]);
    expect(violations(schema, { 'x-a': 1, 'b': 'no' })).toEqual(['$["x-a"]: is an integer; expected string', '$.b: is a string; expected number']);
  });

  test('min and max properties', () => {
    expect(violations({ minProperties: 2 }, { a: 1 })).toEqual(['$: has 1 properties; at least 2 are required']);
    expect(violations({ maxProperties: 0 }, { a: 1 })).toEqual(['$: has 1 properties; at most 0 are allowed']);
  });
});

describe('arrays', () => {
  test('items, bounds and uniqueness', () => {
    const schema = { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 3, uniqueItems: true };
    expect(violations(schema, [1, 2])).toEqual([]);
    expect(violations(schema, [])).toEqual(['$: has 0 items; at least 1 are required']);
    expect(violations(schema, [1, 'a'])).toEqual(['$[1]: is a string; expected integer']);
    expect(violations(schema, [1, 1])).toEqual(['$[1]: repeats an earlier item; items must be unique']);
    expect(violations(schema, [1, 2, 3, 4])).toEqual(['$: has 4 items; at most 3 are allowed']);
  });

  test('uniqueness compares objects whatever their key order', () => {
    expect(violations({ uniqueItems: true }, [{ a: 1, b: 2 }, { b: 2, a: 1 }])).toHaveLength(1);
  });

  test('prefixItems, draft-4 tuple items with additionalItems, and contains', () => {
    expect(violations({ prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false }, ['a', 1, 2]))
      .toEqual(['$[2]: no value is allowed here']);
    expect(violations({ items: [{ type: 'string' }], additionalItems: { type: 'integer' } }, ['a', 'b']))
      .toEqual(['$[1]: is a string; expected integer']);
    expect(violations({ contains: { const: 3 } }, [1, 2])).toEqual(['$: contains no item that matches the schema\'s "contains"']);
  });
});

describe('strings and numbers', () => {
  test('length counts characters, not UTF-16 units', () => {
    expect(violations({ maxLength: 2 }, '😀😀')).toEqual([]);
  });

  test('pattern and formats', () => {
    expect(violations({ pattern: '^[A-Z]{3}$' }, 'EUR')).toEqual([]);
    expect(violations({ pattern: '^[A-Z]{3}$' }, 'euro')).toEqual(['$: does not match the pattern ^[A-Z]{3}$']);
    const formats: [string, string, string][] = [
      ['date-time', '2026-12-07T10:00:00Z', '2026-02-30T10:00:00Z'],
      ['date', '2024-02-29', '2023-02-29'],
      ['time', '23:59:59.5+01:00', '24:00:00'],
      ['email', 'a@b.example', 'a@b'],
      ['uuid', '123e4567-e89b-12d3-a456-426614174000', '123e4567'],
      ['ipv4', '10.0.0.1', '10.0.0.256'],
      ['ipv6', '::1', ':::1'],
      ['uri', 'https://example.com/a', 'example.com/a'],
      ['hostname', 'api.example.com', '-bad-.example'],
    ];
    for (const [format, good, badValue] of formats) {
      expect(violations({ format }, good)).toEqual([]);
      expect(violations({ format }, badValue)).toEqual([`$: is not a valid ${format}`]);
    }
    expect(violations({ format: 'color' }, 'anything')).toEqual([]);
  });

  test('numeric bounds, draft-4 exclusive booleans and multipleOf', () => {
    expect(violations({ minimum: 1, maximum: 2 }, 3)).toEqual(['$: must be at most 2']);
    expect(violations({ exclusiveMinimum: 1 }, 1)).toEqual(['$: must be greater than 1']);
    expect(violations({ minimum: 1, exclusiveMinimum: true }, 1)).toEqual(['$: must be greater than 1']);
    expect(violations({ multipleOf: 0.01 }, 19.99)).toEqual([]);
    expect(violations({ multipleOf: 0.01 }, 19.995)).toEqual(['$: must be a multiple of 0.01']);
  });
});

describe('combinators and references', () => {
  test('enum and const compare JSON values', () => {
    expect(violations({ enum: ['a', { b: [1] }] }, { b: [1] })).toEqual([]);
    expect(violations({ enum: ['a', 'b'] }, 'c')).toEqual(['$: is not one of the 2 values the schema allows (enum)']);
    expect(violations({ const: { a: 1 } }, { a: 2 })).toEqual(['$: is not the value the schema requires (const)']);
  });

  test('anyOf, oneOf, allOf, not, if/then/else', () => {
    expect(violations({ anyOf: [{ type: 'string' }, { type: 'integer' }] }, true)).toEqual(['$: matches none of the 2 alternatives of anyOf']);
    expect(violations({ oneOf: [{ type: 'number' }, { type: 'integer' }] }, 1)).toEqual(['$: matches 2 of the 2 alternatives of oneOf; exactly one is required']);
    expect(violations({ allOf: [{ minimum: 1 }, { maximum: 0 }] }, 1)).toEqual(['$: must be at most 0']);
    expect(violations({ not: { type: 'null' } }, null)).toEqual(['$: matches the schema under "not"']);
    const conditional = { if: { properties: { kind: { const: 'card' } } }, then: { required: ['last4'] }, else: { required: ['iban'] } };
    expect(violations(conditional, { kind: 'card' })).toEqual(['$: is missing the required property "last4"']);
    expect(violations(conditional, { kind: 'sepa' })).toEqual(['$: is missing the required property "iban"']);
  });

  test('recursive references through $defs and the root', () => {
    const tree = { $defs: { node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['children'] } }, $ref: '#/$defs/node' };
    expect(violations(tree, { children: [{ children: [] }] })).toEqual([]);
    expect(violations(tree, { children: [{ children: [{}] }] })).toEqual(['$.children[0].children[0]: is missing the required property "children"']);
    const list = { type: 'object', properties: { next: { anyOf: [{ $ref: '#' }, { type: 'null' }] } } };
    expect(violations(list, { next: { next: null } })).toEqual([]);
  });

  test('a value nested deeper than the walk allows is a violation, not a stack overflow', () => {
    let value: unknown = [];
    for (let i = 0; i < 10_000; i++) value = [value];
    const found = compileJsonSchema({ $defs: { a: { type: 'array', items: { $ref: '#/$defs/a' } } }, $ref: '#/$defs/a' }).validate(value);
    expect(found).toHaveLength(1);
    expect(found[0].message).toBe('nests deeper than 256 levels');
  });

  test(`at most ${MAX_VIOLATIONS} violations are reported`, () => {
    expect(compileJsonSchema({ items: { type: 'string' } }).validate(Array.from({ length: 1000 }, (_, i) => i))).toHaveLength(MAX_VIOLATIONS);
  });
});

describe('schemas that are refused', () => {
  test('a schema 40 levels deep is refused with the default limit of 32', () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 40; i++) schema = { type: 'object', properties: { a: schema } };
    const error = refusal(schema);
    expect(error.message).toMatch(/nests deeper than 32 levels/);
    expect(error.path).toMatch(/^\$(\.properties\.a){33}$/);
  });

  test('too many subschemas', () => {
    const properties = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${i}`, { type: 'string' }]));
    expect(refusal({ properties }, { maxNodes: 10 }).message).toMatch(/more than 10 subschemas/);
  });

  test.each<[unknown, string, RegExp]>([
    [{ $ref: 'https://example.com/schema.json' }, '$.$ref', /only local references/],
    [{ $ref: '#/$defs/missing' }, '$.$ref', /does not point into the schema/],
    // References that come back to themselves without descending into the value: checking would never end.
    [{ $ref: '#' }, '$.$ref', /"#" leads back to itself without descending into the value/],
    [{ $ref: '#/$defs/a', $defs: { a: { $ref: '#/$defs/b' }, b: { anyOf: [{ type: 'null' }, { $ref: '#/$defs/a' }] } } }, '$.$ref', /"#\/\$defs\/a" leads back to itself/],
    [{ type: 'object', properties: { x: { allOf: [{ not: { $ref: '#/properties/x' } }] } } }, '$.properties.x.allOf[0].not.$ref', /leads back to itself/],
    [{ $ref: '#/$defs/a', $defs: { a: { allOf: [{ $ref: '#/$defs/missing' }] } } }, '$.$defs.a.allOf[0].$ref', /does not point into the schema/],
    [{ required: 'name' }, '$.required', /list of property names/],
    [{ anyOf: [] }, '$.anyOf', /non-empty list/],
    [{ minLength: -1 }, '$.minLength', /non-negative integer/],
    [{ multipleOf: 0 }, '$.multipleOf', /greater than 0/],
    [{ pattern: '(' }, '$.pattern', /not a valid regular expression/],
    [{ pattern: '^(a)\\1$' }, '$.pattern', /not supported: back-references/],
    [{ pattern: '^(?=a)' }, '$.pattern', /not supported: lookahead/],
    [{ properties: [] }, '$.properties', /object of schemas/],
    ['string', '$', /object or a boolean/],
  ])('%j is refused at %s', (schema, path, message) => {
    const error = refusal(schema);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(message);
  });

  test('a pattern longer than 1000 characters is refused', () => {
    expect(refusal({ pattern: 'a'.repeat(1001) }).message).toMatch(/1001 characters; at most 1000/);
  });

  test('patterns run in linear time: nested quantifiers compile, and a pathological value is checked in bounded steps', () => {
    expect(compileSafePattern('^(ab)+[0-9]*$', '$').test('abab12')).toBe(true);
    expect(compileSafePattern('^\\(a+\\)+$', '$').test('(aa))')).toBe(true);
    const nested = compileSafePattern('^(a+)+$', '$');
    expect(nested.test(`${'a'.repeat(30_000)}!`)).toBe(false);
    expect(nested.lastSteps).toBeLessThanOrEqual(3 * 30_002 * nested.size);
  });
});

describe('properties', () => {
  /** The strictest schema a JSON value satisfies. */
  function schemaOf(value: unknown): unknown {
    if (value === null) return { type: 'null' };
    if (Array.isArray(value)) return { type: 'array', prefixItems: value.length ? value.map(schemaOf) : undefined, minItems: value.length, maxItems: value.length };
    if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      return { type: 'object', properties: Object.fromEntries(entries.map(([k, v]) => [k, schemaOf(v)])), required: entries.map(([k]) => k), additionalProperties: false };
    }
    if (typeof value === 'number') return { type: Number.isInteger(value) ? 'integer' : 'number', const: value };
    return { type: typeof value, const: value };
  }
  const json = fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

  test('a value satisfies the schema derived from it', () => {
    fc.assert(fc.property(json, (value) => {
      expect(compileJsonSchema(JSON.parse(JSON.stringify(schemaOf(value)))).validate(value)).toEqual([]);
    }));
  });

  test('two different values never both satisfy the schema derived from one of them', () => {
    fc.assert(fc.property(json, json, (a, b) => {
      fc.pre(JSON.stringify(a) !== JSON.stringify(b) && canonicalEqual(a, b) === false);
      expect(compileJsonSchema(JSON.parse(JSON.stringify(schemaOf(a)))).validate(b).length).toBeGreaterThan(0);
    }));
  });

  test('validation never throws and never reports more than the cap, whatever the value', () => {
    const schema = compileJsonSchema({ type: 'object', properties: { a: { type: 'array', items: { type: 'string', pattern: '^x' } } }, additionalProperties: { type: 'integer' } });
    fc.assert(fc.property(fc.anything(), (value) => {
      expect(schema.validate(value).length).toBeLessThanOrEqual(MAX_VIOLATIONS);
    }));
  });

  function canonicalEqual(a: unknown, b: unknown): boolean {
    const c = (v: unknown): string => Array.isArray(v) ? `[${v.map(c).join(',')}]`
      : v && typeof v === 'object' ? `{${Object.keys(v).sort().map((k) => `${k}:${c((v as Record<string, unknown>)[k])}`).join(',')}}`
        : JSON.stringify(v);
    return c(a) === c(b);
  }
});
