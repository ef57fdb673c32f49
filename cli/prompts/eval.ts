/**
 * The evaluation: every case on every version through the gateway, the case assertions checked,
 * and the versions compared with the first one (the baseline).
 */
import { EvalCase } from './cases';
import { checkJsonSchema } from './json-schema';
import { EvalAnswer, EvalTransport } from './transport';

/** The outcome of one case on one version. */
export interface CaseResult {
  readonly caseId: string;
  readonly pass: boolean;
  /** Why it failed (empty when it passed). */
  readonly failures: readonly string[];
  readonly answer: EvalAnswer;
  /** Cost of the judge's call, if there was one (not counted in the version's cost). */
  readonly judgeCostUsd: number;
}

/** One version's results and figures. */
export interface VersionReport {
  readonly version: number;
  readonly results: readonly CaseResult[];
  readonly passed: number;
  readonly passRate: number;
  /** Requests the gateway did not answer with 200. */
  readonly errors: number;
  readonly inputTokensPerRequest: number;
  readonly outputTokensPerRequest: number;
  readonly costUsd: number;
  readonly costPerRequestUsd: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  /** Cases whose verdict differs from the baseline's: `PASS→FAIL` or `FAIL→PASS`. */
  readonly changed: readonly { readonly caseId: string; readonly from: boolean; readonly to: boolean }[];
  /** Worse than the baseline: a lower pass rate, or a case the baseline passed now fails. */
  readonly regressed: boolean;
}

export interface EvalReport {
  readonly promptId: string;
  readonly baseline: number;
  readonly versions: readonly VersionReport[];
  readonly regressed: boolean;
}

const JUDGE_SYSTEM = 'You grade an answer against a rubric. Reply with one JSON object and nothing else: '
  + '{"pass": true or false, "reason": "<one sentence>"}.';

/** The judge's verdict: a `{"pass": …}` object in its answer, or an answer starting with PASS or FAIL. */
export function judgeVerdict(text: string): boolean | undefined {
  const json = /\{[\s\S]*\}/.exec(text)?.[0];
  if (json) {
    try {
      const parsed = JSON.parse(json) as { pass?: unknown };
      if (typeof parsed.pass === 'boolean') return parsed.pass;
    } catch {
      // Not JSON: fall through to the PASS/FAIL form.
    }
  }
  if (/^\s*PASS\b/i.test(text)) return true;
  if (/^\s*FAIL\b/i.test(text)) return false;
  return undefined;
}

async function check(c: EvalCase, answer: EvalAnswer, expectedPrompt: string, transport: EvalTransport): Promise<{ failures: string[]; judgeCostUsd: number }> {
  if (answer.status !== 200) return { failures: [`HTTP ${answer.status}: ${answer.error ?? 'no answer'}`], judgeCostUsd: 0 };
  const failures: string[] = [];
  if (answer.prompt !== expectedPrompt) failures.push(`served ${answer.prompt ?? 'no prompt'}, not ${expectedPrompt}`);
  const a = c.assert;
  for (const s of a.contains ?? []) if (!answer.text.includes(s)) failures.push(`does not contain ${JSON.stringify(s)}`);
  for (const s of a.notContains ?? []) if (answer.text.includes(s)) failures.push(`contains ${JSON.stringify(s)}`);
  if (a.regex && !a.regex.test(answer.text)) failures.push(`does not match /${a.regex.source}/`);
  if (a.jsonSchema) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
      const problems = checkJsonSchema(a.jsonSchema, parsed);
      if (problems.length > 0) failures.push(`JSON schema: ${problems.slice(0, 3).join('; ')}`);
    } catch {
      failures.push('the answer is not JSON');
    }
  }
  if (a.maxCostUsd !== undefined && answer.costUsd > a.maxCostUsd) failures.push(`cost ${answer.costUsd} USD > ${a.maxCostUsd}`);
  if (a.maxLatencyMs !== undefined && answer.latencyMs > a.maxLatencyMs) failures.push(`latency ${answer.latencyMs} ms > ${a.maxLatencyMs}`);
  let judgeCostUsd = 0;
  if (a.judge) {
    const judged = await transport.chat({
      model: a.judge.route,
      temperature: 0,
      max_tokens: 200,
      messages: [
        { role: 'system', content: JUDGE_SYSTEM },
        { role: 'user', content: `Rubric:\n${a.judge.rubric}\n\nAnswer:\n${answer.text}` },
      ],
    });
    judgeCostUsd = judged.costUsd;
    const verdict = judged.status === 200 ? judgeVerdict(judged.text) : undefined;
    if (judged.status !== 200) failures.push(`judge: HTTP ${judged.status}: ${judged.error ?? ''}`);
    else if (verdict === undefined) failures.push('judge: unreadable verdict');
    else if (!verdict) failures.push('judge: fails the rubric');
  }
  return { failures, judgeCostUsd };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summarise(version: number, results: CaseResult[], baseline?: VersionReport): VersionReport {
  const n = results.length;
  const passed = results.filter((r) => r.pass).length;
  const latencies = results.map((r) => r.answer.latencyMs).sort((x, y) => x - y);
  const costUsd = results.reduce((s, r) => s + r.answer.costUsd, 0);
  const before = new Map(baseline?.results.map((r) => [r.caseId, r.pass]));
  const changed = baseline ? results.filter((r) => before.get(r.caseId) !== r.pass).map((r) => ({ caseId: r.caseId, from: before.get(r.caseId)!, to: r.pass })) : [];
  const passRate = n === 0 ? 0 : passed / n;
  return {
    version,
    results,
    passed,
    passRate,
    errors: results.filter((r) => r.answer.status !== 200).length,
    inputTokensPerRequest: n === 0 ? 0 : results.reduce((s, r) => s + r.answer.inputTokens, 0) / n,
    outputTokensPerRequest: n === 0 ? 0 : results.reduce((s, r) => s + r.answer.outputTokens, 0) / n,
    costUsd,
    costPerRequestUsd: n === 0 ? 0 : costUsd / n,
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
    changed,
    regressed: baseline !== undefined && (passRate < baseline.passRate || changed.some((c) => c.from && !c.to)),
  };
}

/**
 * Runs every case on every version (the first is the baseline) and compares them.
 *
 * @example
 * const report = await evaluatePrompt(transport, 'support-reply', [3, 4], cases);
 * process.exitCode = report.regressed ? 1 : 0;
 */
export async function evaluatePrompt(
  transport: EvalTransport, promptId: string, versions: readonly number[], cases: readonly EvalCase[], defaultModel = 'auto',
): Promise<EvalReport> {
  const reports: VersionReport[] = [];
  for (const version of versions) {
    const results: CaseResult[] = [];
    for (const c of cases) {
      const answer = await transport.chat({
        model: c.model ?? defaultModel,
        prompt: { id: promptId, version: String(version), variables: c.variables },
        ...(c.messages ? { messages: c.messages } : {}),
        ...(c.user ? { user: c.user } : {}),
      });
      const { failures, judgeCostUsd } = await check(c, answer, `${promptId}@${version}`, transport);
      results.push({ caseId: c.id, pass: failures.length === 0, failures, answer, judgeCostUsd });
    }
    reports.push(summarise(version, results, reports[0]));
  }
  return { promptId, baseline: versions[0], versions: reports, regressed: reports.some((r) => r.regressed) };
}
