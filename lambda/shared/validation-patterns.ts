/**
 * Safety of the validation patterns a configuration names: a pattern runs on every answer of its
 * route, so it must compile, stay short, and be free of the shapes that make JavaScript's
 * backtracking engine take exponential time (a repeated group that itself repeats or alternates,
 * back-references). Checked at synth and at the router's cold start.
 */
import { VALIDATION_PATTERN_MAX_LENGTH } from './config-validation';

/** The flags a validation pattern may use. */
export const VALIDATION_PATTERN_FLAGS = /^(?!.*(.).*\1)[imsu]*$/;

/**
 * Why `pattern` is not a safe validation pattern, or undefined when it is.
 *
 * @example
 * unsafePatternReason('(a+)+$', '') // 'a repeated group contains a quantifier or an alternation (catastrophic backtracking)'
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
  return nestedRepetition(pattern);
}

/** One open group: whether it holds a quantifier or an alternation. */
interface Group { risky: boolean }

const ADJACENT_REPETITION = 'two unbounded repetitions without a literal character between them (polynomial backtracking); put a literal between them or bound one';

function nestedRepetition(pattern: string): string | undefined {
  const stack: Group[] = [{ risky: false }];
  let inClass = false;
  /** Unbounded repetitions since the last literal character. */
  let run = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || next === 'k')) return 'back-references are not allowed';
      if (!inClass && !/[dDwWsSbBpP]/.test(next)) run = 0;
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (ch === '[') {
      inClass = true;
    } else if (ch === '(') {
      stack.push({ risky: false });
    } else if (ch === ')') {
      const closed = stack.pop()!;
      if (stack.length === 0) return 'unbalanced parentheses';
      if (closed.risky && repeatingQuantifierAt(pattern, i + 1)) {
        return 'a repeated group contains a quantifier or an alternation (catastrophic backtracking); use a character class or a bounded count';
      }
      if (unboundedQuantifierAt(pattern, i + 1) && ++run >= 2) return ADJACENT_REPETITION;
      if (closed.risky) stack[stack.length - 1].risky = true;
    } else if (ch === '|') {
      top.risky = true;
    } else if (ch === '*' || ch === '+' || ch === '{') {
      if (ch !== '{' || unboundedQuantifierAt(pattern, i)) {
        top.risky = true;
        if (pattern[i - 1] !== ')' && ++run >= 2) return ADJACENT_REPETITION;
      }
    } else if (!'.^$?}]'.includes(ch)) {
      run = 0;
    }
  }
  return undefined;
}

/** Whether a quantifier that can repeat (anything but `?`, `{0,1}`, `{1}`) starts at `i`. */
function repeatingQuantifierAt(pattern: string, i: number): boolean {
  if (unboundedQuantifierAt(pattern, i)) return true;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
  return m !== null && Number(m[3] ?? m[1]) > 1;
}

/** Whether an unbounded quantifier (`*`, `+`, `{n,}`) or a count above 10 starts at `i`. */
function unboundedQuantifierAt(pattern: string, i: number): boolean {
  const ch = pattern[i];
  if (ch === '*' || ch === '+') return true;
  if (ch !== '{') return false;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
  if (!m) return false;
  if (m[2] !== undefined && m[3] === '') return true;
  return Number(m[3] ?? m[1]) > 10;
}
