/**
 * A regular-expression matcher whose running time is linear in the input by construction: the
 * pattern is parsed into a syntax tree, compiled into a Thompson NFA program, and run as a Pike VM
 * (all threads in lockstep, at most one thread per instruction and input position). A search costs
 * O(input length × program size) steps whatever the pattern and the input, so no answer can make a
 * validation pattern take long: there is no backtracking to exploit.
 *
 * The accepted subset is JavaScript's syntax without the features a finite automaton cannot run:
 * literals and escapes (`\n`, `\t`, `\xHH`, `\uHHHH`, `\u{…}` with `u`, escaped punctuation),
 * classes (`[a-z]`, `[^…]`, `\d \D \w \W \s \S`), `.`, anchors (`^ $ \b \B`), quantifiers
 * (`? * + {m} {m,} {m,n}`, greedy or lazy: only whether there is a match matters), alternation,
 * capturing, non-capturing and named groups. Refused, naming what is not allowed: back-references,
 * lookahead and lookbehind, Unicode property escapes (`\p{…}`), control escapes (`\cX`), and
 * counts whose expansion would make the program larger than `MAX_PROGRAM_SIZE`.
 *
 * Semantics follow ECMAScript for the flags `i`, `m`, `s` and `u` (without `u`, the input is read
 * as UTF-16 code units; with it, as code points). Case-insensitive matching compares canonical
 * forms as ECMAScript does (upper case without `u`, simple case folding approximated by the
 * runtime's lower/upper case mappings with `u`); the property test checks agreement with `RegExp`.
 *
 * Dependency-free: used by the router (response validation) and at synth (the configuration check).
 */

/**
 * The most instructions a compiled pattern may have: a search visits at most about three per
 * instruction and input character. Patterns without large `{m,n}` counts stay far below.
 */
export const MAX_PROGRAM_SIZE = 2_000;

/** The pattern uses syntax outside the linear-time subset, or does not parse. */
export class UnsupportedPatternError extends Error {
  constructor(message: string, readonly index: number) {
    super(message);
    this.name = 'UnsupportedPatternError';
  }
}

type CharTest = (c: number) => boolean;

type Node =
  | { readonly kind: 'char'; readonly test: CharTest }
  | { readonly kind: 'seq'; readonly items: readonly Node[] }
  | { readonly kind: 'alt'; readonly options: readonly Node[] }
  | { readonly kind: 'repeat'; readonly node: Node; readonly min: number; readonly max: number }
  | { readonly kind: 'assert'; readonly assertion: Assertion };

type Assertion = 'start' | 'end' | 'word' | 'notWord';

const enum Op { CHAR, SPLIT, JMP, ASSERT, MATCH }

type Instruction =
  | { readonly op: Op.CHAR; readonly test: CharTest }
  | { op: Op.SPLIT; x: number; y: number }
  | { op: Op.JMP; x: number }
  | { readonly op: Op.ASSERT; readonly assertion: Assertion }
  | { readonly op: Op.MATCH };

const isDigit: CharTest = (c) => c >= 0x30 && c <= 0x39;
const isWordChar: CharTest = (c) => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
const isLineTerminator: CharTest = (c) => c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
/** ECMAScript WhiteSpace and LineTerminator (what `\s` matches). */
const isSpace: CharTest = (c) => (c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0xa0 || c === 0x1680
  || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
const not = (t: CharTest): CharTest => (c) => !t(c);

/** With `i` and `u`, ECMAScript's word characters also hold the two whose case folding is one (ſ → s, K → k). */
const isWordCharFolded: CharTest = (c) => isWordChar(c) || c === 0x17f || c === 0x212a;
const wordCharTest = (flags: Flags): CharTest => (flags.ignoreCase && flags.unicode ? isWordCharFolded : isWordChar);

function classEscapes(word: CharTest): Readonly<Record<string, CharTest>> {
  return { d: isDigit, D: not(isDigit), w: word, W: not(word), s: isSpace, S: not(isSpace) };
}
const CONTROL_ESCAPES: Readonly<Record<string, number>> = { n: 0x0a, r: 0x0d, t: 0x09, f: 0x0c, v: 0x0b };
const SYNTAX_CHARS = '^$\\.*+?()[]{}|/';

/** The parsed flags. */
interface Flags {
  readonly ignoreCase: boolean;
  readonly multiline: boolean;
  readonly dotAll: boolean;
  readonly unicode: boolean;
}

/** ECMAScript's Canonicalize: the character a case-insensitive comparison uses. */
function canonicalizer(unicode: boolean): (c: number) => number {
  if (unicode) {
    return (c) => {
      const folded = String.fromCodePoint(c).toUpperCase().toLowerCase();
      const cp = folded.codePointAt(0)!;
      return folded.length === String.fromCodePoint(cp).length ? cp : c;
    };
  }
  return (c) => {
    const upper = String.fromCharCode(c).toUpperCase();
    if (upper.length !== 1) return c;
    const u = upper.charCodeAt(0);
    return c >= 128 && u < 128 ? c : u;
  };
}

/** A character test that ignores case: some character with the same canonical form passes `test`. */
function caseless(test: CharTest, canonical: (c: number) => number, unicode: boolean): CharTest {
  const str = (c: number): string => (unicode ? String.fromCodePoint(c) : String.fromCharCode(c));
  const code = (s: string): number | undefined => {
    const c = unicode ? s.codePointAt(0)! : s.charCodeAt(0);
    return s.length === str(c).length ? c : undefined;
  };
  const memo = new Map<number, boolean>();
  const uncached = (c: number): boolean => {
    if (test(c)) return true;
    const target = canonical(c);
    const s = str(c);
    const t = str(target);
    for (const variant of [target, code(s.toLowerCase()), code(s.toUpperCase()), code(t.toLowerCase()), code(t.toUpperCase())]) {
      if (variant !== undefined && variant !== c && canonical(variant) === target && test(variant)) return true;
    }
    return false;
  };
  // Answers hold few distinct characters: each is worked out once per test (case mappings allocate strings).
  return (c) => {
    let known = memo.get(c);
    if (known === undefined) {
      known = uncached(c);
      if (memo.size < 4096) memo.set(c, known);
    }
    return known;
  };
}

class Parser {
  private i = 0;
  private readonly canonical: (c: number) => number;
  private readonly escapes: Readonly<Record<string, CharTest>>;

  constructor(private readonly source: string, private readonly flags: Flags) {
    this.canonical = canonicalizer(flags.unicode);
    this.escapes = classEscapes(wordCharTest(flags));
  }

  parse(): Node {
    const node = this.alternation();
    if (this.i < this.source.length) this.fail(this.source[this.i] === ')' ? 'unbalanced parentheses' : `unexpected '${this.source[this.i]}'`);
    return node;
  }

  private fail(message: string): never {
    throw new UnsupportedPatternError(`${message} (at index ${this.i})`, this.i);
  }

  private peek(): string | undefined {
    return this.source[this.i];
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.i++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0] : { kind: 'alt', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    for (let ch = this.peek(); ch !== undefined && ch !== '|' && ch !== ')'; ch = this.peek()) {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return items.length === 1 ? items[0] : { kind: 'seq', items };
  }

  private quantified(atom: Node): Node {
    const ch = this.peek();
    let min: number;
    let max: number;
    if (ch === '*' || ch === '+' || ch === '?') {
      this.i++;
      [min, max] = ch === '*' ? [0, Infinity] : ch === '+' ? [1, Infinity] : [0, 1];
    } else if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.i));
      if (!m) {
        if (this.flags.unicode) this.fail("a lone '{' (escape it as \\{)");
        return atom;
      }
      this.i += m[0].length;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) this.fail('numbers out of order in a {m,n} quantifier');
    } else {
      return atom;
    }
    if (atom.kind === 'assert') this.fail('a quantified assertion');
    if (this.peek() === '?') this.i++; // lazy: the same language
    return { kind: 'repeat', node: atom, min, max };
  }

  private atom(): Node {
    const ch = this.source[this.i];
    if (ch === '^' || ch === '$') {
      this.i++;
      return { kind: 'assert', assertion: ch === '^' ? 'start' : 'end' };
    }
    if (ch === '.') {
      this.i++;
      return { kind: 'char', test: this.flags.dotAll ? () => true : not(isLineTerminator) };
    }
    if (ch === '(') return this.group();
    if (ch === '[') return this.charClass();
    if (ch === '\\') return this.escapeAtom();
    if (ch === '*' || ch === '+' || ch === '?') this.fail('nothing to repeat');
    if (ch === '{' && (this.flags.unicode || /^\{\d+(,\d*)?\}/.test(this.source.slice(this.i)))) this.fail('nothing to repeat');
    if (this.flags.unicode && (ch === '{' || ch === '}' || ch === ']')) this.fail(`a lone '${ch}' (escape it)`);
    return this.literal(this.readSourceChar());
  }

  /** One character of the source (a whole code point with `u`). */
  private readSourceChar(): number {
    const c = this.flags.unicode ? this.source.codePointAt(this.i)! : this.source.charCodeAt(this.i);
    this.i += c > 0xffff ? 2 : 1;
    return c;
  }

  private literal(c: number): Node {
    const exact: CharTest = (x) => x === c;
    return { kind: 'char', test: this.flags.ignoreCase ? caseless(exact, this.canonical, this.flags.unicode) : exact };
  }

  private group(): Node {
    this.i++;
    if (this.source.startsWith('?:', this.i)) {
      this.i += 2;
    } else if (this.source.startsWith('?<', this.i) && !this.source.startsWith('?<=', this.i) && !this.source.startsWith('?<!', this.i)) {
      const m = /^\?<([A-Za-z_$][\w$]*)>/.exec(this.source.slice(this.i));
      if (!m) this.fail('an invalid group name');
      this.i += m[0].length;
    } else if (this.peek() === '?') {
      this.fail('lookahead and lookbehind are not allowed');
    }
    const inner = this.alternation();
    if (this.peek() !== ')') this.fail('unbalanced parentheses');
    this.i++;
    // A group may be quantified whatever it holds (an assertion alone may not).
    return inner.kind === 'assert' ? { kind: 'seq', items: [inner] } : inner;
  }

  private escapeAtom(): Node {
    const next = this.source[this.i + 1];
    if (next === undefined) this.fail('\\ at the end of the pattern');
    if (next === 'b' || next === 'B') {
      this.i += 2;
      return { kind: 'assert', assertion: next === 'b' ? 'word' : 'notWord' };
    }
    if (/[1-9]/.test(next) || next === 'k') this.fail('back-references are not allowed');
    const test = this.classEscape();
    if (test) return { kind: 'char', test: this.flags.ignoreCase ? caseless(test, this.canonical, this.flags.unicode) : test };
    return this.literal(this.characterEscape(false));
  }

  /** `\d \D \w \W \s \S` at the cursor (consumed), or undefined. */
  private classEscape(): CharTest | undefined {
    const next = this.source[this.i + 1];
    const test = this.escapes[next];
    if (!test) return undefined;
    this.i += 2;
    return test;
  }

  /** A character escape at the cursor (`\n`, `\x41`, `\u0041`, `\.`, …): its character, consumed. */
  private characterEscape(inClass: boolean): number {
    const next = this.source[this.i + 1];
    const rest = this.source.slice(this.i + 2);
    if (next in CONTROL_ESCAPES) {
      this.i += 2;
      return CONTROL_ESCAPES[next];
    }
    if (next === '0' && !/^\d/.test(rest)) {
      this.i += 2;
      return 0;
    }
    if (inClass && next === 'b') {
      this.i += 2;
      return 0x08;
    }
    if (inClass && next === '-' && this.flags.unicode) {
      this.i += 2;
      return 0x2d;
    }
    if (next === 'x') {
      const m = /^[0-9a-fA-F]{2}/.exec(rest);
      if (m) {
        this.i += 4;
        return parseInt(m[0], 16);
      }
      if (this.flags.unicode) this.fail('an invalid \\x escape');
    }
    if (next === 'u') {
      const braced = this.flags.unicode ? /^\{([0-9a-fA-F]{1,6})\}/.exec(rest) : null;
      if (braced && parseInt(braced[1], 16) <= 0x10ffff) {
        this.i += 2 + braced[0].length;
        return parseInt(braced[1], 16);
      }
      const m = /^[0-9a-fA-F]{4}/.exec(rest);
      if (m) {
        this.i += 6;
        const lead = parseInt(m[0], 16);
        // With `u`, an escaped surrogate pair is one code point.
        const trail = this.flags.unicode && lead >= 0xd800 && lead <= 0xdbff ? /^\\u(d[c-f][0-9a-f]{2})/i.exec(this.source.slice(this.i)) : null;
        if (trail) {
          this.i += 6;
          return (lead - 0xd800) * 0x400 + (parseInt(trail[1], 16) - 0xdc00) + 0x10000;
        }
        return lead;
      }
      if (this.flags.unicode) this.fail('an invalid \\u escape');
    }
    if (next === 'p' || next === 'P') {
      if (this.flags.unicode) this.fail('Unicode property escapes are not allowed');
    }
    if (next === 'c') this.fail('control escapes (\\cX) are not allowed');
    if (/\d/.test(next)) this.fail('octal escapes are not allowed');
    if (this.flags.unicode && !SYNTAX_CHARS.includes(next) && !(inClass && next === '-')) this.fail(`an invalid escape \\${next}`);
    // An identity escape: the character itself.
    this.i += 1;
    return this.readSourceChar();
  }

  private charClass(): Node {
    this.i++;
    const negated = this.peek() === '^';
    if (negated) this.i++;
    const tests: CharTest[] = [];
    const ranges: [number, number][] = [];
    while (this.peek() !== ']') {
      if (this.peek() === undefined) this.fail('an unterminated character class');
      const start = this.classAtom();
      if (this.peek() === '-' && this.source[this.i + 1] !== ']' && this.source[this.i + 1] !== undefined) {
        this.i++;
        const end = this.classAtom();
        if (typeof start === 'number' && typeof end === 'number') {
          if (end < start) this.fail('a range out of order in a character class');
          ranges.push([start, end]);
        } else {
          if (this.flags.unicode) this.fail('a class escape in a range');
          // Annex B: `[\d-x]` is the escape, '-' and 'x'.
          for (const part of [start, 0x2d, end]) {
            if (typeof part === 'number') ranges.push([part, part]);
            else tests.push(part);
          }
        }
      } else if (typeof start === 'number') {
        ranges.push([start, start]);
      } else {
        tests.push(start);
      }
    }
    this.i++;
    const inRanges: CharTest = (c) => ranges.some(([lo, hi]) => c >= lo && c <= hi);
    const member: CharTest = (c) => inRanges(c) || tests.some((t) => t(c));
    const cased = this.flags.ignoreCase ? caseless(member, this.canonical, this.flags.unicode) : member;
    return { kind: 'char', test: negated ? not(cased) : cased };
  }

  /** One class member: a character, or a class escape's test. */
  private classAtom(): number | CharTest {
    if (this.peek() === '\\') {
      if (/[1-9]/.test(this.source[this.i + 1] ?? '')) this.fail('octal escapes are not allowed');
      if (this.source[this.i + 1] === 'k' && this.flags.unicode) this.fail('back-references are not allowed');
      return this.classEscape() ?? this.characterEscape(true);
    }
    return this.readSourceChar();
  }
}

/** The instructions `node` compiles to (at most), checked before compiling. */
function programSize(node: Node): number {
  switch (node.kind) {
    case 'char': case 'assert': return 1;
    case 'seq': return node.items.reduce((n, item) => n + programSize(item), 0);
    case 'alt': return node.options.reduce((n, o) => n + programSize(o) + 2, 0);
    case 'repeat': {
      const inner = programSize(node.node);
      const copies = node.max === Infinity ? node.min + 1 : node.max;
      return Math.max(1, copies) * (inner + 2);
    }
  }
}

class Compiler {
  readonly program: Instruction[] = [];

  emit(node: Node): void {
    const p = this.program;
    switch (node.kind) {
      case 'char':
        p.push({ op: Op.CHAR, test: node.test });
        return;
      case 'assert':
        p.push({ op: Op.ASSERT, assertion: node.assertion });
        return;
      case 'seq':
        for (const item of node.items) this.emit(item);
        return;
      case 'alt': {
        const jumps: { op: Op.JMP; x: number }[] = [];
        for (const [k, option] of node.options.entries()) {
          if (k < node.options.length - 1) {
            const split: Instruction = { op: Op.SPLIT, x: p.length + 1, y: -1 };
            p.push(split);
            this.emit(option);
            const jmp = { op: Op.JMP as const, x: -1 };
            p.push(jmp);
            jumps.push(jmp);
            split.y = p.length;
          } else {
            this.emit(option);
          }
        }
        for (const j of jumps) j.x = p.length;
        return;
      }
      case 'repeat': {
        for (let k = 0; k < node.min; k++) this.emit(node.node);
        if (node.max === Infinity) {
          // L: split body, out; body; jmp L
          const split: Instruction = { op: Op.SPLIT, x: p.length + 1, y: -1 };
          const loop = p.length;
          p.push(split);
          this.emit(node.node);
          p.push({ op: Op.JMP, x: loop });
          split.y = p.length;
        } else {
          const splits: { op: Op.SPLIT; x: number; y: number }[] = [];
          for (let k = node.min; k < node.max; k++) {
            const split = { op: Op.SPLIT as const, x: p.length + 1, y: -1 };
            p.push(split);
            splits.push(split);
            this.emit(node.node);
          }
          for (const s of splits) s.y = p.length;
        }
        return;
      }
    }
  }
}

/**
 * A compiled pattern. `test(input)` says whether it matches anywhere in `input`, as
 * `new RegExp(source, flags).test(input)` would, in at most `(input.length + 1) × size` steps.
 *
 * @example
 * const pattern = LinearPattern.compile('(?:internal|secret) code', 'i');
 * pattern.test('The Secret Code is 1234'); // true
 */
export class LinearPattern {
  /**
   * Parses and compiles `source`.
   * @throws UnsupportedPatternError naming the construct outside the subset
   */
  static compile(source: string, flags = ''): LinearPattern {
    if (!/^(?!.*(.).*\1)[imsu]*$/.test(flags)) throw new UnsupportedPatternError(`flags '${flags}' are not allowed (any of i, m, s, u, each once)`, 0);
    const parsed: Flags = { ignoreCase: flags.includes('i'), multiline: flags.includes('m'), dotAll: flags.includes('s'), unicode: flags.includes('u') };
    const tree = new Parser(source, parsed).parse();
    const estimate = programSize(tree);
    if (estimate > MAX_PROGRAM_SIZE) {
      throw new UnsupportedPatternError(`the pattern's counts expand to about ${estimate} instructions, more than ${MAX_PROGRAM_SIZE}; use smaller {m,n} counts`, 0);
    }
    const compiler = new Compiler();
    compiler.emit(tree);
    compiler.program.push({ op: Op.MATCH });
    return new LinearPattern(source, parsed, compiler.program);
  }

  /** The steps (instructions visited) of the last `test`, for tests that bound them. */
  lastSteps = 0;

  private constructor(readonly source: string, private readonly flags: Flags, private readonly program: readonly Instruction[]) {}

  /** The number of instructions: a search visits at most this many per input position. */
  get size(): number {
    return this.program.length;
  }

  /** Whether the pattern matches anywhere in `input`. */
  test(input: string): boolean {
    const program = this.program;
    const size = program.length;
    const unicode = this.flags.unicode;
    const isWord = wordCharTest(this.flags);
    // Generation marks: instruction k holds a thread for the current position when seen[k] === gen.
    const seen = new Uint32Array(size);
    let gen = 0;
    let current: number[] = [];
    let next: number[] = [];
    const stack: number[] = [];
    let steps = 0;
    let prev = -1;
    let pos = 0;
    const charAt = (at: number): number => (at >= input.length ? -1 : unicode ? input.codePointAt(at)! : input.charCodeAt(at));
    const holds = (assertion: Assertion, before: number, after: number): boolean => {
      switch (assertion) {
        case 'start': return before === -1 || (this.flags.multiline && isLineTerminator(before));
        case 'end': return after === -1 || (this.flags.multiline && isLineTerminator(after));
        default: {
          const boundary = (before !== -1 && isWord(before)) !== (after !== -1 && isWord(after));
          return assertion === 'word' ? boundary : !boundary;
        }
      }
    };
    /** Follows SPLIT, JMP and ASSERT from `pc`, adding each CHAR or MATCH reached to `list`; true on MATCH. */
    const add = (list: number[], pc: number, before: number, after: number): boolean => {
      stack.push(pc);
      while (stack.length > 0) {
        const at = stack.pop()!;
        if (seen[at] === gen) continue;
        seen[at] = gen;
        steps++;
        const ins = program[at];
        switch (ins.op) {
          case Op.JMP: stack.push(ins.x); break;
          case Op.SPLIT: stack.push(ins.y, ins.x); break;
          case Op.ASSERT: if (holds(ins.assertion, before, after)) stack.push(at + 1); break;
          case Op.MATCH: stack.length = 0; return true;
          default: list.push(at);
        }
      }
      return false;
    };
    for (;;) {
      const c = charAt(pos);
      gen++;
      // Unanchored search: a new thread starts at every position (after the ones already running).
      const running = current;
      current = [];
      for (const pc of running) {
        if (seen[pc] !== gen) {
          seen[pc] = gen;
          current.push(pc);
        }
      }
      if (add(current, 0, prev, c)) {
        this.lastSteps = steps;
        return true;
      }
      if (c === -1) break;
      gen++;
      next = [];
      const width = c > 0xffff ? 2 : 1;
      const after = charAt(pos + width);
      for (const pc of current) {
        steps++;
        const ins = program[pc] as { readonly op: Op.CHAR; readonly test: CharTest };
        if (ins.test(c) && add(next, pc + 1, c, after)) {
          this.lastSteps = steps;
          return true;
        }
      }
      current = next;
      prev = c;
      pos += width;
    }
    this.lastSteps = steps;
    return false;
  }
}
