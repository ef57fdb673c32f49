/**
 * The metadata filter of a search, in the grammar of the Bedrock Retrieve API's `RetrievalFilter`
 * (`equals`, `notEquals`, `greaterThan`, `greaterThanOrEquals`, `lessThan`, `lessThanOrEquals`,
 * `in`, `notIn`, `startsWith`, `listContains`, `stringContains` on `{key, value}`; `andAll` and
 * `orAll` of 2 to 5 filters).
 *
 * The gateway owns the filter: `gatewayFilter` is the caller's tenant AND a sensitivity at most
 * the request's, AND the client's filter when there is one. A client's filter can only narrow the
 * search: it is checked against the grammar (`parseClientFilter`), may not name the keys the
 * gateway owns, and is one member of the gateway's `andAll`. `matchesFilter` evaluates a filter on
 * a document's metadata (the local corpus, and the check of every passage Retrieve returns).
 */
import { Sensitivity } from '../../shared/config';
import { SENSITIVITY_ORDER } from '../../shared/defaults';
import { ResolvedKnowledgeSource } from '../../shared/retrieval-defaults';
import { METADATA_KEY_PATTERN } from '../../shared/schema-retrieval';
import { InvalidRequestError } from '../errors';

/** A metadata value as documents carry it (the `.metadata.json` sidecar: string, number, boolean, list of strings). */
export type MetadataValue = string | number | boolean | readonly string[];
export type Metadata = Readonly<Record<string, MetadataValue>>;

/** Comparisons on one `{key, value}`. */
export const COMPARISONS = [
  'equals', 'notEquals', 'greaterThan', 'greaterThanOrEquals', 'lessThan', 'lessThanOrEquals',
  'in', 'notIn', 'startsWith', 'listContains', 'stringContains',
] as const;
export type Comparison = typeof COMPARISONS[number];
const COMBINATIONS = ['andAll', 'orAll'] as const;

/** The filter value of a comparison. */
export type FilterValue = string | number | boolean | readonly (string | number)[];

/** One filter: exactly one comparison or combination. */
export type RetrievalFilter =
  | { readonly [K in Comparison]: { readonly [P in K]: { readonly key: string; readonly value: FilterValue } } }[Comparison]
  | { readonly andAll: readonly RetrievalFilter[] }
  | { readonly orAll: readonly RetrievalFilter[] };

/**
 * Combination sizes the gateway accepts in a client's `andAll`/`orAll`. A minimum of 2 members is
 * documented for the same filter grammar in Amazon Q in Connect's RetrievalFilterConfiguration
 * ("Array Members: Minimum number of 2 items",
 * https://docs.aws.amazon.com/connect/latest/APIReference/API_amazon-q-connect_RetrievalFilterConfiguration.html);
 * the Bedrock RetrievalFilter reference itself was not retrieved, so 2 and the maximum of 5 are
 * unverified as Bedrock limits. 5 is at least the gateway's own bound on a client's filter, and the
 * gateway's own `andAll` (its 2 clauses and the client's filter) stays within both.
 */
export const COMBINATION_SIZE = { min: 2, max: 5 } as const;
/** How deep a client's filter may nest (the gateway adds one level). */
export const MAX_CLIENT_FILTER_DEPTH = 4;
const MAX_LIST_VALUES = 100;
const MAX_STRING_VALUE = 1024;
const KEY = new RegExp(METADATA_KEY_PATTERN);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(message: string, param: string): InvalidRequestError {
  return new InvalidRequestError(message, 'invalid_retrieval_filter', param);
}

function checkValue(op: Comparison, value: unknown, at: string): FilterValue {
  const scalar = typeof value === 'string' ? value.length <= MAX_STRING_VALUE
    : typeof value === 'number' ? Number.isFinite(value) : typeof value === 'boolean';
  switch (op) {
    case 'in':
    case 'notIn':
      if (Array.isArray(value) && value.length >= 1 && value.length <= MAX_LIST_VALUES
        && value.every((v) => (typeof v === 'string' && v.length <= MAX_STRING_VALUE) || (typeof v === 'number' && Number.isFinite(v)))) {
        return value as (string | number)[];
      }
      throw bad(`'${at}.value' of '${op}' must be a list of 1 to ${MAX_LIST_VALUES} strings or numbers.`, `${at}.value`);
    case 'startsWith':
    case 'stringContains':
      if (typeof value === 'string' && value.length > 0 && value.length <= MAX_STRING_VALUE) return value;
      throw bad(`'${at}.value' of '${op}' must be a non-empty string of at most ${MAX_STRING_VALUE} characters.`, `${at}.value`);
    case 'greaterThan':
    case 'greaterThanOrEquals':
    case 'lessThan':
    case 'lessThanOrEquals':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      throw bad(`'${at}.value' of '${op}' must be a number.`, `${at}.value`);
    default:
      if (scalar && !Array.isArray(value)) return value as string | number | boolean;
      throw bad(`'${at}.value' of '${op}' must be a string, a number or a boolean.`, `${at}.value`);
  }
}

/**
 * Checks a client's filter against the Retrieve grammar and refuses the keys the gateway owns.
 * Throws a 400 `invalid_retrieval_filter` naming the part at fault.
 *
 * @example
 * parseClientFilter({ equals: { key: 'product', value: 'cards' } }, new Set(['tenant', 'sensitivity']), 'retrieval.filter')
 */
export function parseClientFilter(value: unknown, ownedKeys: ReadonlySet<string>, param: string, depth = 1): RetrievalFilter {
  if (!isObject(value)) throw bad(`'${param}' must be a filter object such as {"equals": {"key": "product", "value": "cards"}}.`, param);
  if (depth > MAX_CLIENT_FILTER_DEPTH) throw bad(`'${param}' nests filters more than ${MAX_CLIENT_FILTER_DEPTH} levels deep.`, param);
  const keys = Object.keys(value);
  const allowed = [...COMPARISONS, ...COMBINATIONS].join(', ');
  if (keys.length !== 1) throw bad(`'${param}' must hold exactly one operator (${allowed}); it holds ${keys.length}.`, param);
  const op = keys[0];
  const at = `${param}.${op}`;
  const body = value[op];
  if ((COMBINATIONS as readonly string[]).includes(op)) {
    if (!Array.isArray(body) || body.length < COMBINATION_SIZE.min || body.length > COMBINATION_SIZE.max) {
      throw bad(`'${at}' must be a list of ${COMBINATION_SIZE.min} to ${COMBINATION_SIZE.max} filters.`, at);
    }
    const members = body.map((m, i) => parseClientFilter(m, ownedKeys, `${at}[${i}]`, depth + 1));
    return op === 'andAll' ? { andAll: members } : { orAll: members };
  }
  if (!(COMPARISONS as readonly string[]).includes(op)) {
    throw bad(`'${param}': unknown operator '${op.slice(0, 40)}'; allowed: ${allowed}.`, param);
  }
  if (!isObject(body) || Object.keys(body).some((k) => k !== 'key' && k !== 'value') || !('value' in body)) {
    throw bad(`'${at}' must be {"key": "…", "value": …}.`, at);
  }
  const key = body.key;
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw bad(`'${at}.key' must be a metadata key (a letter or '_', then letters, digits, '_', '.' or '-', at most 100 characters).`, `${at}.key`);
  }
  if (ownedKeys.has(key)) {
    throw bad(`'${at}.key': '${key}' is set by the gateway (your tenant and clearance); filter on other keys.`, `${at}.key`);
  }
  const comparison = op as Comparison;
  return { [comparison]: { key, value: checkValue(comparison, body.value, at) } } as RetrievalFilter;
}

/** The sensitivities at most `sensitivity`, lowest first. */
export function sensitivitiesUpTo(sensitivity: Sensitivity): Sensitivity[] {
  return SENSITIVITY_ORDER.slice(0, SENSITIVITY_ORDER.indexOf(sensitivity) + 1);
}

/** The clauses the gateway always sets: the caller's tenant (or the shared value) and the clearance. */
export function ownedClauses(source: ResolvedKnowledgeSource, tenantId: string, sensitivity: Sensitivity): RetrievalFilter[] {
  const tenants = source.sharedTenantValue !== undefined ? [tenantId, source.sharedTenantValue] : [tenantId];
  return [
    tenants.length === 1 ? { equals: { key: source.tenantKey, value: tenantId } } : { in: { key: source.tenantKey, value: tenants } },
    { in: { key: source.sensitivityKey, value: sensitivitiesUpTo(sensitivity) } },
  ];
}

/**
 * The filter of a search: the gateway's clauses AND the client's filter.
 *
 * @example
 * gatewayFilter(source, 'acme', Sensitivity.INTERNAL, { equals: { key: 'product', value: 'cards' } })
 * // { andAll: [{ equals: { key: 'tenant', value: 'acme' } }, { in: { key: 'sensitivity', value: ['public', 'internal'] } }, { equals: … }] }
 */
export function gatewayFilter(
  source: ResolvedKnowledgeSource, tenantId: string, sensitivity: Sensitivity, client?: RetrievalFilter,
): RetrievalFilter {
  return { andAll: [...ownedClauses(source, tenantId, sensitivity), ...(client ? [client] : [])] };
}

function compare(op: Comparison, actual: MetadataValue | undefined, expected: FilterValue): boolean {
  if (actual === undefined) return op === 'notEquals' || op === 'notIn';
  const scalar = Array.isArray(actual) ? undefined : actual as string | number | boolean;
  switch (op) {
    case 'equals': return scalar === expected;
    case 'notEquals': return scalar !== expected;
    case 'greaterThan': return typeof scalar === 'number' && scalar > (expected as number);
    case 'greaterThanOrEquals': return typeof scalar === 'number' && scalar >= (expected as number);
    case 'lessThan': return typeof scalar === 'number' && scalar < (expected as number);
    case 'lessThanOrEquals': return typeof scalar === 'number' && scalar <= (expected as number);
    case 'in': return scalar !== undefined && typeof scalar !== 'boolean' && (expected as readonly (string | number)[]).includes(scalar);
    case 'notIn': return scalar === undefined || typeof scalar === 'boolean' || !(expected as readonly (string | number)[]).includes(scalar);
    case 'startsWith': return typeof scalar === 'string' && scalar.startsWith(expected as string);
    case 'stringContains': return Array.isArray(actual)
      ? actual.some((v) => v.includes(expected as string)) : typeof scalar === 'string' && scalar.includes(expected as string);
    case 'listContains': return Array.isArray(actual) && actual.includes(String(expected));
    default: return false;
  }
}

/**
 * Whether a document's metadata satisfies a filter.
 *
 * @example
 * matchesFilter({ equals: { key: 'tenant', value: 'acme' } }, { tenant: 'acme' }) // true
 */
export function matchesFilter(filter: RetrievalFilter, metadata: Metadata): boolean {
  if ('andAll' in filter) return filter.andAll.every((f) => matchesFilter(f, metadata));
  if ('orAll' in filter) return filter.orAll.some((f) => matchesFilter(f, metadata));
  const op = Object.keys(filter)[0] as Comparison;
  const { key, value } = (filter as Record<Comparison, { key: string; value: FilterValue }>)[op];
  return compare(op, Object.prototype.hasOwnProperty.call(metadata, key) ? metadata[key] : undefined, value);
}
