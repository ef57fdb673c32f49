/**
 * Cold-start wiring of the deployed Batch API: when the function's environment names the batch
 * table (`GATEWAY_BATCH_TABLE`) and bucket (`GATEWAY_BATCH_BUCKET`), files and batches are kept in
 * them (`DynamoBatchStore`, `S3ObjectStore`), large files are uploaded straight to the bucket, and
 * the router answers without running batches: the batch worker (worker.ts) runs them. One client
 * per execution environment, with explicit timeouts.
 */
import { BedrockClient, CreateModelInvocationJobCommand, StopModelInvocationJobCommand } from '@aws-sdk/client-bedrock';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { BATCH_BUCKET_ENV, BATCH_KEY_ENV, BATCH_MAX_RUNNING_ENV, BATCH_ROLE_ENV, BATCH_TABLE_ENV } from '../../shared/batch-table-schema';
import { SELF_HOSTED_BATCH_ENV, SelfHostedBatchConfig, selfHostedBatchProblems } from '../../shared/self-hosted-batch-config';
import { usageDocumentClient } from '../usage/from-env';
import { BatchService } from './batch-service';
import { BedrockJobsApi } from './bedrock-jobs';
import { DynamoBatchStore } from './dynamo-store';
import { S3ObjectStore } from './s3-objects';
import { BucketFileUploads } from './uploads';

/** The deployed batch state and the settings the worker needs. */
export interface BatchWiring {
  readonly service: BatchService;
  readonly store: DynamoBatchStore;
  readonly objects: S3ObjectStore;
  readonly bucket: string;
  /** The Bedrock batch service role; without it no Bedrock job is started (lines run on demand). */
  readonly roleArn?: string;
  readonly kmsKeyId?: string;
  readonly maxRunningBatchesPerTenant: number;
  /** Self-hosted targets whose lines run as `vllm run-batch` Jobs; without it they run on demand. */
  readonly selfHosted?: SelfHostedBatchConfig;
}

/** S3 and Bedrock control-plane timeouts of the batch code (never on a synchronous request's path). */
export const BATCH_CLIENT_DEFAULTS = { connectTimeoutMs: 2000, requestTimeoutMs: 30_000, maxAttempts: 3 } as const;

function handler(): NodeHttpHandler {
  return new NodeHttpHandler({ connectionTimeout: BATCH_CLIENT_DEFAULTS.connectTimeoutMs, requestTimeout: BATCH_CLIENT_DEFAULTS.requestTimeoutMs, throwOnRequestTimeout: true });
}

/** The batch wiring, or `undefined` when the environment names no batch table and bucket. */
export function batchFromEnv(env: Readonly<Record<string, string | undefined>>, endpoints: { dynamo?: string; s3?: string } = {}): BatchWiring | undefined {
  const tableName = env[BATCH_TABLE_ENV]?.trim();
  const bucket = env[BATCH_BUCKET_ENV]?.trim();
  if (!tableName || !bucket) return undefined;
  const s3 = new S3Client({
    maxAttempts: BATCH_CLIENT_DEFAULTS.maxAttempts, requestHandler: handler(),
    ...(endpoints.s3 !== undefined ? { endpoint: endpoints.s3, forcePathStyle: true } : {}),
  });
  const objects = new S3ObjectStore({ client: s3, bucket });
  const store = new DynamoBatchStore({ client: usageDocumentClient(endpoints.dynamo), tableName, objects });
  const maxRunning = Number(env[BATCH_MAX_RUNNING_ENV] ?? BatchService.DEFAULT_MAX_RUNNING_BATCHES_PER_TENANT);
  return {
    service: new BatchService({ store, uploads: new BucketFileUploads(objects), runInProcess: false, maxRunningBatchesPerTenant: maxRunning }),
    store, objects, bucket, maxRunningBatchesPerTenant: maxRunning,
    ...(env[BATCH_ROLE_ENV]?.trim() ? { roleArn: env[BATCH_ROLE_ENV]!.trim() } : {}),
    ...(env[BATCH_KEY_ENV]?.trim() ? { kmsKeyId: env[BATCH_KEY_ENV]!.trim() } : {}),
    ...(env[SELF_HOSTED_BATCH_ENV]?.trim() ? { selfHosted: selfHostedBatchFromEnv(env[SELF_HOSTED_BATCH_ENV]!) } : {}),
  };
}

/** The self-hosted batch configuration of the environment; throws naming every problem. */
export function selfHostedBatchFromEnv(json: string): SelfHostedBatchConfig {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`${SELF_HOSTED_BATCH_ENV} is not JSON.`);
  }
  const problems = selfHostedBatchProblems(value);
  if (problems.length > 0) throw new Error(`${SELF_HOSTED_BATCH_ENV}: ${problems.join(' ')}`);
  return value as SelfHostedBatchConfig;
}

/** `CreateModelInvocationJob` / `StopModelInvocationJob` with the Bedrock control-plane client. */
export function bedrockJobsApi(client: BedrockClient = new BedrockClient({ maxAttempts: BATCH_CLIENT_DEFAULTS.maxAttempts, requestHandler: handler() })): BedrockJobsApi {
  return {
    async create(request) {
      const out = await client.send(new CreateModelInvocationJobCommand(request));
      if (!out.jobArn) throw new Error(`CreateModelInvocationJob answered no job ARN for ${request.jobName}.`);
      return out.jobArn;
    },
    async stop(jobArn) {
      await client.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
    },
  };
}
