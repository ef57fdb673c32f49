/**
 * The router function's entry (`index.handler` in the bundle `assets/router/index.mjs`).
 *
 * An ES module, so that the configuration is loaded with top-level `await`: the Lambda Node.js
 * runtime finishes the init phase only when this module has finished evaluating, so the AppConfig
 * fetch runs (and is paid for) during init, before the first request, and provisioned concurrency
 * or a pre-warmed environment starts with its configuration loaded. The handler logic lives in
 * lambda-entry.ts, which the tests drive directly.
 */
import { createBatchHandler } from './batch/worker-entry.js';
import { createLambdaHandler, lambdaRuntime, RouterEnvironment } from './lambda-entry.js';

// Outside Lambda (no `awslambda` global) this throws before any network call.
const runtime = lambdaRuntime();
const router = await RouterEnvironment.start();

/** The handler (`index.handler`). */
export const handler = createLambdaHandler(router, runtime);

/** The batch worker's handler (`index.batchHandler`): job state changes and the tick (batch/worker.ts). */
export const batchHandler = createBatchHandler(router);
