/**
 * The self-hosted batch launcher of the deployed worker, loaded by `worker-entry.ts` only where
 * `GATEWAY_BATCH_SELF_HOSTED` is set: the Jobs API of the cluster (endpoint and CA from the
 * configuration or `DescribeCluster`, an EKS token of the function's role) and the Jobs.
 */
import type { SelfHostedBatchConfig } from '../../shared/self-hosted-batch-config';
import { credentialsFromEnv } from '../tracing/sigv4';
import { describeCluster } from './eks-cluster';
import { eksBearerToken } from './eks-token';
import { httpKubernetesJobs, KubernetesJobsApi } from './kubernetes-jobs';
import { SelfHostedBatchJobs, SelfHostedBatchJobsOptions } from './self-hosted-jobs';

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

/**
 * The worker's self-hosted Jobs: `api` or the cluster's, authenticated with the credentials of `env`.
 *
 * @example selfHostedJobs({ store, objects, lines: gateway, bucket, config, newId, env: process.env })
 */
export function selfHostedJobs(
  options: Omit<SelfHostedBatchJobsOptions, 'api'> & { readonly api?: KubernetesJobsApi; readonly env: Readonly<Record<string, string | undefined>> },
): SelfHostedBatchJobs {
  const { env, api, ...rest } = options;
  return new SelfHostedBatchJobs({ ...rest, api: api ?? clusterJobsApi(options.config, env) });
}
