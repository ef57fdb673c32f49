/**
 * The batch worker function's handler (`index.batchHandler` in the router bundle): the same
 * configuration and pipeline as the router (`RouterEnvironment`), with the deployed batch state
 * and Bedrock jobs from the environment (from-env.ts).
 */
import { randomBytes } from 'node:crypto';
import type { RouterEnvironment } from '../lambda-entry';
import { BedrockBatchJobs, BedrockJobsApi } from './bedrock-jobs';
import type { BatchWiring } from './from-env';
import { describeCluster } from './eks-cluster';
import { eksBearerToken } from './eks-token';
import { httpKubernetesJobs, KubernetesJobsApi } from './kubernetes-jobs';
import { SelfHostedBatchJobs } from './self-hosted-jobs';
import { BatchWorker } from './worker';
import { credentialsFromEnv } from '../tracing/sigv4';
import type { SelfHostedBatchConfig } from '../../shared/self-hosted-batch-config';

/**
 * The cluster's Jobs API, authenticated as the function's role (its access entry maps it to the
 * batch namespace's Role); the endpoint and CA from the configuration or, at the first call,
 * `DescribeCluster` (kept for the execution environment).
 */
export function clusterJobsApi(config: SelfHostedBatchConfig, env: Readonly<Record<string, string | undefined>>): KubernetesJobsApi {
  const credentials = () => Promise.resolve(credentialsFromEnv(env));
  let api: Promise<KubernetesJobsApi> | undefined;
  const resolve = (): Promise<KubernetesJobsApi> => (api ??= (async () => {
    const access = config.endpoint !== undefined
      ? { endpoint: config.endpoint, ...(config.certificateAuthority ? { ca: Buffer.from(config.certificateAuthority, 'base64').toString('utf8') } : {}) }
      : await describeCluster({ clusterName: config.clusterName, region: config.region, credentials });
    return httpKubernetesJobs({ ...access, token: () => eksBearerToken({ clusterName: config.clusterName, region: config.region, credentials }) });
  })().catch((error: unknown) => {
    api = undefined;
    throw error;
  }));
  return {
    create: async (job) => (await resolve()).create(job),
    get: async (namespace, name) => (await resolve()).get(namespace, name),
    remove: async (namespace, name) => (await resolve()).remove(namespace, name),
  };
}

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
    const selfHosted = wiring.selfHosted === undefined ? undefined : new SelfHostedBatchJobs({
      store: wiring.store, objects: wiring.objects, lines: gateway, bucket: wiring.bucket, config: wiring.selfHosted, newId,
      api: options.kubernetes ?? clusterJobsApi(wiring.selfHosted, options.env ?? process.env), ...(options.now ? { now: options.now } : {}),
    });
    const worker = new BatchWorker({
      store: wiring.store, lines: gateway, maxRunningBatchesPerTenant: wiring.maxRunningBatchesPerTenant, newId,
      ...(jobs ? { jobs } : {}), ...(selfHosted ? { selfHosted } : {}), ...(options.now ? { now: options.now } : {}),
    });
    return worker.handle(event);
  };
}
