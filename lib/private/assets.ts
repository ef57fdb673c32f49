import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AiGatewayValidationError } from './errors';

/** Where `npm run bundle` puts the pre-bundled handlers: `<package>/assets/<name>/index.mjs`. */
const ASSETS_DIR = join(__dirname, '..', '..', 'assets');

/**
 * The pre-bundled code of one of the library's Lambda handlers (`lambda/<name>/index.ts`), as an
 * asset. The package ships these bundles, so consumers need neither esbuild nor Docker; in a clone
 * of the repository `npm run bundle` (run by `npm test` and by cdk.json's app command) makes them.
 */
export function bundledHandler(name: string): lambda.Code {
  const dir = join(ASSETS_DIR, name);
  if (!existsSync(join(dir, 'index.mjs'))) {
    throw new AiGatewayValidationError(
      `The bundled Lambda handler '${name}' is missing at ${dir}. Run 'npm run bundle' in the cdk-ai-gateway package (a published package ships it).`,
    );
  }
  return lambda.Code.fromAsset(dir);
}

/** The handler string of a bundle made by scripts/bundle.mjs. */
export const BUNDLED_HANDLER = 'index.handler';

/**
 * The newest Node.js runtime among `runtimes` (by default every runtime the installed aws-cdk-lib
 * knows): the one cdk-nag's AwsSolutions-L1 and Serverless-LambdaLatestVersion rules demand, since
 * they compare a function's runtime with the newest of its family in `lambda.Runtime.ALL`.
 * Variable runtimes (`NODEJS_LATEST`) are skipped: their name is not their version.
 *
 * @example
 * newestNodeRuntime([lambda.Runtime.NODEJS_22_X, lambda.Runtime.NODEJS_24_X]); // NODEJS_24_X
 */
export function newestNodeRuntime(runtimes: readonly lambda.Runtime[] = lambda.Runtime.ALL): lambda.Runtime {
  let newest: { readonly runtime: lambda.Runtime; readonly major: number } | undefined;
  for (const runtime of runtimes) {
    const match = /^nodejs(\d+)\.x$/.exec(runtime.name);
    if (!match || runtime.isVariable || runtime.family !== lambda.RuntimeFamily.NODEJS) continue;
    const major = Number(match[1]);
    if (!newest || major > newest.major) newest = { runtime, major };
  }
  if (!newest) {
    throw new AiGatewayValidationError('The installed aws-cdk-lib lists no Node.js Lambda runtime (nodejs<major>.x) in lambda.Runtime.ALL; '
      + 'install an aws-cdk-lib within the peer dependency range of cdk-ai-gateway.');
  }
  return newest.runtime;
}

/**
 * The Lambda runtime of the bundled handlers: the newest Node.js runtime of the aws-cdk-lib the
 * consumer installed, chosen when this module loads, so that every aws-cdk-lib in the peer range
 * (including releases that add a runtime after this package was published) passes the
 * latest-runtime rules without an acknowledgment. The bundles are plain ES modules targeting
 * Node.js 22 (scripts/bundle.mjs) with async or response-streaming handlers only (Node.js 24
 * dropped callback-style handlers), and use no API that a newer Node.js removed.
 */
export const BUNDLED_RUNTIME = newestNodeRuntime();
