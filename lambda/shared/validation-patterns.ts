/**
 * Safety of the validation patterns a configuration names: a pattern runs on every answer of its
 * route, so it must compile, stay short, and be in the subset the linear-time matcher runs
 * (linear-pattern.ts: no back-references, no lookaround), which the router uses instead of
 * JavaScript's backtracking engine. Checked at synth and at the router's cold start.
 */
import { VALIDATION_PATTERN_MAX_LENGTH } from './config-validation';
import { LinearPattern, UnsupportedPatternError } from './linear-pattern';

/** The flags a validation pattern may use. */
export const VALIDATION_PATTERN_FLAGS = /^(?!.*(.).*\1)[imsu]*$/;

/**
 * Why `pattern` is not a safe validation pattern, or undefined when it is.
 *
 * @example
 * unsafePatternReason('(a)\\1', '') // 'back-references are not allowed (at index 3)'
 */
export function unsafePatternReason(pattern: string, flags = ''): string | undefined {
  if (pattern.length === 0) return 'the pattern is empty';
  if (pattern.length > VALIDATION_PATTERN_MAX_LENGTH) return `the pattern is longer than ${VALIDATION_PATTERN_MAX_LENGTH} characters`;
  if (!VALIDATION_PATTERN_FLAGS.test(flags)) return `flags '${flags}' are not allowed (any of i, m, s, u, each once)`;
  try {
    new RegExp(pattern, flags);
  } catch (error) {
    return `the pattern does not compile (${error instanceof Error ? error.message : 'invalid'})`;
  }
  try {
    LinearPattern.compile(pattern, flags);
  } catch (error) {
    if (error instanceof UnsupportedPatternError) return error.message;
    throw error;
  }
  return undefined;
}

