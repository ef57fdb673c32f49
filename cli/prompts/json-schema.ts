/**
 * A small JSON Schema checker for evaluation assertions, so the CLI needs no schema library: the
 * keywords structured answers use — `type`, `enum`, `const`, `properties`, `required`,
 * `additionalProperties: false`, `items`, `minItems`, `maxItems`, `minLength`, `maxLength`,
 * `pattern`, `minimum`, `maximum`. Other keywords are ignored.
 */

export type JsonSchema = { readonly [keyword: string]: unknown };

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(v: unknown, type: unknown): boolean {
  const types = Array.isArray(type) ? type : [type];
  const actual = typeOf(v);
  return types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
}

/**
 * The problems of `value` against `schema` (empty when it conforms), each naming the JSON path.
 *
 * @example
 * checkJsonSchema({ type: 'object', required: ['label'] }, JSON.parse(answer)) // ['$: missing required property label']
 */
export function checkJsonSchema(schema: JsonSchema, value: unknown, path = '$'): string[] {
  const issues: string[] = [];
  if (schema.type !== undefined && !matchesType(value, schema.type)) {
    return [`${path}: expected ${JSON.stringify(schema.type)}, got ${typeOf(value)}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    issues.push(`${path}: not one of ${JSON.stringify(schema.enum)}`);
  }
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value)) issues.push(`${path}: not ${JSON.stringify(schema.const)}`);
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) issues.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) issues.push(`${path}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) issues.push(`${path}: does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) issues.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) issues.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) issues.push(`${path}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) issues.push(`${path}: more than ${schema.maxItems} items`);
    const items = schema.items;
    if (typeof items === 'object' && items !== null && !Array.isArray(items)) {
      value.forEach((item, i) => issues.push(...checkJsonSchema(items as JsonSchema, item, `${path}[${i}]`)));
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (typeof schema.properties === 'object' && schema.properties !== null ? schema.properties : {}) as Record<string, JsonSchema>;
    for (const key of Array.isArray(schema.required) ? schema.required : []) {
      if (typeof key === 'string' && !Object.prototype.hasOwnProperty.call(obj, key)) issues.push(`${path}: missing required property ${key}`);
    }
    for (const [key, child] of Object.entries(obj)) {
      if (Object.prototype.hasOwnProperty.call(props, key)) issues.push(...checkJsonSchema(props[key], child, `${path}.${key}`));
      else if (schema.additionalProperties === false) issues.push(`${path}: unexpected property ${key}`);
    }
  }
  return issues;
}
