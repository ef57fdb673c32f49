/**
 * Strict parsing of the `Authorization` header: exactly one header (name case-insensitive), the
 * `Bearer` scheme (case-insensitive, RFC 7235), one space, and a key of the exact tenant-key
 * shape. Anything else is malformed; the authorizer answers 401 without touching DynamoDB.
 */
import { isTenantKey } from './key';

/** Longest `Authorization` value looked at; longer ones are rejected before any other work. */
export const MAX_AUTHORIZATION_LENGTH = 256;

/** Why a request carries no usable key. */
export const HeaderProblem = {
  /** No `Authorization` header, or an empty one. */
  MISSING: 'missing',
  /** More than one `Authorization` header. */
  AMBIGUOUS: 'ambiguous',
  /** A value longer than `MAX_AUTHORIZATION_LENGTH`. */
  TOO_LONG: 'too-long',
  /** Not `Bearer <token>` with exactly one space. */
  NOT_BEARER: 'not-bearer',
  /** A bearer token that is not a tenant key. */
  MALFORMED_KEY: 'malformed-key',
} as const;
export type HeaderProblem = (typeof HeaderProblem)[keyof typeof HeaderProblem];

/** The headers of an API Gateway REQUEST authorizer event. */
export interface RequestHeaders {
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[] | undefined>> | null;
}

export type ParsedAuthorization =
  | { readonly ok: true; readonly key: string }
  | { readonly ok: false; readonly problem: HeaderProblem };

const BEARER = /^bearer ([^ ]+)$/i;

/**
 * The tenant key carried by `Authorization: Bearer <key>`, or why there is none.
 *
 * @example
 * parseAuthorization({ headers: { authorization: 'Bearer sk-gw-…' } }) // { ok: true, key: 'sk-gw-…' }
 * parseAuthorization({ headers: { Authorization: 'Basic dXNlcg==' } }) // { ok: false, problem: 'not-bearer' }
 */
export function parseAuthorization(request: RequestHeaders): ParsedAuthorization {
  const values: string[] = [];
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (name.toLowerCase() === 'authorization' && value !== undefined) values.push(value);
  }
  for (const [name, list] of Object.entries(request.multiValueHeaders ?? {})) {
    if (name.toLowerCase() === 'authorization' && list !== undefined && list.length > 1) {
      return { ok: false, problem: HeaderProblem.AMBIGUOUS };
    }
  }
  if (values.length > 1) return { ok: false, problem: HeaderProblem.AMBIGUOUS };
  const value = values[0];
  if (value === undefined || value === '') return { ok: false, problem: HeaderProblem.MISSING };
  if (value.length > MAX_AUTHORIZATION_LENGTH) return { ok: false, problem: HeaderProblem.TOO_LONG };
  const match = BEARER.exec(value);
  if (!match) return { ok: false, problem: HeaderProblem.NOT_BEARER };
  const key = match[1];
  if (!isTenantKey(key)) return { ok: false, problem: HeaderProblem.MALFORMED_KEY };
  return { ok: true, key };
}
