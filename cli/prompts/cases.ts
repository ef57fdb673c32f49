/**
 * Evaluation cases of `cdk-ai-gateway prompts eval`: one JSON object per line of a JSONL file.
 *
 * ```json
 * {"id": "refund", "variables": {"ticket": "I was charged twice"}, "messages": [{"role": "user", "content": "…"}],
 *  "model": "chat", "user": "eval-1",
 *  "assert": {"contains": ["refund"], "notContains": ["sorry"], "regex": "^[A-Z]", "jsonSchema": {"type": "object"},
 *             "maxCostUsd": 0.01, "maxLatencyMs": 5000, "judge": {"route": "judge", "rubric": "Offers a refund"}}}
 * ```
 */
import { JsonSchema } from './json-schema';

/** A judge: another route of the gateway grades the answer against a rubric. */
export interface JudgeAssertion {
  readonly route: string;
  readonly rubric: string;
}

/** What an answer must satisfy; every given assertion must pass. */
export interface CaseAssertions {
  readonly contains?: readonly string[];
  readonly notContains?: readonly string[];
  readonly regex?: RegExp;
  readonly jsonSchema?: JsonSchema;
  readonly maxCostUsd?: number;
  readonly maxLatencyMs?: number;
  readonly judge?: JudgeAssertion;
}

export interface EvalCase {
  readonly id: string;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly messages?: readonly { readonly role: string; readonly content: string }[];
  readonly model?: string;
  readonly user?: string;
  readonly assert: CaseAssertions;
}

export class CasesError extends Error {}

const KNOWN = ['id', 'variables', 'messages', 'model', 'user', 'assert'];
const KNOWN_ASSERT = ['contains', 'notContains', 'regex', 'jsonSchema', 'maxCostUsd', 'maxLatencyMs', 'judge'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown, at: string): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new CasesError(`${at} must be a non-empty string or an array of them`);
  }
  return list;
}

function positive(v: unknown, at: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new CasesError(`${at} must be a number greater than 0, received ${JSON.stringify(v)}`);
  return v;
}

function parseAssertions(v: unknown, at: string): CaseAssertions {
  if (v === undefined) return {};
  if (!isObject(v)) throw new CasesError(`${at} must be an object`);
  for (const key of Object.keys(v)) {
    if (!KNOWN_ASSERT.includes(key)) throw new CasesError(`${at}.${key}: unknown assertion; allowed: ${KNOWN_ASSERT.join(', ')}`);
  }
  let regex: RegExp | undefined;
  if (v.regex !== undefined) {
    if (typeof v.regex !== 'string') throw new CasesError(`${at}.regex must be a string`);
    try {
      regex = new RegExp(v.regex, 'm');
    } catch (e) {
      throw new CasesError(`${at}.regex is not a regular expression: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (v.jsonSchema !== undefined && !isObject(v.jsonSchema)) throw new CasesError(`${at}.jsonSchema must be a JSON Schema object`);
  let judge: JudgeAssertion | undefined;
  if (v.judge !== undefined) {
    if (!isObject(v.judge) || typeof v.judge.route !== 'string' || typeof v.judge.rubric !== 'string' || v.judge.rubric.length === 0) {
      throw new CasesError(`${at}.judge must be {"route": "<alias>", "rubric": "<what a good answer does>"}`);
    }
    judge = { route: v.judge.route, rubric: v.judge.rubric };
  }
  return {
    ...(v.contains !== undefined ? { contains: strings(v.contains, `${at}.contains`) } : {}),
    ...(v.notContains !== undefined ? { notContains: strings(v.notContains, `${at}.notContains`) } : {}),
    ...(regex ? { regex } : {}),
    ...(v.jsonSchema !== undefined ? { jsonSchema: v.jsonSchema as JsonSchema } : {}),
    ...(v.maxCostUsd !== undefined ? { maxCostUsd: positive(v.maxCostUsd, `${at}.maxCostUsd`) } : {}),
    ...(v.maxLatencyMs !== undefined ? { maxLatencyMs: positive(v.maxLatencyMs, `${at}.maxLatencyMs`) } : {}),
    ...(judge ? { judge } : {}),
  };
}

/**
 * Parses a JSONL cases file; throws a `CasesError` naming the line and field at fault.
 *
 * @example
 * const cases = parseCases(readFileSync('cases.jsonl', 'utf8'));
 */
export function parseCases(text: string): EvalCase[] {
  const cases: EvalCase[] = [];
  const ids = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim().length === 0) return;
    const at = `line ${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new CasesError(`${at}: not valid JSON`);
    }
    if (!isObject(v)) throw new CasesError(`${at}: a case must be a JSON object`);
    for (const key of Object.keys(v)) {
      if (!KNOWN.includes(key)) throw new CasesError(`${at}: unknown field '${key}'; allowed: ${KNOWN.join(', ')}`);
    }
    const id = v.id === undefined ? `case-${cases.length + 1}` : v.id;
    if (typeof id !== 'string' || id.length === 0) throw new CasesError(`${at}: id must be a non-empty string`);
    if (ids.has(id)) throw new CasesError(`${at}: duplicate case id '${id}'`);
    ids.add(id);
    if (v.variables !== undefined && !isObject(v.variables)) throw new CasesError(`${at}: variables must be an object`);
    if (v.messages !== undefined && !(Array.isArray(v.messages) && v.messages.every((m) => isObject(m) && typeof m.role === 'string' && typeof m.content === 'string'))) {
      throw new CasesError(`${at}: messages must be an array of {"role", "content"} objects`);
    }
    for (const key of ['model', 'user'] as const) {
      if (v[key] !== undefined && typeof v[key] !== 'string') throw new CasesError(`${at}: ${key} must be a string`);
    }
    cases.push({
      id,
      variables: (v.variables as Record<string, unknown> | undefined) ?? {},
      ...(v.messages !== undefined ? { messages: v.messages as { role: string; content: string }[] } : {}),
      ...(v.model !== undefined ? { model: v.model as string } : {}),
      ...(v.user !== undefined ? { user: v.user as string } : {}),
      assert: parseAssertions(v.assert, `${at}: assert`),
    });
  });
  if (cases.length === 0) throw new CasesError('the cases file holds no cases');
  return cases;
}
