/** Fixture apps of the response review queue for the shared synthesis (every pack). */
import { App, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ResponseReviewQueue } from '../../lib/validation/response-review-queue';

const env = { account: '111122223333', region: 'us-east-1' };

/** The review queue with its defaults: new key, table, queues, quarantine and access log buckets. */
export function reviewQueueApp(app: App): void {
  const stack = new Stack(app, 'Reviews', { env });
  new ResponseReviewQueue(stack, 'ReviewQueue');
}

/** Polarity: a queue without encryption at rest, TLS-only policy or dead-letter queue is reported. */
export function plainQueueApp(app: App): void {
  const stack = new Stack(app, 'PlainQueue', { env });
  new sqs.Queue(stack, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
}
