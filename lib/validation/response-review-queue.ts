import { Annotations, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUARANTINE_PREFIX, REVIEW_ENV, REVIEW_TABLE_KEYS } from '../../lambda/shared/review-table-schema';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { acknowledgeNoReplication, createAccessLogsBucket, enableServerAccessLogs, PRIVATE_VERSIONED_TLS_ONLY } from '../private/access-logs';
import { AiGatewayValidationError } from '../private/errors';
import { newKey } from '../private/kms';
import { acknowledgeNotInBackupPlan, secureTableProps } from '../private/tables';

/** Properties of a {@link ResponseReviewQueue}. */
export interface ResponseReviewQueueProps {
  /**
   * The KMS key of the queue, its dead-letter queue, the reviews table and the quarantine bucket.
   * @default - a new key with automatic rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How long quarantined answers are kept before they expire (1 to 3,650 days).
   * @default Duration.days(30)
   */
  readonly quarantineRetention?: Duration;

  /**
   * The bucket that receives the quarantine bucket's S3 server access logs.
   * @default - a new SSE-S3, TLS-only, private bucket whose logs expire after 365 days
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * How long a review message stays in the queue for its consumers (1 minute to 14 days).
   * @default Duration.days(14)
   */
  readonly messageRetention?: Duration;

  /**
   * What happens to the table, queues and buckets when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The human-escalation path of response validation: flagged and rejected answers become reviews.
 *
 * - a DynamoDB reviews table (the store of record: `cdk-ai-gateway reviews list|resolve` query it
 *   by status and record who resolved a review and why);
 * - an SQS queue (KMS, TLS-only) with a dead-letter queue, which gets every review (never the
 *   answer) for notifications and integrations;
 * - a quarantine bucket (KMS, TLS-only, private, versioned, access-logged, expiring) that keeps the
 *   answer, only for requests whose sensitivity allows it (public, internal; never restricted).
 *
 * @example
 * const reviews = new ResponseReviewQueue(this, 'Reviews', { quarantineRetention: Duration.days(14) });
 * new AiGateway(this, 'Gateway', { ..., reviewQueue: reviews });
 */
export class ResponseReviewQueue extends Construct {
  /** The quarantine retention unless configured. */
  public static readonly DEFAULT_QUARANTINE_RETENTION = Duration.days(30);
  /** How many receives a message gets before it moves to the dead-letter queue. */
  public static readonly MAX_RECEIVE_COUNT = 5;

  /** The reviews table. */
  public readonly table: dynamodb.Table;
  /** The review queue. */
  public readonly queue: sqs.Queue;
  /** Its dead-letter queue. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The quarantine bucket. */
  public readonly bucket: s3.Bucket;
  /** The key of all of them. */
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: ResponseReviewQueueProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = props.quarantineRetention ?? ResponseReviewQueue.DEFAULT_QUARANTINE_RETENTION;
    if (!retention.isUnresolved() && (retention.toDays() < 1 || retention.toDays() > 3650)) {
      throw new AiGatewayValidationError(`quarantineRetention must be from 1 to 3650 days, received ${retention.toHumanString()}.`, this);
    }
    const messageRetention = props.messageRetention ?? Duration.days(14);
    if (!messageRetention.isUnresolved() && (messageRetention.toSeconds() < 60 || messageRetention.toDays() > 14)) {
      throw new AiGatewayValidationError(`messageRetention must be from 1 minute to 14 days, received ${messageRetention.toHumanString()}.`, this);
    }
    this.encryptionKey = props.encryptionKey ?? newKey(this, 'Key', 'Encrypts the cdk-ai-gateway response review queue, table and quarantine bucket', removalPolicy);

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: REVIEW_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      ...secureTableProps({ encryptionKey: this.encryptionKey, removalPolicy }),
    });
    this.table.addGlobalSecondaryIndex({
      indexName: REVIEW_TABLE_KEYS.statusIndex,
      partitionKey: { name: REVIEW_TABLE_KEYS.statusKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: REVIEW_TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
    });
    acknowledgeNotInBackupPlan(this.table, 'The reviews table holds review items (ids, tenant, route, validator and resolution, never the answer)', { removalPolicy });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    const dlqReason = 'This queue is itself the dead-letter queue of the response review queue: it keeps the review messages its consumers '
      + 'failed on, for an operator; the reviews table keeps every review regardless, so it needs no further dead-letter queue.';
    for (const findingId of ['Serverless-SQSRedrivePolicy', 'CT.SQS.PR.1']) GatewayCompliance.acknowledge(this.deadLetterQueue, findingId, dlqReason);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: messageRetention,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: ResponseReviewQueue.MAX_RECEIVE_COUNT },
      removalPolicy,
    });

    const accessLogsBucket = props.accessLogsBucket ?? createAccessLogsBucket(this, 'AccessLogsBucket', {
      logsOf: 'the review quarantine bucket', neverHolds: 'answers (those are in the SSE-KMS quarantine bucket)', removalPolicy,
    });
    this.bucket = new s3.Bucket(this, 'QuarantineBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      ...PRIVATE_VERSIONED_TLS_ONLY,
      removalPolicy,
      lifecycleRules: [{
        id: 'ExpireQuarantinedAnswers',
        expiration: retention,
        noncurrentVersionExpiration: Duration.days(1),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      }],
    });
    const { statement, added } = enableServerAccessLogs(this.bucket, accessLogsBucket, `review-quarantine/${Names.uniqueId(this).slice(-32)}/`);
    if (!added) {
      Annotations.of(this).addWarningV2('cdk-ai-gateway:reviewQueue:AccessLogsBucketPolicyNotManaged',
        `The accessLogsBucket is imported: add this statement to its policy, or access log delivery fails: ${JSON.stringify(Stack.of(this).resolve(statement.toStatementJson()))}`);
    }
    (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    this.acknowledgeBucketFindings();
  }

  /** The router's environment variables that name the table, queue and bucket. */
  public routerEnvironment(): { [name: string]: string } {
    return { [REVIEW_ENV.table]: this.table.tableName, [REVIEW_ENV.queueUrl]: this.queue.queueUrl, [REVIEW_ENV.bucket]: this.bucket.bucketName };
  }

  /**
   * What the router needs: PutItem on the table, SendMessage on the queue, PutObject under the
   * quarantine prefix, and the key's encrypt operations. Nothing to read.
   */
  public grantSubmit(grantee: iam.IGrantable): iam.Grant {
    this.acknowledgeQuarantinePrefix(grantee, 'writes');
    return iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:PutItem'], resourceArns: [this.table.tableArn] })
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['sqs:SendMessage'], resourceArns: [this.queue.queueArn] }))
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.bucket.arnForObjects(`${QUARANTINE_PREFIX}*`)] }))
      .combine(this.encryptionKey.grant(grantee, 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'));
  }

  /**
   * What a reviewer needs (`cdk-ai-gateway reviews list|resolve`, and reading quarantined answers):
   * Query the status index, UpdateItem on the table, GetObject in the bucket, Decrypt.
   */
  public grantReview(grantee: iam.IGrantable): iam.Grant {
    this.acknowledgeQuarantinePrefix(grantee, 'reads');
    return iam.Grant.addToPrincipal({
      grantee, actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn, `${this.table.tableArn}/index/${REVIEW_TABLE_KEYS.statusIndex}`],
    })
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.bucket.arnForObjects(`${QUARANTINE_PREFIX}*`)] }))
      .combine(this.encryptionKey.grant(grantee, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'));
  }

  /** The object grant is scoped to the quarantine prefix, whose keys are per request: a wildcard by design. */
  private acknowledgeQuarantinePrefix(grantee: iam.IGrantable, verb: string): void {
    if (!Construct.isConstruct(grantee) || Stack.of(grantee) !== Stack.of(this)) return;
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    GatewayCompliance.acknowledge(grantee, `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${QUARANTINE_PREFIX}*]`,
      `The grantee ${verb} quarantined answers, one object per request id under '${QUARANTINE_PREFIX}' of the review bucket: the `
      + 'keys are not known in advance, so the grant is the prefix, on this one bucket only.');
  }

  private acknowledgeBucketFindings(): void {
    acknowledgeNoReplication(this.bucket, 'Quarantined answers are short-lived review material (expired by lifecycle) kept in the Region '
      + 'next to the gateway that produced them; replicating them to another Region would copy tenant content out of its Region for no recovery need. '
      + 'Versioning protects the objects in place.');
    GatewayCompliance.acknowledge(this.bucket, 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
      'Quarantined answers must be erasable before their expiry (a tenant\'s erasure request, a reviewer deleting an answer that should not have been kept); Object Lock would forbid that. The bucket is versioned, private, TLS-only and SSE-KMS.');
  }
}
