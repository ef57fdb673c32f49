import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The dependency rules of ARCHITECTURE.md are ESLint rules (eslint.config.mjs). These tests lint
 * one import at a time, as if written in a file of the repository, so a rule that stops firing
 * (an import resolver that cannot resolve `.ts`, a zone with a wrong path) fails here.
 */
jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');

const MAY_NOT: Array<[string, string, RegExp]> = [
  ['lib/usage/new-file.ts', '../compliance/private/reason', /lib\/compliance\/private\/ belongs to lib\/compliance\//],
  ['lib/gateway/new-file.ts', '../observability/private/queries', /lib\/observability\/private\/ belongs to lib\/observability\//],
  ['lib/gateway/new-file.ts', './tenant-keys/private/grants', /lib\/gateway\/tenant-keys\/private\/ belongs to lib\/gateway\/tenant-keys\//],
  ['lib/selfhosted/new-file.ts', '../gateway/ai-gateway', /restricted zone/],
  ['lib/bedrock/guardrails/new-file.ts', '../../gateway/gateway-api', /restricted zone/],
  ['lambda/router/new-file.ts', '../../lib/index', /lambda\/ code must not import lib\//],
  ['lambda/router/new-file.ts', 'aws-cdk-lib', /runtime code/],
  ['cli/new-file.ts', 'constructs', /runtime code/],
  ['lambda/router/providers/bedrock/new-file.ts', '../openai/adapter', /restricted zone/],
];

const MAY: Array<[string, string]> = [
  ['lib/gateway/tenant-keys/new-file.ts', './private/grants'],
  ['lib/compliance/rules/new-file.ts', '../private/reason'],
  ['lib/selfhosted/new-file.ts', '../private/errors'],
  ['lib/gateway/new-file.ts', '../selfhosted/self-hosted-target'],
  ['lib/usage/new-file.ts', '../../lambda/shared/config'],
];

/**
 * Lints one `import` per case, as if written in `file`, with the repository's ESLint config, in one
 * child process (ESLint loads its config with a dynamic import, which jest's VM does not support).
 */
function lintImports(cases: Array<[string, string]>): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const cases = JSON.parse(process.argv[1]);
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const [file, specifier] of cases) {
        const [r] = await eslint.lintText("import * as m from '" + specifier + "';\\nexport const used = m;\\n", { filePath: file });
        out.push(r.messages.filter((m) => /no-restricted-(paths|imports)/.test(m.ruleId || '')).map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify(cases.map(([f, s]) => [join(ROOT, f), s]))], { cwd: ROOT, encoding: 'utf8' }));
}

let mayNot: string[][];
let may: string[][];
beforeAll(() => {
  const all = lintImports([...MAY_NOT.map(([f, s]) => [f, s] as [string, string]), ...MAY]);
  mayNot = all.slice(0, MAY_NOT.length);
  may = all.slice(MAY_NOT.length);
});

describe('dependency rules', () => {
  test.each(MAY_NOT.map((c, i) => [...c, i] as const))('%s may not import %s', (_file, _specifier, message, i) => {
    expect(mayNot[i]).toEqual([expect.stringMatching(message)]);
  });

  test.each(MAY.map((c, i) => [...c, i] as const))('%s may import %s', (_file, _specifier, i) => {
    expect(may[i]).toEqual([]);
  });
});
