/**
 * The layout of the response review queue's store, shared by the construct that creates it
 * (`lib/validation/`), the router that writes it and the CLI (`cdk-ai-gateway reviews`) that reads
 * and resolves it. Dependency-free: `lib/` may import it.
 *
 * The reviews table has one item per flagged or rejected answer, partition key `reviewId` (the
 * request id), and a global secondary index `byStatus` (partition `status`, sort `createdAt`)
 * that `reviews list` queries. The SQS queue gets the same item (never the content) for
 * notifications and integrations; the content, when the request's sensitivity allows it, is an
 * object in the quarantine bucket under `quarantine/<tenant>/<requestId>.json`.
 */

/** Key and index names of the reviews table. */
export const REVIEW_TABLE_KEYS = { partitionKey: 'reviewId', statusIndex: 'byStatus', statusKey: 'status', sortKey: 'createdAt' } as const;

/** The environment variables that name the review queue's parts to the router. */
export const REVIEW_ENV = {
  table: 'GATEWAY_REVIEW_TABLE',
  queueUrl: 'GATEWAY_REVIEW_QUEUE_URL',
  bucket: 'GATEWAY_REVIEW_BUCKET',
} as const;

/** The prefix of quarantined answers in the bucket. */
export const QUARANTINE_PREFIX = 'quarantine/';

/** The status of a review. */
export enum ReviewStatus {
  OPEN = 'open',
  RESOLVED = 'resolved',
}

/** The sensitivities whose answers may be kept for review; any other (restricted, or a level added later) never is. */
export const REVIEW_CONTENT_SENSITIVITIES: readonly string[] = ['public', 'internal'];
