/**
 * The batch worker function's handler (`index.batchHandler` in the router bundle): the same
 * configuration and pipeline as the router (`RouterEnvironment`), with the deployed batch state
 * and Bedrock jobs from the environment (from-env.ts), and the self-hosted Jobs when configured
 * (self-hosted-wiring.ts, loaded only then).
 */
import { randomBytes } from 'node:crypto';
import type { RouterEnvironment } from '../lambda-entry';
import { BedrockBatchJobs, BedrockJobsApi } from './bedrock-jobs';
import type { BatchWiring } from './from-env';
import type { KubernetesJobsApi } from './kubernetes-jobs';
import { BatchWorker } from './worker';

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

export interface BatchHandlerOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default the Bedrock control plane */
  readonly api?: BedrockJobsApi;
  /** @default the cluster's API server of the self-hosted batch configuration, with an EKS token of the function's role */
  readonly kubernetes?: KubernetesJobsApi;
  /** Endpoint overrides (tests). */
  readonly endpoints?: { dynamo?: string; s3?: string };
  readonly now?: () => number;
}

/** The worker's Lambda handler: a job state change event or the tick in, what it did out. */
export function createBatchHandler(router: RouterEnvironment, options: BatchHandlerOptions = {}): (event: unknown) => Promise<unknown> {
  // The AWS SDK clients load on the first event only: the router function never pays for them.
  let loaded: Promise<{ wiring?: BatchWiring; api: () => BedrockJobsApi }> | undefined;
  return async (event) => {
    loaded ??= import('./from-env.js').then((m) => ({ wiring: m.batchFromEnv(options.env ?? process.env, options.endpoints), api: () => m.bedrockJobsApi() }));
    const { wiring, api } = await loaded;
    if (!wiring) throw new Error('The batch worker needs GATEWAY_BATCH_TABLE and GATEWAY_BATCH_BUCKET in its environment.');
    const gateway = await router.gateway();
    // Thrown, so Lambda retries the event (and the tick runs again anyway).
    if (!gateway) throw new Error(`The gateway configuration is not loaded: ${router.failure?.problems.join('; ') ?? 'unknown'}`);
    const jobs = wiring.roleArn === undefined ? undefined : new BedrockBatchJobs({
      store: wiring.store, objects: wiring.objects, api: options.api ?? api(), lines: gateway, bucket: wiring.bucket,
      roleArn: wiring.roleArn, ...(wiring.kmsKeyId ? { kmsKeyId: wiring.kmsKeyId } : {}), newId, ...(options.now ? { now: options.now } : {}),
    });
    // The launcher's modules load only where self-hosted batches are configured: the router never pays for them.
    const selfHosted = wiring.selfHosted === undefined ? undefined : (await import('./self-hosted-wiring.js')).selfHostedJobs({
      store: wiring.store, objects: wiring.objects, lines: gateway, bucket: wiring.bucket, config: wiring.selfHosted, newId,
      ...(options.kubernetes ? { api: options.kubernetes } : {}), env: options.env ?? process.env, ...(options.now ? { now: options.now } : {}),
    });
    const worker = new BatchWorker({
      store: wiring.store, lines: gateway, maxRunningBatchesPerTenant: wiring.maxRunningBatchesPerTenant, newId,
      ...(jobs ? { jobs } : {}), ...(selfHosted ? { selfHosted } : {}), ...(options.now ? { now: options.now } : {}),
    });
    return worker.handle(event);
  };
}
