import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { GatewayCompliance } from '../compliance/gateway-compliance';

/** What every bucket of the library shares: TLS 1.2+ only, no public access, no ACLs, versioned. */
export const PRIVATE_VERSIONED_TLS_ONLY = {
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  versioned: true,
} as const satisfies s3.BucketProps;

/** The packs whose `S3BucketReplicationEnabled` and `S3DefaultEncryptionKMS` rules report a bucket. */
const BUCKET_RULE_PACKS = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'] as const;

/**
 * Acknowledges the NIST 800-53 R5, HIPAA and PCI DSS `S3BucketReplicationEnabled` findings on
 * `bucket`, with the reason this bucket is not replicated to another Region.
 */
export function acknowledgeNoReplication(bucket: s3.IBucket, reason: string): void {
  for (const pack of BUCKET_RULE_PACKS) GatewayCompliance.acknowledge(bucket, `${pack}-S3BucketReplicationEnabled`, reason);
}

/** Options of {@link createAccessLogsBucket}. */
export interface AccessLogsBucketOptions {
  /** The bucket(s) it logs, for the acknowledgments' reasons ("the batch bucket"). */
  readonly logsOf: string;
  /** What the logged bucket holds that the access logs never do ("prompts or completions"). */
  readonly neverHolds: string;
  readonly removalPolicy: RemovalPolicy;
  /** @default Duration.days(365) */
  readonly expiration?: Duration;
  /** @default Duration.days(30) */
  readonly noncurrentVersionExpiration?: Duration;
}

/**
 * A bucket that only receives S3 server access logs: SSE-S3 (server access log delivery is
 * documented for SSE-S3 default encryption only), TLS-only, private, versioned, expired by
 * lifecycle, with the findings it cannot fix acknowledged (no own access logs, no Object Lock, no
 * event notifications, no KMS key, no replication), each with its reason. The one helper for every
 * construct that creates its own access log bucket.
 */
export function createAccessLogsBucket(scope: Construct, id: string, options: AccessLogsBucketOptions): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    ...PRIVATE_VERSIONED_TLS_ONLY,
    removalPolicy: options.removalPolicy,
    lifecycleRules: [{
      id: 'ExpireAccessLogs',
      expiration: options.expiration ?? Duration.days(365),
      noncurrentVersionExpiration: options.noncurrentVersionExpiration ?? Duration.days(30),
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    }],
  });
  const only = `This bucket only receives the S3 server access logs of ${options.logsOf}.`;
  GatewayCompliance.acknowledge(bucket, 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
    `${only} Logging its own access would need yet another bucket (or a delivery loop); access to it is recorded by CloudTrail.`);
  GatewayCompliance.acknowledge(bucket, 'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
    `${only} Nothing reacts to new access log objects, so no event destination is configured.`);
  GatewayCompliance.acknowledge(bucket, 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
    `${only} They are diagnostic request metadata, versioned and expired by lifecycle.`);
  const sse = 'This bucket is the target of S3 server access logs, whose delivery is documented for SSE-S3 (AES256) default encryption '
    + `only; it is encrypted with SSE-S3, TLS-only, private and versioned, and holds request metadata about ${options.logsOf}, never ${options.neverHolds}.`;
  GatewayCompliance.acknowledge(bucket, 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check', sse);
  for (const pack of BUCKET_RULE_PACKS) GatewayCompliance.acknowledge(bucket, `${pack}-S3DefaultEncryptionKMS`, sse);
  acknowledgeNoReplication(bucket, `${only} They are request metadata kept in the Region of the bucket they describe; copying them `
    + 'to another Region is an organisation-level disaster-recovery decision, and versioning protects them in place.');
  return bucket;
}

/**
 * Sends `source`'s S3 server access logs to `target` under `prefix`, set on the L1 with a bucket
 * policy for the logging service (the L2's serverAccessLogsBucket would demand ACLs without the
 * `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` feature flag). Returns the statement, and
 * whether it could be added (not on an imported bucket).
 */
export function enableServerAccessLogs(source: s3.Bucket, target: s3.IBucket, prefix: string): { statement: iam.PolicyStatement; added: boolean } {
  (source.node.defaultChild as s3.CfnBucket).loggingConfiguration = { destinationBucketName: target.bucketName, logFilePrefix: prefix };
  const statement = new iam.PolicyStatement({
    sid: 'S3ServerAccessLogsDelivery',
    principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
    actions: ['s3:PutObject'],
    resources: [target.arnForObjects(`${prefix}*`)],
    conditions: { ArnLike: { 'aws:SourceArn': source.bucketArn }, StringEquals: { 'aws:SourceAccount': Stack.of(source).account } },
  });
  // No dependency of the source on this policy: the policy names the source's ARN (a cycle), and
  // S3 delivers access logs on a best-effort basis once the policy exists.
  return { statement, added: target.addToResourcePolicy(statement).statementAdded };
}
