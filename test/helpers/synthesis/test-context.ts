import * as cxapi from 'aws-cdk-lib/cx-api';

/**
 * App context for every synthesis in the tests (test-settings.ts sets it for each test file; the
 * shared synthesis, synthesize.ts, gives it to each fixture App). None of it changes a template, a
 * finding of a compliance pack or a construct path; each only skips work that no test reads:
 *
 * - `aws:cdk:disable-asset-staging`: the cloud assembly names each asset at its source path
 *   instead of a copy in the assembly directory. Without it every App copied the Lambda bundles
 *   and, for EKS, the 36 MB kubectl layer into its own temporary cdk.out (gigabytes per run). The
 *   asset hash, and so the template, is the same: it is computed from the source either way.
 * - `aws:cdk:disable-creation-stack-traces`: aws-cdk-lib 2.276 records a formatted stack trace of
 *   every CfnElement's creation in the metadata (`aws:cdk:creationStack`), which under Jest's
 *   source-map support is a large share of constructing a stack.
 * - `aws:cdk:disable-stack-trace`: the same for annotations (warnings, errors, acknowledgments); the
 *   messages themselves stay.
 */
export const TEST_SYNTHESIS_CONTEXT: Readonly<Record<string, boolean>> = {
  [cxapi.DISABLE_ASSET_STAGING_CONTEXT]: true,
  [cxapi.DISABLE_CREATION_STACK_TRACES]: true,
  [cxapi.DISABLE_METADATA_STACK_TRACE]: true,
};
