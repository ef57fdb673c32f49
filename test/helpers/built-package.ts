import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const REPO_ROOT = join(__dirname, '..', '..');

/**
 * Throws, with the command to run, unless the jsii output (`lib/**\/*.js` and `.d.ts`,
 * `lambda/shared/**`, `.jsii`) and the Lambda bundles exist and are newer than their sources: the
 * tests of the packed package (test/consumer, test/docs) check what `npm run build` made, as CI
 * builds before `npm test`.
 */
export function expectBuiltPackage(testName: string): void {
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const source = statSync(path).mtimeMs;
        for (const built of [path.replace(/\.ts$/, '.js'), path.replace(/\.ts$/, '.d.ts')]) {
          if (!existsSync(built) || statSync(built).mtimeMs < source) stale.push(built.slice(REPO_ROOT.length + 1));
        }
      }
    }
  };
  walk(join(REPO_ROOT, 'lib'));
  walk(join(REPO_ROOT, 'lambda', 'shared'));
  if (!existsSync(join(REPO_ROOT, '.jsii'))) stale.push('.jsii');
  for (const handler of ['router', 'authorizer', 'invocation-logging']) {
    if (!existsSync(join(REPO_ROOT, 'assets', handler, 'index.mjs'))) stale.push(`assets/${handler}/index.mjs`);
  }
  if (stale.length > 0) {
    throw new Error(`${testName} checks the built package, but the build is missing or older than its sources `
      + `(${stale.slice(0, 5).join(', ')}${stale.length > 5 ? `, and ${stale.length - 5} more` : ''}). Run 'npm run build' first.`);
  }
}
