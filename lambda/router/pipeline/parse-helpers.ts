/** Small helpers the request parsers share (parse.ts, parse-tools.ts). */
import { InvalidRequestError } from '../errors';

export type Json = Record<string, unknown>;

/** A 400 naming the parameter at fault. */
export function bad(message: string, param: string, code = 'invalid_value'): InvalidRequestError {
  return new InvalidRequestError(message, code, param);
}

/** How a value is described in messages: `null`, `an array`, `an object`, `a string`, … */
export function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body has `key`, with a value other than null or undefined. */
export function present(body: Json, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(body, key) && body[key] !== null && body[key] !== undefined;
}

/** A string value as it may be quoted in a message: at most 40 characters, JSON-quoted. */
export function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : kind(value);
}

/**
 * The nesting depth of a JSON value, counted iteratively (a hostile schema cannot exhaust the
 * stack); stops counting once past `limit`.
 *
 * @example jsonDepth({ a: { b: 1 } }, 32) // 2
 */
export function jsonDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    max = Math.max(max, d);
    if (max > limit) return max;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}
