import { ArnFormat, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { AiGatewayValidationError } from '../private/errors';
import { acknowledgeNoReplication, createAccessLogsBucket, enableServerAccessLogs, PRIVATE_VERSIONED_TLS_ONLY } from '../private/access-logs';
import { encryptedLogGroup, newKey } from '../private/kms';

/** S3 Object Lock on the trail's bucket. */
export interface AuditTrailObjectLock {
  /**
   * COMPLIANCE: nobody, the root user included, can delete or overwrite a log file before the
   * retention ends; GOVERNANCE: principals with `s3:BypassGovernanceRetention` can.
   * @default s3.ObjectLockMode.COMPLIANCE
   */
  readonly mode?: s3.ObjectLockMode;
  /** How long each log file is locked. */
  readonly retention: Duration;
}

/** Properties of a {@link GatewayAuditTrail}. */
export interface GatewayAuditTrailProps {
  /**
   * DynamoDB tables whose data events (every GetItem, PutItem, DeleteItem, Query … on them) the
   * trail records: the gateway's tenant-key table, its incident-controls table, an approvals table.
   * @default - none
   */
  readonly tables?: dynamodb.ITable[];
  /**
   * Bedrock data event resource types the trail records (`resources.type` of an advanced event
   * selector), such as `AWS::Bedrock::Guardrail` (ApplyGuardrail), `AWS::Bedrock::KnowledgeBase`,
   * `AWS::Bedrock::AgentAlias`. Management events (all Bedrock control-plane calls, and the Bedrock
   * Runtime calls CloudTrail logs as management events) are always recorded.
   * @default ['AWS::Bedrock::Guardrail']
   */
  readonly bedrockDataResourceTypes?: string[];
  /**
   * The KMS key of the log files, digest files, the CloudWatch log group and the bucket.
   * @default - a new key with rotation, whose grants only AWS services may create
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * S3 Object Lock on the new bucket (write once, read many), where records rules require it.
   * @default - no Object Lock (versioning and log-file validation only)
   */
  readonly objectLock?: AuditTrailObjectLock;
  /**
   * Record the events of every Region of the partition, not only the stack's.
   * @default true
   */
  readonly multiRegion?: boolean;
  /**
   * How long log files are kept in the bucket before they expire.
   * @default Duration.days(2555) (7 years)
   */
  readonly retention?: Duration;
  /**
   * Retention of the CloudWatch Logs copy of the events.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the bucket, key and log group when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A CloudTrail trail for accounts whose organisation trail does not record what the gateway needs:
 * every management event (read and write), the data events of the gateway's DynamoDB tables (who
 * read or changed a tenant key, an incident control, an approval) and the Bedrock data events you
 * list. Log files are encrypted with a customer-managed key and validated (digest files); they go
 * to a TLS-only, private, versioned bucket with server access logs, optional Object Lock and a
 * retention lifecycle, and to a KMS-encrypted CloudWatch log group for queries and alarms.
 *
 * @example
 * new GatewayAuditTrail(this, 'Audit', {
 *   tables: [gateway.tenantKeyTable, gateway.incidentControls!.table],
 *   objectLock: { retention: Duration.days(365) },
 * });
 */
export class GatewayAuditTrail extends Construct {
  /** The trail. */
  public readonly trail: cloudtrail.Trail;
  /** The bucket of the log files. */
  public readonly bucket: s3.Bucket;
  /** The bucket of the log bucket's server access logs. */
  public readonly accessLogsBucket: s3.Bucket;
  /** The CloudWatch Logs copy of the events. */
  public readonly logGroup: logs.ILogGroup;
  /** The key of the log files, the bucket and the log group. */
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: GatewayAuditTrailProps = {}) {
    super(scope, id);
    validate(this, props);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = props.retention ?? Duration.days(2555);
    this.encryptionKey = props.encryptionKey ?? newKey(this, 'Key', `Encrypts the cdk-ai-gateway audit trail ${this.node.path}`, removalPolicy);
    const trailName = Names.uniqueResourceName(this, { maxLength: 128 });
    const trailArn = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: trailName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });

    // CloudTrail encrypts log and digest files with the key, for this trail only (CloudTrail user
    // guide, "Configure AWS KMS key policies for CloudTrail").
    const cloudtrailPrincipal = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudTrailToEncryptLogs',
      principals: [cloudtrailPrincipal],
      actions: ['kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceArn': trailArn },
        StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': stack.formatArn({ service: 'cloudtrail', region: '*', resource: 'trail', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }) },
      },
    }));
    this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudTrailToDescribeKey',
      principals: [cloudtrailPrincipal],
      actions: ['kms:DescribeKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceArn': trailArn } },
    }));

    this.accessLogsBucket = createAccessLogsBucket(this, 'AccessLogsBucket', {
      logsOf: 'the audit trail bucket', neverHolds: 'the audit events (those are SSE-KMS in the trail bucket)', removalPolicy, expiration: retention,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      ...PRIVATE_VERSIONED_TLS_ONLY,
      objectLockEnabled: props.objectLock ? true : undefined,
      objectLockDefaultRetention: props.objectLock
        ? (props.objectLock.mode ?? s3.ObjectLockMode.COMPLIANCE) === s3.ObjectLockMode.GOVERNANCE
          ? s3.ObjectLockRetention.governance(props.objectLock.retention)
          : s3.ObjectLockRetention.compliance(props.objectLock.retention)
        : undefined,
      removalPolicy,
      lifecycleRules: [{ id: 'ExpireAuditLogs', expiration: retention, noncurrentVersionExpiration: Duration.days(30) }],
    });
    enableServerAccessLogs(this.bucket, this.accessLogsBucket, 'trail-bucket/');
    (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

    this.logGroup = encryptedLogGroup(this, 'Logs', {
      key: this.encryptionKey,
      purpose: 'the audit trail',
      retention: props.logRetention,
      removalPolicy,
    }).logGroup;

    this.trail = new cloudtrail.Trail(this, 'Trail', {
      trailName,
      bucket: this.bucket,
      encryptionKey: this.encryptionKey,
      enableFileValidation: true,
      includeGlobalServiceEvents: true,
      isMultiRegionTrail: props.multiRegion ?? true,
      sendToCloudWatchLogs: true,
      cloudWatchLogGroup: this.logGroup,
    });
    const tableArns = (props.tables ?? []).map((t) => t.tableArn);
    const bedrockTypes = props.bedrockDataResourceTypes ?? ['AWS::Bedrock::Guardrail'];
    const cfnTrail = this.trail.node.defaultChild as cloudtrail.CfnTrail;
    // Advanced selectors only: CloudTrail takes basic or advanced event selectors, never both, and
    // the L2 writes an (empty) basic list.
    cfnTrail.addPropertyDeletionOverride('EventSelectors');
    cfnTrail.advancedEventSelectors = [
      { name: 'AllManagementEvents', fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }] },
      ...(tableArns.length > 0 ? [{
        name: 'GatewayTableDataEvents',
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] },
          { field: 'resources.ARN', equalTo: tableArns },
        ],
      }] : []),
      ...bedrockTypes.map((type) => ({
        name: `BedrockDataEvents${type.split('::').pop()}`,
        fieldSelectors: [{ field: 'eventCategory', equalTo: ['Data'] }, { field: 'resources.type', equalTo: [type] }],
      })),
    ];
    this.acknowledgeFindings(props.objectLock !== undefined);
  }

  /** Lets `grantee` read the log files (S3 read and KMS decrypt). */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.bucket.grantRead(grantee).combine(this.encryptionKey.grantDecrypt(grantee));
  }

  private acknowledgeFindings(objectLock: boolean): void {
    const logsPolicy = this.trail.node.tryFindChild('LogsRole')?.node.tryFindChild('DefaultPolicy');
    if (logsPolicy) {
      for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
        GatewayCompliance.acknowledge(logsPolicy, `${pack}-IAMNoInlinePolicy`,
          'aws-cloudtrail creates this role for CloudTrail to deliver events to the trail log group and attaches its one statement '
          + '(logs:CreateLogStream and logs:PutLogEvents on that log group only) inline; the role is assumed only by cloudtrail.amazonaws.com '
          + 'and the Trail construct offers no way to pass a role with a managed policy instead.');
      }
    }
    acknowledgeNoReplication(this.bucket, 'The audit trail delivers to a bucket of its own account and Region; copying the log files to another '
      + 'Region or an archive account is an organisation-level disaster-recovery decision (a destination bucket, key and '
      + 'replication role there). Versioning, log-file validation digests and optional Object Lock protect them in place.');
    if (!objectLock) {
      GatewayCompliance.acknowledge(this.bucket, 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
        'Object Lock is opt-in (the objectLock prop) because it cannot be switched off once enabled and its retention is a records '
        + 'policy decision; log-file validation digests detect any change to a delivered log file, and the bucket is versioned, private and TLS-only.');
    }
  }
}

function validate(scope: Construct, props: GatewayAuditTrailProps): void {
  for (const type of props.bedrockDataResourceTypes ?? []) {
    if (!/^AWS::Bedrock::[A-Za-z]+$/.test(type)) {
      throw new AiGatewayValidationError(`bedrockDataResourceTypes: '${type}' is not a Bedrock resource type (AWS::Bedrock::<Type>, e.g. AWS::Bedrock::Guardrail).`, scope);
    }
  }
  const retention = props.retention;
  if (retention && !retention.isUnresolved() && retention.toDays() < 1) {
    throw new AiGatewayValidationError(`retention must be at least 1 day, received ${retention.toHumanString()}.`, scope);
  }
  if (props.objectLock && !props.objectLock.retention.isUnresolved() && retention && !retention.isUnresolved()
    && props.objectLock.retention.toDays() > retention.toDays()) {
    throw new AiGatewayValidationError(`objectLock.retention (${props.objectLock.retention.toHumanString()}) must not exceed retention (${retention.toHumanString()}): locked objects cannot expire.`, scope);
  }
}
