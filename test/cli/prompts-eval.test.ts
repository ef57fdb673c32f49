/** `cdk-ai-gateway prompts eval` against local mode (the gateway in-process) and a fake OpenAI upstream. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/dispatch';
import { EXIT } from '../../cli/io';
import { GatewayConfig, PromptRole, TargetKind } from '../../lambda/shared/config';
import { FakeOpenAiUpstream, OpenAiBehaviours, startFakeOpenAiUpstream } from '../helpers/fake-openai-upstream';

let upstream: FakeOpenAiUpstream;
let dir: string;
let configFile: string;

function config(baseUrl: string): GatewayConfig {
  return {
    tenants: [{ id: 'acme', allowedAliases: ['chat', 'judge'] }],
    targets: [{ id: 'fake', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl, model: 'fake-model' }],
    routes: [{ alias: 'chat', targets: ['fake'] }, { alias: 'judge', targets: ['fake'] }],
    prices: { 'fake-model': { inputUsdPer1K: 0.001, outputUsdPer1K: 0.002 } },
    retry: { maxAttempts: 1 },
    prompts: [{
      id: 'support-reply',
      versions: [
        { version: 3, system: 'v3: support {{product}}.', messages: [{ role: PromptRole.USER, content: '{{ticket}}' }],
          variables: [{ name: 'product' }, { name: 'ticket' }], routes: ['chat'] },
        { version: 4, system: 'v4: support {{product}} tersely.', messages: [{ role: PromptRole.USER, content: '{{ticket}}' }],
          variables: [{ name: 'product' }, { name: 'ticket' }], routes: ['chat'] },
      ],
      labels: { prod: { version: 3 }, canary: { weights: { 3: 90, 4: 10 } } },
    }],
  };
}

const CASES = [
  { id: 'refund', variables: { product: 'Acme Pay', ticket: 'Charged twice' }, assert: { contains: 'refund', maxCostUsd: 1 } },
  { id: 'json', variables: { product: 'Acme Pay', ticket: 'Classify me' },
    assert: { jsonSchema: { type: 'object', required: ['label'], properties: { label: { enum: ['billing', 'other'] } } } } },
];

function writeCases(cases: unknown[]): string {
  const file = join(dir, `cases-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, cases.map((c) => JSON.stringify(c)).join('\n'));
  return file;
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['prompts', 'eval', '--config', configFile, '--prompt', 'support-reply', ...args], {
    stdout: (t) => out.push(t), stderr: (t) => err.push(t),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  upstream = await startFakeOpenAiUpstream({ models: ['fake-model'] });
  dir = mkdtempSync(join(tmpdir(), 'prompts-eval-'));
  configFile = join(dir, 'gateway.json');
  writeFileSync(configFile, JSON.stringify(config(upstream.baseUrl)));
});

afterEach(() => upstream.reset());

afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('cdk-ai-gateway prompts eval (local mode)', () => {
  test('a version that breaks a passing case regresses: non-zero exit, the changed verdict named', async () => {
    // Prepare: version 3 answers both cases well; version 4 forgets the refund.
    upstream.enqueue(
      OpenAiBehaviours.success({ text: 'We will refund you.', usage: { promptTokens: 100, completionTokens: 10 } }),
      OpenAiBehaviours.success({ text: '{"label":"billing"}', usage: { promptTokens: 100, completionTokens: 10 } }),
      OpenAiBehaviours.success({ text: 'Noted.', usage: { promptTokens: 80, completionTokens: 4 } }),
      OpenAiBehaviours.success({ text: '{"label":"billing"}', usage: { promptTokens: 80, completionTokens: 4 } }),
    );

    // Act
    const { code, out } = await run(['--versions', '3,4', '--cases', writeCases(CASES)]);

    // Assess
    expect(code).toBe(EXIT.FAILED);
    expect(out).toMatch(/^3 +2\/2 +100\.0 % +0 +100\.0 +10\.0 +0\.000240 +0\.000120 .* baseline$/m);
    expect(out).toMatch(/^4 +1\/2 +50\.0 % +0 +80\.0 +4\.0 +0\.000176 +0\.000088 .* REGRESSED$/m);
    expect(out).toContain('refund: PASS → FAIL (does not contain "refund")');
    expect(out).toContain('Result: a version regressed.');
    // Each version was rendered by the gateway: the upstream saw the version's own system prompt.
    const systems = upstream.requests.map((r) => ((r.body as { messages: { role: string; content: string }[] }).messages[0]).content);
    expect(systems).toEqual(['v3: support Acme Pay.', 'v3: support Acme Pay.', 'v4: support Acme Pay tersely.', 'v4: support Acme Pay tersely.']);
  });

  test('no regression exits 0; a judge route grades the answer against the rubric', async () => {
    // Prepare: each answer is followed by the judge's verdict.
    const judged = [{ id: 'polite', variables: { product: 'P', ticket: 'T' }, assert: { regex: '^Dear', judge: { route: 'judge', rubric: 'Polite and offers a next step' } } }];
    upstream.enqueue(
      OpenAiBehaviours.success({ text: 'Dear customer, we will call you.' }),
      OpenAiBehaviours.success({ text: '{"pass": true, "reason": "polite"}' }),
      OpenAiBehaviours.success({ text: 'Dear customer, call us.' }),
      OpenAiBehaviours.success({ text: 'PASS: fine' }),
    );

    // Act
    const { code, out } = await run(['--versions', '3,4', '--cases', writeCases(judged), '--json']);

    // Assess
    expect(code).toBe(EXIT.OK);
    const report = JSON.parse(out) as { regressed: boolean; versions: { version: number; passRate: number }[] };
    expect(report.regressed).toBe(false);
    expect(report.versions.map((v) => [v.version, v.passRate])).toEqual([[3, 1], [4, 1]]);
    const judgeCall = upstream.requests[1].body as { messages: { content: string }[] };
    expect(judgeCall.messages[1].content).toBe('Rubric:\nPolite and offers a next step\n\nAnswer:\nDear customer, we will call you.');
  });

  test('a judge that fails the rubric fails the case', async () => {
    const judged = [{ id: 'polite', variables: { product: 'P', ticket: 'T' }, assert: { judge: { route: 'judge', rubric: 'Polite' } } }];
    upstream.enqueue(
      OpenAiBehaviours.success({ text: 'ok' }), OpenAiBehaviours.success({ text: '{"pass": true}' }),
      OpenAiBehaviours.success({ text: 'whatever' }), OpenAiBehaviours.success({ text: '{"pass": false, "reason": "rude"}' }),
    );
    const { code, out } = await run(['--versions', '3,4', '--cases', writeCases(judged)]);
    expect(code).toBe(EXIT.FAILED);
    expect(out).toContain('polite: PASS → FAIL (judge: fails the rubric)');
  });

  test('an upstream failure counts as a failed case and an error', async () => {
    upstream.enqueue(OpenAiBehaviours.success({ text: 'refund' }), OpenAiBehaviours.error(400, { message: 'bad' }));
    const { code, out } = await run(['--versions', '3,4', '--cases', writeCases([CASES[0]])]);
    expect(code).toBe(EXIT.FAILED);
    expect(out).toMatch(/^4 +0\/1 +0\.0 % +1 /m);
  });

  test.each<[string, string[], RegExp]>([
    ['one version', ['--versions', '3', '--cases', 'x'], /--versions must list at least two different version numbers/],
    ['an unknown version', ['--versions', '3,9', '--cases', 'x'], /--versions: prompt 'support-reply' has no version 9; versions: 3, 4/],
    ['a base URL without key', ['--versions', '3,4', '--cases', 'x', '--base-url', 'https://x/v1'], /--base-url needs --api-key/],
  ])('refuses %s (exit 2)', async (_name, args, message) => {
    const { code, err } = await run(args);
    expect(code).toBe(EXIT.USAGE);
    expect(err).toMatch(message);
  });

  test('a malformed cases file names the line', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"id":"a","assert":{"contains":"x"}}\n{"id":"b","assert":{"startsWith":"x"}}\n');
    const { code, err } = await run(['--versions', '3,4', '--cases', file]);
    expect(code).toBe(EXIT.FAILED);
    expect(err).toMatch(/bad\.jsonl: line 2: assert\.startsWith: unknown assertion; allowed: contains, notContains, regex, jsonSchema, maxCostUsd, maxLatencyMs, judge/);
  });
});

describe('cdk-ai-gateway prompts eval (deployed base URL)', () => {
  test('calls POST {base}/chat/completions with the key; the prompt header names the version served', async () => {
    // The fake upstream stands in for a deployed gateway here: it does not render prompts nor send
    // x-gateway-prompt, so every case fails with the version it could not confirm.
    // A gateway fills in the output limit itself: its clients need not send one.
    const gateway = await startFakeOpenAiUpstream({ models: ['fake-model'], requireOutputLimit: false });
    try {
      const { code, out } = await run(['--versions', '3,4', '--cases', writeCases([CASES[0]]), '--base-url', gateway.baseUrl, '--api-key', 'sk-test']);
      expect(code).toBe(EXIT.OK);
      expect(out).toContain('served no prompt, not support-reply@3');
      expect(gateway.requests[0].headers.authorization).toBe('Bearer sk-test');
      expect(gateway.requests[0].body).toMatchObject({ model: 'auto', prompt: { id: 'support-reply', version: '3', variables: CASES[0].variables } });
    } finally {
      await gateway.close();
    }
  });
});
