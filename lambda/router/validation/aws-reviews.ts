/**
 * The deployed review queue: the answer (when allowed) to the KMS-encrypted quarantine bucket, the
 * item to the reviews table (the store `reviews list|resolve` reads), then to the SQS queue (for
 * notifications and integrations; its dead-letter queue keeps what consumers fail on). The item is
 * written before the message, so a message never names a review the table lacks.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { QUARANTINE_PREFIX, REVIEW_TABLE_KEYS, ReviewStatus } from '../../shared/review-table-schema';
import { ReviewItem, ReviewSink, ReviewStore, ReviewSubmission } from './review';

export interface AwsReviewsOptions {
  readonly dynamodb: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Needed to submit (the router); the CLI only reads and resolves. */
  readonly sqs?: SQSClient;
  readonly queueUrl?: string;
  readonly s3?: S3Client;
  /** The quarantine bucket; without it, answers are never kept. */
  readonly bucket?: string;
}

export class AwsReviews implements ReviewSink, ReviewStore {
  constructor(private readonly options: AwsReviewsOptions) {}

  async submit(submission: ReviewSubmission): Promise<void> {
    const { dynamodb, tableName, sqs, queueUrl, s3, bucket } = this.options;
    let item = submission.item;
    if (submission.content !== undefined && s3 && bucket !== undefined) {
      const key = `${QUARANTINE_PREFIX}${item.tenantId}/${item.reviewId}.json`;
      await s3.send(new PutObjectCommand({
        Bucket: bucket, Key: key, ContentType: 'application/json',
        Body: JSON.stringify({ reviewId: item.reviewId, answer: submission.content, detail: item.detail }),
      }));
      item = { ...item, contentLocation: `s3://${bucket}/${key}` };
    } else {
      // Without the quarantine bucket nothing of the answer is kept: the detail may echo it.
      item = { ...item, detail: undefined };
    }
    await dynamodb.send(new PutCommand({
      TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(#id)', ExpressionAttributeNames: { '#id': REVIEW_TABLE_KEYS.partitionKey },
    })).catch((error: unknown) => {
      // A retried submission of the same request: the review exists already.
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    });
    if (sqs && queueUrl !== undefined) {
      const { detail: _detail, ...message } = item;
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
    }
  }

  async list(status: ReviewStatus = ReviewStatus.OPEN, limit = 100): Promise<ReviewItem[]> {
    const out = await this.options.dynamodb.send(new QueryCommand({
      TableName: this.options.tableName,
      IndexName: REVIEW_TABLE_KEYS.statusIndex,
      KeyConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': REVIEW_TABLE_KEYS.statusKey },
      ExpressionAttributeValues: { ':s': status },
      ScanIndexForward: false,
      Limit: limit,
    }));
    return (out.Items ?? []) as ReviewItem[];
  }

  async resolve(reviewId: string, resolvedBy: string, note: string, at: Date): Promise<boolean> {
    try {
      await this.options.dynamodb.send(new UpdateCommand({
        TableName: this.options.tableName,
        Key: { [REVIEW_TABLE_KEYS.partitionKey]: reviewId },
        UpdateExpression: 'SET #s = :resolved, resolvedBy = :by, resolvedAt = :at, note = :note',
        ConditionExpression: '#s = :open',
        ExpressionAttributeNames: { '#s': REVIEW_TABLE_KEYS.statusKey },
        ExpressionAttributeValues: { ':resolved': ReviewStatus.RESOLVED, ':open': ReviewStatus.OPEN, ':by': resolvedBy, ':at': at.toISOString(), ':note': note },
      }));
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
