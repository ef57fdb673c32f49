/**
 * A small declarative schema language. One description of a document gives both its runtime
 * validator (messages that name the field, the value received and what is allowed) and its JSON
 * Schema (draft 2020-12), so the two can never disagree.
 *
 * Internal to the shared module: not part of the public (jsii) API.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

interface NodeBase {
  readonly description?: string;
}

export interface StringNode extends NodeBase {
  readonly type: 'string';
  readonly minLength?: number;
  readonly maxLength?: number;
  /** An anchored regular expression the value must match. */
  readonly pattern?: string;
  /** A human description of the pattern, for messages. */
  readonly patternHint?: string;
  /** The allowed values. */
  readonly enum?: readonly string[];
  /** The value must not be one of these. */
  readonly notIn?: readonly string[];
  readonly default?: string;
}

export interface NumberNode extends NodeBase {
  readonly type: 'integer' | 'number';
  readonly minimum?: number;
  readonly maximum?: number;
  readonly default?: number;
}

export interface BooleanNode extends NodeBase {
  readonly type: 'boolean';
  readonly default?: boolean;
}

export interface ArrayNode extends NodeBase {
  readonly type: 'array';
  readonly items: SchemaNode;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
}

/** An object with arbitrary keys (a map), all values of one schema. */
export interface MapNode extends NodeBase {
  readonly type: 'map';
  readonly values: SchemaNode;
  readonly keyPattern?: string;
  readonly keyHint?: string;
  readonly minProperties?: number;
  readonly maxProperties?: number;
}

/** Constraints that apply when a discriminator property has a given value. */
export interface VariantRule {
  /** Properties that must be present. */
  readonly required?: readonly string[];
  /** Properties that must be absent. */
  readonly forbidden?: readonly string[];
  /** Exactly one of these properties must be present. */
  readonly exactlyOne?: readonly string[];
}

export interface ObjectNode extends NodeBase {
  readonly type: 'object';
  readonly properties: { readonly [name: string]: SchemaNode };
  readonly required?: readonly string[];
  /** Properties ignored by the validator and allowed by the JSON Schema (for example `$schema`). */
  readonly ignored?: readonly string[];
  /** If the key property is present, the listed properties are required too. */
  readonly dependentRequired?: { readonly [name: string]: readonly string[] };
  /** Exactly one of these properties must be present. */
  readonly exactlyOne?: readonly string[];
  /** Per-value rules of a discriminator property. */
  readonly variants?: {
    readonly discriminator: string;
    readonly rules: { readonly [value: string]: VariantRule };
  };
}

export type SchemaNode = StringNode | NumberNode | BooleanNode | ArrayNode | MapNode | ObjectNode;

const MAX_SHOWN = 40;

/** A value as it appears in a message: short, quoted, never a whole document. */
export function show(value: unknown): string {
  if (typeof value === 'string') {
    const s = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
    return `'${s}'`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isInteger(value)) return `the number ${value}`;
  if (typeof value === 'string') return `the string ${show(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return `a ${typeof value}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function has(obj: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined;
}

/**
 * Validates `value` against `node`, appending one message per problem to `issues`. Each message
 * starts with the path of the field (`routes[2].targets[0]: ...`).
 */
export function validateNode(node: SchemaNode, value: unknown, path: string, issues: string[]): void {
  const at = path || '(root)';
  switch (node.type) {
    case 'string': {
      if (typeof value !== 'string') {
        issues.push(`${at}: expected a string, received ${typeName(value)}`);
        return;
      }
      if (node.enum && !node.enum.includes(value)) {
        issues.push(`${at}: ${show(value)} is not allowed; allowed: ${node.enum.join(', ')}`);
        return;
      }
      if (node.minLength !== undefined && value.length < node.minLength) {
        issues.push(node.minLength === 1
          ? `${at}: must not be empty`
          : `${at}: ${show(value)} is too short; at least ${node.minLength} characters`);
        return;
      }
      if (node.maxLength !== undefined && value.length > node.maxLength) {
        issues.push(`${at}: ${show(value)} is too long (${value.length} characters); at most ${node.maxLength}`);
        return;
      }
      if (node.pattern && !new RegExp(node.pattern).test(value)) {
        issues.push(`${at}: ${show(value)} is not allowed; expected ${node.patternHint ?? `a match of ${node.pattern}`}`);
        return;
      }
      if (node.notIn?.includes(value)) {
        issues.push(`${at}: ${show(value)} is reserved; use another value`);
      }
      return;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value) || (node.type === 'integer' && !Number.isInteger(value))) {
        issues.push(`${at}: expected ${node.type === 'integer' ? 'an integer' : 'a number'}, received ${typeName(value)}`);
        return;
      }
      const low = node.minimum ?? -Infinity;
      const high = node.maximum ?? Infinity;
      if (value < low || value > high) {
        const range = node.maximum === undefined ? `at least ${low}` : `${low} to ${high}`;
        issues.push(`${at}: ${value} is out of range; allowed: ${range}`);
      }
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') issues.push(`${at}: expected true or false, received ${typeName(value)}`);
      return;
    case 'array': {
      if (!Array.isArray(value)) {
        issues.push(`${at}: expected an array, received ${typeName(value)}`);
        return;
      }
      if (node.minItems !== undefined && value.length < node.minItems) {
        issues.push(`${at}: expected at least ${node.minItems} item${node.minItems === 1 ? '' : 's'}, received ${value.length}`);
      }
      if (node.maxItems !== undefined && value.length > node.maxItems) {
        issues.push(`${at}: expected at most ${node.maxItems} items, received ${value.length}`);
      }
      value.forEach((item, i) => validateNode(node.items, item, `${path}[${i}]`, issues));
      if (node.uniqueItems) {
        const seen = new Set<string>();
        value.forEach((item, i) => {
          const key = JSON.stringify(item);
          if (seen.has(key)) issues.push(`${path}[${i}]: ${show(item)} is a duplicate`);
          seen.add(key);
        });
      }
      return;
    }
    case 'map': {
      if (!isPlainObject(value)) {
        issues.push(`${at}: expected an object, received ${typeName(value)}`);
        return;
      }
      const keys = Object.keys(value);
      if (node.minProperties !== undefined && keys.length < node.minProperties) {
        issues.push(`${at}: expected at least ${node.minProperties} entr${node.minProperties === 1 ? 'y' : 'ies'}, received ${keys.length}`);
      }
      if (node.maxProperties !== undefined && keys.length > node.maxProperties) {
        issues.push(`${at}: expected at most ${node.maxProperties} entries, received ${keys.length}`);
      }
      for (const key of keys) {
        if (node.keyPattern && !new RegExp(node.keyPattern).test(key)) {
          issues.push(`${join(path, key)}: the key ${show(key)} is not allowed; expected ${node.keyHint ?? `a match of ${node.keyPattern}`}`);
          continue;
        }
        validateNode(node.values, value[key], join(path, key), issues);
      }
      return;
    }
    case 'object': {
      if (!isPlainObject(value)) {
        issues.push(`${at}: expected an object, received ${typeName(value)}`);
        return;
      }
      const known = Object.keys(node.properties);
      for (const key of Object.keys(value)) {
        if (node.ignored?.includes(key)) continue;
        if (!Object.prototype.hasOwnProperty.call(node.properties, key)) {
          issues.push(`${join(path, key)}: unknown property; allowed: ${known.join(', ')}`);
        }
      }
      for (const key of node.required ?? []) {
        if (!has(value, key)) issues.push(`${join(path, key)}: required`);
      }
      for (const key of known) {
        if (has(value, key)) validateNode(node.properties[key], value[key], join(path, key), issues);
      }
      for (const [key, deps] of Object.entries(node.dependentRequired ?? {})) {
        if (!has(value, key)) continue;
        for (const dep of deps) {
          if (!has(value, dep)) issues.push(`${join(path, dep)}: required when ${key} is set`);
        }
      }
      if (node.exactlyOne) validateVariant({ exactlyOne: node.exactlyOne }, value, path, '', issues);
      if (node.variants) {
        const disc = node.variants.discriminator;
        const tag = value[disc];
        const rule = typeof tag === 'string' && Object.prototype.hasOwnProperty.call(node.variants.rules, tag)
          ? node.variants.rules[tag] : undefined;
        if (rule) validateVariant(rule, value, path, `${disc} is '${tag}'`, issues);
      }
      return;
    }
  }
}

function validateVariant(rule: VariantRule, value: Record<string, unknown>, path: string, when: string, issues: string[]): void {
  for (const key of rule.required ?? []) {
    if (!has(value, key)) issues.push(`${join(path, key)}: required when ${when}`);
  }
  for (const key of rule.forbidden ?? []) {
    if (has(value, key)) issues.push(`${join(path, key)}: not allowed when ${when}`);
  }
  if (rule.exactlyOne) {
    const present = rule.exactlyOne.filter((k) => has(value, k));
    if (present.length !== 1) {
      const names = rule.exactlyOne.join(' or ');
      issues.push(present.length === 0
        ? `${path || '(root)'}: one of ${names} is required${when ? ` when ${when}` : ''}`
        : `${path || '(root)'}: only one of ${names} may be set${when ? ` when ${when}` : ''}, received ${present.join(' and ')}`);
    }
  }
}

/** The JSON Schema (draft 2020-12) of a node. */
export function toJsonSchema(node: SchemaNode): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  if (node.description) out.description = node.description;
  switch (node.type) {
    case 'string':
      out.type = 'string';
      if (node.enum) out.enum = [...node.enum];
      if (node.minLength !== undefined) out.minLength = node.minLength;
      if (node.maxLength !== undefined) out.maxLength = node.maxLength;
      if (node.pattern) out.pattern = node.pattern;
      if (node.notIn) out.not = { enum: [...node.notIn] };
      if (node.default !== undefined) out.default = node.default;
      return out;
    case 'integer':
    case 'number':
      out.type = node.type;
      if (node.minimum !== undefined) out.minimum = node.minimum;
      if (node.maximum !== undefined) out.maximum = node.maximum;
      if (node.default !== undefined) out.default = node.default;
      return out;
    case 'boolean':
      out.type = 'boolean';
      if (node.default !== undefined) out.default = node.default;
      return out;
    case 'array':
      out.type = 'array';
      out.items = toJsonSchema(node.items);
      if (node.minItems !== undefined) out.minItems = node.minItems;
      if (node.maxItems !== undefined) out.maxItems = node.maxItems;
      if (node.uniqueItems) out.uniqueItems = true;
      return out;
    case 'map':
      out.type = 'object';
      if (node.keyPattern) out.propertyNames = { pattern: node.keyPattern };
      out.additionalProperties = toJsonSchema(node.values);
      if (node.minProperties !== undefined) out.minProperties = node.minProperties;
      if (node.maxProperties !== undefined) out.maxProperties = node.maxProperties;
      return out;
    case 'object': {
      out.type = 'object';
      const props: { [key: string]: JsonValue } = {};
      for (const key of node.ignored ?? []) props[key] = { type: 'string', description: 'Ignored by the gateway.' };
      for (const [key, child] of Object.entries(node.properties)) props[key] = toJsonSchema(child);
      out.properties = props;
      if (node.required?.length) out.required = [...node.required];
      out.additionalProperties = false;
      if (node.dependentRequired) {
        const deps: { [key: string]: JsonValue } = {};
        for (const [k, v] of Object.entries(node.dependentRequired)) deps[k] = [...v];
        out.dependentRequired = deps;
      }
      if (node.exactlyOne?.length) out.oneOf = node.exactlyOne.map((k) => ({ required: [k] }));
      if (node.variants) {
        const disc = node.variants.discriminator;
        out.allOf = Object.entries(node.variants.rules).map(([tag, rule]) => {
          const then: { [key: string]: JsonValue } = {};
          if (rule.required?.length) then.required = [...rule.required];
          if (rule.forbidden?.length) then.not = { anyOf: rule.forbidden.map((k) => ({ required: [k] })) };
          if (rule.exactlyOne?.length) then.oneOf = rule.exactlyOne.map((k) => ({ required: [k] }));
          return { if: { properties: { [disc]: { const: tag } }, required: [disc] }, then };
        });
      }
      return out;
    }
  }
}
