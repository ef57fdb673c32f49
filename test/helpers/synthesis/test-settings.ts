/**
 * Jest setup file (jest.config.js `setupFilesAfterEnv`): what a test's in-process synthesis skips.
 * Jest gives each test file its own copy of `process.env`, so none of this leaks across files; a
 * child process a test starts inherits it unless the test removes it (test/consumer does).
 *
 * - aws-cdk-lib validates every synthesized template with its built-in CloudFormation-Validate
 *   plugin, which is most of the time a construct test spends. The compliance tests (their paths
 *   name them: `test/compliance/`, `*compliance*.test.ts`) keep it — its findings are part of the
 *   compliance report they check — and so does `npx cdk synth`; the template-assertion tests skip it.
 * - Every test file: `TEST_SYNTHESIS_CONTEXT` (below) as App context, through `CDK_CONTEXT_JSON`,
 *   which every `new App()` reads.
 */
import { TEST_SYNTHESIS_CONTEXT } from './test-context';

const testPath = expect.getState().testPath ?? '';
if (!/compliance/.test(testPath) && process.env.CDK_VALIDATION === undefined) {
  process.env.CDK_VALIDATION = 'false';
}
if (process.env.CDK_CONTEXT_JSON === undefined) {
  process.env.CDK_CONTEXT_JSON = JSON.stringify(TEST_SYNTHESIS_CONTEXT);
}
