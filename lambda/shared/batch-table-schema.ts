/**
 * The layout of the batch state table and bucket, shared by the construct that creates them
 * (`lib/batch/`) and the router that reads and writes them (`lambda/router/batch/dynamo-store.ts`,
 * `s3-objects.ts`). Dependency-free on purpose: `lib/` may import it.
 *
 * Partition key `pk`, sort key `sk` (strings); the sparse global secondary index
 * {@link BATCH_TABLE_LIST_INDEX} (`listPk` = `TENANT#<t>`, `listSk`, set on batches only) lists a
 * tenant's batches newest first; the sparse global secondary index
 * {@link BATCH_TABLE_OPEN_INDEX} (partition key `open`, set only while a batch is unfinished) finds
 * the batches a tick or a crashed runner must resume.
 *
 * | pk                 | sk                | what                                                          |
 * |--------------------|-------------------|---------------------------------------------------------------|
 * | `TENANT#<t>`       | `FILE#<id>`       | a file's metadata (its content is the object `files/<t>/<id>.jsonl`) |
 * | `TENANT#<t>`       | `BATCH#<id>`      | a batch (`listSk` = `<created, 12 digits>#<id>`)        |
 * | `BATCH#<id>`       | `LINE#<n, 8 digits>` | a line's result, written once (`attribute_not_exists(pk)`) |
 * | `BATCH#<id>`       | `JOB#<name>`      | a Bedrock batch inference job of the batch                    |
 * | `JOB#<name>`       | `JOB`             | the same job, by name (what a job state change event names)   |
 *
 * Large lists (a batch's refusals, a job's records) are spilled to the object `spill/<key>.json`
 * when their JSON exceeds {@link BATCH_ITEM_INLINE_BYTES}: DynamoDB items are limited to 400 KB.
 * Items of finished batches expire by `ttl` after the output files' retention.
 */

/** Key attribute names. */
export const BATCH_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk', timeToLive: 'ttl' } as const;

/** The sparse global secondary index that lists a tenant's batches by creation time. */
export const BATCH_TABLE_LIST_INDEX = { name: 'byCreated', partitionKey: 'listPk', sortKey: 'listSk' } as const;

/** The sparse global secondary index of unfinished batches. */
export const BATCH_TABLE_OPEN_INDEX = { name: 'open', partitionKey: 'open', sortKey: 'sk' } as const;

/** The value of `open` on an unfinished batch. */
export const BATCH_OPEN_VALUE = 'OPEN';

/** JSON above this size is kept in the bucket instead of the item. */
export const BATCH_ITEM_INLINE_BYTES = 64 * 1024;

/** The environment variable that names the batch state table to the router. */
export const BATCH_TABLE_ENV = 'GATEWAY_BATCH_TABLE';

/** The environment variable that names the batch bucket to the router. */
export const BATCH_BUCKET_ENV = 'GATEWAY_BATCH_BUCKET';

/** The environment variable with the ARN of the Bedrock batch service role. */
export const BATCH_ROLE_ENV = 'GATEWAY_BATCH_ROLE_ARN';

/** The environment variable with the KMS key of the batch bucket (job outputs). */
export const BATCH_KEY_ENV = 'GATEWAY_BATCH_KMS_KEY';

/** Key prefixes in the batch bucket: uploaded and written files, Bedrock jobs, spilled lists. */
export const BATCH_BUCKET_PREFIXES = { files: 'files/', jobs: 'jobs/', spill: 'spill/' } as const;

/** The object key of a file's content. */
export function batchFileKey(tenantId: string, fileId: string): string {
  return `${BATCH_BUCKET_PREFIXES.files}${tenantId}/${fileId}.jsonl`;
}

/** The environment variable with the batches of one tenant that run at once. */
export const BATCH_MAX_RUNNING_ENV = 'GATEWAY_BATCH_MAX_RUNNING';

/** The event the scheduled tick sends the batch worker. */
export const BATCH_TICK_EVENT = { gatewayBatch: 'tick' } as const;
