/**
 * Jest setup file (jest.config.js `setupFilesAfterEnv`): what a test's in-process synthesis skips.
 * Jest gives each test file its own copy of `process.env`, so none of this leaks across files; a
 * child process a test starts inherits it unless the test removes it (test/consumer does).
 *
 * - aws-cdk-lib validates every synthesized template with its built-in CloudFormation-Validate
 *   plugin, which is most of the time a construct test spends. Its findings are part of a compliance
 *   report, so every synthesis of one keeps it: the suites under `test/compliance/` (the harness
 *   synthesizes reports in its own process), `synthWithCompliance` (test/helpers/compliance.ts, which
 *   turns it on for its synthesis), the shared synthesis (its own process) and `npx cdk synth`. Every
 *   other test synthesizes for template assertions, `*compliance*.test.ts` next to a construct
 *   included (their reports come from the shared synthesis), and skips it.
 * - Every test file: `TEST_SYNTHESIS_CONTEXT` (below) as App context, through `CDK_CONTEXT_JSON`,
 *   which every `new App()` reads.
 */
import { join, relative, sep } from 'node:path';
import { TEST_SYNTHESIS_CONTEXT } from './test-context';

const COMPLIANCE_SUITES = join('test', 'compliance') + sep;

const testPath = relative(join(__dirname, '..', '..', '..'), expect.getState().testPath ?? '');
if (!testPath.startsWith(COMPLIANCE_SUITES) && process.env.CDK_VALIDATION === undefined) {
  process.env.CDK_VALIDATION = 'false';
}
if (process.env.CDK_CONTEXT_JSON === undefined) {
  process.env.CDK_CONTEXT_JSON = JSON.stringify(TEST_SYNTHESIS_CONTEXT);
}
