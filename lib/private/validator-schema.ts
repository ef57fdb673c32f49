/**
 * The configuration schema as AppConfig's JSON Schema validator holds it. AppConfig allows a
 * validator of at most 32,768 characters; the shipped schema file carries a description and a
 * default on nearly every node for editors and operators, which validation never reads. The
 * embedded copy drops those annotations (and the indentation), so the validator checks exactly
 * what the file checks at well under half its size.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The shipped schema file (published with the package). */
export const CONFIG_SCHEMA_FILE = join(__dirname, '..', '..', 'schema', 'gateway-config.schema.json');

/** The most characters AppConfig accepts in an inline JSON Schema validator. */
export const APPCONFIG_VALIDATOR_MAX_CHARS = 32_768;

/** Keywords that annotate a schema node and never change what validates. */
const ANNOTATIONS = new Set(['description', 'default', 'title', 'examples', '$comment']);
/** Keywords whose value maps names to schema nodes (a property may itself be called `description`). */
const NAMED_SCHEMAS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/** `node` without its annotation keywords, recursively; property names are kept whatever they are called. */
export function withoutAnnotations(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutAnnotations);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (ANNOTATIONS.has(key)) continue;
    out[key] = NAMED_SCHEMAS.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, withoutAnnotations(schema)]))
      : key === 'enum' || key === 'const' || key === 'required' ? value : withoutAnnotations(value);
  }
  return out;
}

/** The validator AppConfig embeds: the schema file without annotations or whitespace. */
export function appConfigValidatorSchema(): string {
  return JSON.stringify(withoutAnnotations(JSON.parse(readFileSync(CONFIG_SCHEMA_FILE, 'utf8'))));
}
