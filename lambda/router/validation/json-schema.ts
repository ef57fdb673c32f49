/**
 * A JSON Schema validator for the subset that structured outputs use (OpenAI's `response_format`
 * `json_schema`, Bedrock tool input schemas, route-defined answer schemas).
 *
 * A schema is compiled once into a tree of checks; `validate` walks the value and returns at most
 * {@link MAX_VIOLATIONS} violations, each with a JSON path (`$.items[2].name`) and a message that
 * never quotes the value itself (answers may hold data the error path must not carry).
 *
 * Supported: `type` (a name or a list, `integer` and `null` included), `enum`, `const`, `properties`,
 * `required`, `additionalProperties` (boolean or schema), `patternProperties`,
 * `minProperties`/`maxProperties`, `items` (a schema, or a list as in draft 4), `prefixItems`,
 * `contains`, `minItems`/`maxItems`, `uniqueItems`, `minLength`/`maxLength`, `pattern`, `format`
 * (`date-time`, `date`, `time`, `email`, `uuid`, `ipv4`, `ipv6`, `uri`, `hostname`; others are not
 * checked), `minimum`/`maximum`, `exclusiveMinimum`/`exclusiveMaximum` (numbers, or draft 4's
 * booleans), `multipleOf`, `anyOf`, `oneOf`, `allOf`, `not`, `if`/`then`/`else`, and `$ref` to the
 * root (`#`) or into it (`#/$defs/...`, `#/definitions/...`), recursive references included.
 * Annotations (`title`, `description`, `default`, `examples`, `$schema`, `$id`, `$comment`) and any
 * other keyword are ignored. A schema that uses a keyword wrongly (a `required` that is not a list
 * of strings, a remote `$ref`, a `$ref` that comes back to itself without descending into the
 * value, an unknown type name, a pattern that does not compile or is outside the linear-time
 * matcher's subset), nests deeper than `maxDepth` or has more than `maxNodes` subschemas is refused
 * at compile time with an {@link UnsupportedSchemaError} that names the place.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { LinearPattern, UnsupportedPatternError } from '../../shared/linear-pattern';

/** One way a value fails its schema. */
export interface SchemaViolation {
  /** Where, as a JSON path from the value's root: `$`, `$.name`, `$.items[2]`. */
  readonly path: string;
  /** What is wrong, without quoting the value. */
  readonly message: string;
}

/** The schema itself is malformed, unsupported, too deep or too large. */
export class UnsupportedSchemaError extends Error {
  /** Where in the schema, as a JSON path from the schema's root (`$.properties.name.pattern`). */
  public readonly path: string;

  constructor(message: string, path: string) {
    super(`${message} (at ${path})`);
    this.name = 'UnsupportedSchemaError';
    this.path = path;
  }
}

/** Bounds on the schemas `compileJsonSchema` accepts. */
export interface JsonSchemaLimits {
  /** How deeply subschemas may nest. Default 32. */
  readonly maxDepth?: number;
  /** How many subschemas a schema may hold in all. Default 5000. */
  readonly maxNodes?: number;
}

/** A compiled schema. */
export interface CompiledSchema {
  /** The violations of `value`: none when it is valid, at most {@link MAX_VIOLATIONS}. */
  validate(value: unknown): readonly SchemaViolation[];
}

/** The most violations one `validate` call reports. */
export const MAX_VIOLATIONS = 10;
/** Values nested deeper than this are a violation rather than a stack overflow. */
export const MAX_VALUE_DEPTH = 256;
/** The longest `pattern` a schema may use. */
export const MAX_PATTERN_CHARS = 1000;

const DEFAULT_MAX_DEPTH = 32;
const DEFAULT_MAX_NODES = 5000;
const TYPE_NAMES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

type Json = Record<string, unknown>;
type Sink = SchemaViolation[];
/** Checks `value` at `path`, pushing violations into `out`; `depth` is the value's nesting. */
type Check = (value: unknown, path: string, out: Sink, depth: number) => void;

/**
 * Compiles `schema` (a JSON Schema object, or `true`/`false`).
 * @throws UnsupportedSchemaError naming the place in the schema that cannot be used
 */
export function compileJsonSchema(schema: unknown, limits: JsonSchemaLimits = {}): CompiledSchema {
  const compiler = new Compiler(schema, limits.maxDepth ?? DEFAULT_MAX_DEPTH, limits.maxNodes ?? DEFAULT_MAX_NODES);
  const check = compiler.compile(schema, '$', 0);
  return {
    validate(value: unknown): readonly SchemaViolation[] {
      const out: Sink = [];
      check(value, '$', out, 0);
      return out.slice(0, MAX_VIOLATIONS);
    },
  };
}

/**
 * Compiles a schema's `pattern` (with the `u` flag, as JSON Schema reads patterns) for the
 * linear-time matcher, so a request's schema cannot make its answer's check backtrack. Refuses a
 * pattern that does not compile, is longer than {@link MAX_PATTERN_CHARS}, or uses syntax outside
 * the matcher's subset (back-references, lookaround, `\p{…}`).
 * @throws UnsupportedSchemaError at `path`
 */
export function compileSafePattern(pattern: unknown, path: string): LinearPattern {
  if (typeof pattern !== 'string') throw new UnsupportedSchemaError('pattern must be a string', path);
  if (pattern.length > MAX_PATTERN_CHARS) {
    throw new UnsupportedSchemaError(`pattern is ${pattern.length} characters; at most ${MAX_PATTERN_CHARS} are allowed`, path);
  }
  try {
    new RegExp(pattern, 'u');
  } catch (e) {
    throw new UnsupportedSchemaError(`pattern is not a valid regular expression: ${(e as Error).message}`, path);
  }
  try {
    return LinearPattern.compile(pattern, 'u');
  } catch (e) {
    if (!(e instanceof UnsupportedPatternError)) throw e;
    throw new UnsupportedSchemaError(`pattern is not supported: ${e.message}`, path);
  }
}

class Compiler {
  private nodes = 0;
  private readonly refs = new Map<string, Check>();

  constructor(private readonly root: unknown, private readonly maxDepth: number, private readonly maxNodes: number) {}

  compile(schema: unknown, at: string, depth: number): Check {
    if (schema === true) return () => undefined;
    if (schema === false) return (_v, path, out) => void out.push({ path, message: 'no value is allowed here' });
    if (!isObject(schema)) throw new UnsupportedSchemaError('a schema must be an object or a boolean', at);
    if (depth > this.maxDepth) throw new UnsupportedSchemaError(`the schema nests deeper than ${this.maxDepth} levels`, at);
    if (++this.nodes > this.maxNodes) throw new UnsupportedSchemaError(`the schema has more than ${this.maxNodes} subschemas`, at);
    const checks: Check[] = [];
    if (schema.$ref !== undefined) checks.push(this.ref(schema.$ref, `${at}.$ref`));
    if (schema.type !== undefined) checks.push(typeCheck(schema.type, `${at}.type`));
    if (schema.enum !== undefined) checks.push(enumCheck(schema.enum, `${at}.enum`));
    if (schema.const !== undefined) {
      const expected = schema.const;
      checks.push((v, path, out) => { if (!jsonEqual(v, expected)) out.push({ path, message: 'is not the value the schema requires (const)' }); });
    }
    checks.push(...stringChecks(schema, at), ...numberChecks(schema, at), ...this.arrayChecks(schema, at, depth), ...this.objectChecks(schema, at, depth));
    checks.push(...this.combinators(schema, at, depth));
    if (checks.length === 0) return () => undefined;
    if (checks.length === 1) return checks[0];
    return (v, path, out, d) => {
      for (const check of checks) {
        if (out.length >= MAX_VIOLATIONS) return;
        check(v, path, out, d);
      }
    };
  }

  private ref(ref: unknown, at: string): Check {
    if (typeof ref !== 'string' || !ref.startsWith('#')) {
      throw new UnsupportedSchemaError('only local references ("#", "#/$defs/...") are supported', at);
    }
    const known = this.refs.get(ref);
    if (known) return known;
    refuseInPlaceCycle(this.root, ref, at);
    const slot: { check?: Check } = {};
    const lazy: Check = (v, path, out, d) => slot.check!(v, path, out, d);
    this.refs.set(ref, lazy);
    const target = resolvePointer(this.root, ref, at);
    // A reference adds no nesting of its own: its target's depth is where it sits in the root.
    slot.check = this.compile(target, `$${ref.slice(1).replace(/\//g, '.')}`, ref.split('/').length - 1);
    return lazy;
  }

  private arrayChecks(schema: Json, at: string, depth: number): Check[] {
    const checks: Check[] = [];
    const prefixSource = Array.isArray(schema.items) ? schema.items : schema.prefixItems;
    const prefix = prefixSource === undefined ? [] : this.list(prefixSource, Array.isArray(schema.items) ? `${at}.items` : `${at}.prefixItems`, depth);
    const rest = Array.isArray(schema.items)
      ? (schema.additionalItems === undefined ? undefined : this.compile(schema.additionalItems, `${at}.additionalItems`, depth + 1))
      : (schema.items === undefined ? undefined : this.compile(schema.items, `${at}.items`, depth + 1));
    if (prefix.length > 0 || rest) {
      checks.push(whenArray((v, path, out, d) => {
        for (let i = 0; i < v.length && out.length < MAX_VIOLATIONS; i++) {
          const check = i < prefix.length ? prefix[i] : rest;
          if (check) descend(check, v[i], `${path}[${i}]`, out, d);
        }
      }));
    }
    if (schema.contains !== undefined) {
      const contains = this.compile(schema.contains, `${at}.contains`, depth + 1);
      checks.push(whenArray((v, path, out, d) => {
        if (!v.some((item) => passes(contains, item, d + 1))) out.push({ path, message: 'contains no item that matches the schema\'s "contains"' });
      }));
    }
    const minItems = count(schema.minItems, `${at}.minItems`);
    const maxItems = count(schema.maxItems, `${at}.maxItems`);
    if (minItems !== undefined || maxItems !== undefined) {
      checks.push(whenArray((v, path, out) => {
        if (minItems !== undefined && v.length < minItems) out.push({ path, message: `has ${v.length} items; at least ${minItems} are required` });
        if (maxItems !== undefined && v.length > maxItems) out.push({ path, message: `has ${v.length} items; at most ${maxItems} are allowed` });
      }));
    }
    if (schema.uniqueItems === true) {
      checks.push(whenArray((v, path, out) => {
        const seen = new Set<string>();
        for (let i = 0; i < v.length; i++) {
          const key = canonical(v[i]);
          if (seen.has(key)) { out.push({ path: `${path}[${i}]`, message: 'repeats an earlier item; items must be unique' }); return; }
          seen.add(key);
        }
      }));
    }
    return checks;
  }

  private objectChecks(schema: Json, at: string, depth: number): Check[] {
    const checks: Check[] = [];
    const properties = new Map<string, Check>();
    if (schema.properties !== undefined) {
      if (!isObject(schema.properties)) throw new UnsupportedSchemaError('properties must be an object of schemas', `${at}.properties`);
      for (const [name, sub] of Object.entries(schema.properties)) properties.set(name, this.compile(sub, `${at}.properties${segment(name)}`, depth + 1));
    }
    const patterns: [LinearPattern, Check][] = [];
    if (schema.patternProperties !== undefined) {
      if (!isObject(schema.patternProperties)) throw new UnsupportedSchemaError('patternProperties must be an object of schemas', `${at}.patternProperties`);
      for (const [pattern, sub] of Object.entries(schema.patternProperties)) {
        const where = `${at}.patternProperties${segment(pattern)}`;
        patterns.push([compileSafePattern(pattern, where), this.compile(sub, where, depth + 1)]);
      }
    }
    const additional = schema.additionalProperties === undefined ? undefined : this.compile(schema.additionalProperties, `${at}.additionalProperties`, depth + 1);
    if (properties.size > 0 || patterns.length > 0 || additional) {
      checks.push(whenObject((v, path, out, d) => {
        for (const [key, item] of Object.entries(v)) {
          if (out.length >= MAX_VIOLATIONS) return;
          const declared = properties.get(key);
          const where = `${path}${segment(key)}`;
          if (declared) descend(declared, item, where, out, d);
          let matched = declared !== undefined;
          for (const [re, check] of patterns) {
            if (re.test(key)) { matched = true; descend(check, item, where, out, d); }
          }
          if (!matched && additional) {
            if (schema.additionalProperties === false) out.push({ path, message: `has a property the schema does not allow (${describeKey(key)})` });
            else descend(additional, item, where, out, d);
          }
        }
      }));
    }
    if (schema.required !== undefined) {
      const required = schema.required;
      if (!Array.isArray(required) || !required.every((r) => typeof r === 'string')) {
        throw new UnsupportedSchemaError('required must be a list of property names', `${at}.required`);
      }
      checks.push(whenObject((v, path, out) => {
        for (const name of required as string[]) {
          if (!Object.prototype.hasOwnProperty.call(v, name)) out.push({ path, message: `is missing the required property ${JSON.stringify(name)}` });
        }
      }));
    }
    const minProperties = count(schema.minProperties, `${at}.minProperties`);
    const maxProperties = count(schema.maxProperties, `${at}.maxProperties`);
    if (minProperties !== undefined || maxProperties !== undefined) {
      checks.push(whenObject((v, path, out) => {
        const n = Object.keys(v).length;
        if (minProperties !== undefined && n < minProperties) out.push({ path, message: `has ${n} properties; at least ${minProperties} are required` });
        if (maxProperties !== undefined && n > maxProperties) out.push({ path, message: `has ${n} properties; at most ${maxProperties} are allowed` });
      }));
    }
    return checks;
  }

  private combinators(schema: Json, at: string, depth: number): Check[] {
    const checks: Check[] = [];
    if (schema.allOf !== undefined) {
      const all = this.list(schema.allOf, `${at}.allOf`, depth);
      checks.push((v, path, out, d) => { for (const check of all) check(v, path, out, d); });
    }
    if (schema.anyOf !== undefined) {
      const any = this.list(schema.anyOf, `${at}.anyOf`, depth);
      checks.push((v, path, out, d) => {
        if (!any.some((check) => passes(check, v, d))) out.push({ path, message: `matches none of the ${any.length} alternatives of anyOf` });
      });
    }
    if (schema.oneOf !== undefined) {
      const one = this.list(schema.oneOf, `${at}.oneOf`, depth);
      checks.push((v, path, out, d) => {
        const matching = one.filter((check) => passes(check, v, d)).length;
        if (matching !== 1) out.push({ path, message: `matches ${matching} of the ${one.length} alternatives of oneOf; exactly one is required` });
      });
    }
    if (schema.not !== undefined) {
      const not = this.compile(schema.not, `${at}.not`, depth + 1);
      checks.push((v, path, out, d) => { if (passes(not, v, d)) out.push({ path, message: 'matches the schema under "not"' }); });
    }
    if (schema.if !== undefined) {
      const condition = this.compile(schema.if, `${at}.if`, depth + 1);
      const then = schema.then === undefined ? undefined : this.compile(schema.then, `${at}.then`, depth + 1);
      const otherwise = schema.else === undefined ? undefined : this.compile(schema.else, `${at}.else`, depth + 1);
      checks.push((v, path, out, d) => {
        const branch = passes(condition, v, d) ? then : otherwise;
        branch?.(v, path, out, d);
      });
    }
    return checks;
  }

  private list(value: unknown, at: string, depth: number): Check[] {
    if (!Array.isArray(value) || value.length === 0) throw new UnsupportedSchemaError('must be a non-empty list of schemas', at);
    return value.map((sub, i) => this.compile(sub, `${at}[${i}]`, depth + 1));
  }
}

function typeCheck(type: unknown, at: string): Check {
  const names = Array.isArray(type) ? type : [type];
  if (names.length === 0 || !names.every((n) => typeof n === 'string' && TYPE_NAMES.has(n))) {
    throw new UnsupportedSchemaError(`type must be one of ${[...TYPE_NAMES].join(', ')}, or a list of them`, at);
  }
  const allowed = new Set(names as string[]);
  const expected = [...allowed].join(' or ');
  return (v, path, out) => {
    const actual = jsonType(v);
    if (allowed.has(actual) || (actual === 'integer' && allowed.has('number'))) return;
    out.push({ path, message: `is ${article(actual)}; expected ${expected}` });
  };
}

function enumCheck(values: unknown, at: string): Check {
  if (!Array.isArray(values) || values.length === 0) throw new UnsupportedSchemaError('enum must be a non-empty list', at);
  const allowed = new Set(values.map(canonical));
  return (v, path, out) => {
    if (!allowed.has(canonical(v))) out.push({ path, message: `is not one of the ${values.length} values the schema allows (enum)` });
  };
}

function stringChecks(schema: Json, at: string): Check[] {
  const checks: Check[] = [];
  const minLength = count(schema.minLength, `${at}.minLength`);
  const maxLength = count(schema.maxLength, `${at}.maxLength`);
  if (minLength !== undefined || maxLength !== undefined) {
    checks.push(whenString((v, path, out) => {
      const n = [...v].length;
      if (minLength !== undefined && n < minLength) out.push({ path, message: `has ${n} characters; at least ${minLength} are required` });
      if (maxLength !== undefined && n > maxLength) out.push({ path, message: `has ${n} characters; at most ${maxLength} are allowed` });
    }));
  }
  if (schema.pattern !== undefined) {
    const re = compileSafePattern(schema.pattern, `${at}.pattern`);
    checks.push(whenString((v, path, out) => { if (!re.test(v)) out.push({ path, message: `does not match the pattern ${re.source}` }); }));
  }
  if (schema.format !== undefined) {
    if (typeof schema.format !== 'string') throw new UnsupportedSchemaError('format must be a string', `${at}.format`);
    const name = schema.format;
    const test = FORMATS[name];
    if (test) checks.push(whenString((v, path, out) => { if (!test(v)) out.push({ path, message: `is not a valid ${name}` }); }));
  }
  return checks;
}

function numberChecks(schema: Json, at: string): Check[] {
  const bounds: [string, (v: number, b: number) => boolean, string][] = [];
  const limit = (key: string): number | undefined => {
    const value = schema[key];
    if (value === undefined || typeof value === 'boolean') return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new UnsupportedSchemaError(`${key} must be a number`, `${at}.${key}`);
    return value;
  };
  const minimum = limit('minimum');
  const maximum = limit('maximum');
  const exclusiveMinimum = schema.exclusiveMinimum === true ? minimum : limit('exclusiveMinimum');
  const exclusiveMaximum = schema.exclusiveMaximum === true ? maximum : limit('exclusiveMaximum');
  if (minimum !== undefined && schema.exclusiveMinimum !== true) bounds.push(['minimum', (v, b) => v >= b, 'at least']);
  if (maximum !== undefined && schema.exclusiveMaximum !== true) bounds.push(['maximum', (v, b) => v <= b, 'at most']);
  if (exclusiveMinimum !== undefined) bounds.push(['exclusiveMinimum', (v, b) => v > b, 'greater than']);
  if (exclusiveMaximum !== undefined) bounds.push(['exclusiveMaximum', (v, b) => v < b, 'less than']);
  const values: Record<string, number | undefined> = { minimum, maximum, exclusiveMinimum, exclusiveMaximum };
  const checks: Check[] = bounds.map(([key, ok, words]) => {
    const bound = values[key]!;
    return whenNumber((v, path, out) => { if (!ok(v, bound)) out.push({ path, message: `must be ${words} ${bound}` }); });
  });
  const multipleOf = limit('multipleOf');
  if (multipleOf !== undefined) {
    if (multipleOf <= 0) throw new UnsupportedSchemaError('multipleOf must be greater than 0', `${at}.multipleOf`);
    checks.push(whenNumber((v, path, out) => {
      const q = v / multipleOf;
      if (Math.abs(q - Math.round(q)) > 1e-9 * Math.max(1, Math.abs(q))) out.push({ path, message: `must be a multiple of ${multipleOf}` });
    }));
  }
  return checks;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)?$/;
const FORMATS: Record<string, (v: string) => boolean> = {
  'date': validDate,
  'time': (v) => TIME.test(v),
  'date-time': (v) => {
    const t = v.search(/[Tt ]/);
    return t === 10 && validDate(v.slice(0, 10)) && TIME.test(v.slice(11)) && /([Zz]|[+-]\d{2}:\d{2})$/.test(v);
  },
  'email': (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v),
  'uuid': (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  'ipv4': (v) => isIPv4(v),
  'ipv6': (v) => isIPv6(v),
  'hostname': (v) => v.length <= 253 && /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/.test(v),
  'uri': (v) => {
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(v)) return false;
    try { new URL(v); return true; } catch { return false; }
  },
};

function validDate(v: string): boolean {
  const m = DATE.exec(v);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function resolvePointer(root: unknown, ref: string, at: string): unknown {
  let node = root;
  const pointer = ref.slice(1);
  if (pointer === '') return root;
  if (!pointer.startsWith('/')) throw new UnsupportedSchemaError('a reference must be "#" or a JSON pointer such as "#/$defs/Name"', at);
  for (const raw of pointer.slice(1).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !Object.prototype.hasOwnProperty.call(node, key)) {
      throw new UnsupportedSchemaError(`the reference ${JSON.stringify(ref)} does not point into the schema`, at);
    }
    node = node[key];
  }
  return node;
}

/** Keywords whose subschemas apply to the same value (no descent into it). */
const IN_PLACE_LISTS = ['allOf', 'anyOf', 'oneOf'] as const;
const IN_PLACE_ONES = ['not', 'if', 'then', 'else'] as const;

/** The `$ref`s a schema applies to its own value: its own and those of its in-place subschemas. */
function inPlaceRefs(schema: unknown, found: string[] = []): string[] {
  if (!isObject(schema)) return found;
  if (typeof schema.$ref === 'string') found.push(schema.$ref);
  for (const k of IN_PLACE_LISTS) if (Array.isArray(schema[k])) for (const s of schema[k] as unknown[]) inPlaceRefs(s, found);
  for (const k of IN_PLACE_ONES) inPlaceRefs(schema[k], found);
  return found;
}

/**
 * Refuses a reference that comes back to itself without descending into the value (`{"$ref":
 * "#"}`, `a → b → a`): checking a value against it would never end.
 * @throws UnsupportedSchemaError at `at`
 */
function refuseInPlaceCycle(root: unknown, ref: string, at: string): void {
  const seen = new Set<string>();
  const pending = [ref];
  while (pending.length > 0) {
    const next = pending.pop()!;
    let target: unknown;
    try {
      target = resolvePointer(root, next, at);
    } catch {
      continue; // compiling the reference reports it, at its own place
    }
    for (const r of inPlaceRefs(target)) {
      if (r === ref) {
        throw new UnsupportedSchemaError(`the reference ${JSON.stringify(ref)} leads back to itself without descending into the value`, at);
      }
      if (r.startsWith('#') && !seen.has(r)) {
        seen.add(r);
        pending.push(r);
      }
    }
  }
}

function descend(check: Check, value: unknown, path: string, out: Sink, depth: number): void {
  if (depth + 1 > MAX_VALUE_DEPTH) {
    out.push({ path, message: `nests deeper than ${MAX_VALUE_DEPTH} levels` });
    return;
  }
  check(value, path, out, depth + 1);
}

function passes(check: Check, value: unknown, depth: number): boolean {
  const scratch: Sink = [];
  check(value, '$', scratch, depth);
  return scratch.length === 0;
}

function whenArray(check: (v: unknown[], path: string, out: Sink, depth: number) => void): Check {
  return (v, path, out, d) => { if (Array.isArray(v)) check(v, path, out, d); };
}
function whenObject(check: (v: Json, path: string, out: Sink, depth: number) => void): Check {
  return (v, path, out, d) => { if (isObject(v)) check(v, path, out, d); };
}
function whenString(check: (v: string, path: string, out: Sink) => void): Check {
  return (v, path, out) => { if (typeof v === 'string') check(v, path, out); };
}
function whenNumber(check: (v: number, path: string, out: Sink) => void): Check {
  return (v, path, out) => { if (typeof v === 'number') check(v, path, out); };
}

function count(value: unknown, at: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new UnsupportedSchemaError('must be a non-negative integer', at);
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function article(type: string): string {
  if (type === 'null') return 'null';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** A property name fit for a path or a message: names that could carry data are not repeated. */
function describeKey(key: string): string {
  return SAFE_KEY.test(key) ? JSON.stringify(key) : 'a property name that is not shown';
}
const SAFE_KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

function segment(key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(key)) return `.${key}`;
  return key.length <= 64 ? `[${JSON.stringify(key)}]` : '[…]';
}

/** JSON equality, independent of object key order. */
function jsonEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  return JSON.stringify(value) ?? 'undefined';
}
