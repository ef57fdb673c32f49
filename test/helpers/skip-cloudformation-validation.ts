/**
 * aws-cdk-lib validates every synthesized template with its built-in CloudFormation-Validate
 * plugin, which is most of the time a construct test spends. The compliance tests (their paths
 * name them: `test/compliance/`, `*compliance*.test.ts`) keep it — its findings are part of the
 * compliance report they check — and so does `npx cdk synth`; the template-assertion tests skip
 * it. Jest gives each test file its own copy of `process.env`, so this does not leak across files.
 */
const testPath = expect.getState().testPath ?? '';
if (!/compliance/.test(testPath) && process.env.CDK_VALIDATION === undefined) {
  process.env.CDK_VALIDATION = 'false';
}
