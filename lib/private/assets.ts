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
 * The Lambda runtime of the bundled handlers: the newest Node.js runtime the pinned aws-cdk-lib
 * knows, which is what the AwsSolutions-L1 and Serverless-LambdaLatestVersion rules require. The
 * bundles target Node.js 22 (scripts/bundle.mjs) and run unchanged on newer runtimes; every handler
 * is an async function or a response-streaming handler, as Node.js 24 requires (it dropped
 * callback-style handlers).
 */
export const BUNDLED_RUNTIME = lambda.Runtime.NODEJS_24_X;
