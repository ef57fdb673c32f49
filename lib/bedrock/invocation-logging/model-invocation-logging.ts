import { createHash } from 'node:crypto';
import { Annotations, ArnFormat, CustomResource, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNoReplication, createAccessLogsBucket, enableServerAccessLogs, PRIVATE_VERSIONED_TLS_ONLY } from '../../private/access-logs';
import { BUNDLED_HANDLER, BUNDLED_RUNTIME, bundledHandler } from '../../private/assets';
import { INVOCATION_LOGGING_PROPERTY } from '../../../lambda/shared/invocation-logging-properties';
import { AiGatewayValidationError } from '../../private/errors';
import { GatewayCompliance } from '../../compliance/gateway-compliance';
import { acknowledgeCustomResourceFunctionFindings } from '../../private/function-compliance';
import { cloudWatchLogsKeyStatement, newKey } from '../../private/kms';

/**
 * Properties of `ModelInvocationLogging`.
 */
export interface ModelInvocationLoggingProps {
  /**
   * The KMS key that encrypts the log bucket, the invocation log group and the handler's log
   * group. The construct adds to its key policy what Bedrock (`kms:GenerateDataKey`,
   * `kms:Decrypt`, scoped with `aws:SourceAccount` and `aws:SourceArn`) and CloudWatch Logs
   * (scoped with `kms:EncryptionContext:aws:logs:arn` to these log groups) need. An imported key's
   * policy cannot be changed: the construct then warns, and you must add those statements yourself.
   *
   * @default - a new key with automatic rotation and an alias.
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The bucket Bedrock delivers invocation logs (and large payloads) to. It must be in the same
   * account and Region, with ACLs disabled (object ownership `BucketOwnerEnforced`). The construct
   * adds Bedrock's `s3:PutObject` statement to its policy, and, if the bucket exposes its KMS key,
   * Bedrock's statement to that key's policy. The lifecycle, versioning, object lock and access log
   * props configure only a bucket the construct creates; setting them with this prop is an error.
   *
   * @default - a new bucket: SSE-KMS with `encryptionKey` and a bucket key, TLS only (TLS 1.2 or
   *   later), all public access blocked, ACLs disabled, versioned, server access logs to a separate
   *   bucket, lifecycle transitions and expiration.
   */
  readonly bucket?: s3.IBucket;

  /**
   * The key prefix of invocation log objects. Bedrock writes them under
   * `<keyPrefix>/AWSLogs/<account>/BedrockModelInvocationLogs/`. Use `''` for no prefix. No leading or
   * trailing `/`, at most 1024 characters.
   *
   * @default 'invocation-logs'
   */
  readonly keyPrefix?: string;

  /**
   * The key prefix of large payloads (bodies over 100 KB and binary data) that the CloudWatch Logs
   * destination cannot hold; Bedrock writes them to the same bucket under
   * `<largeDataDeliveryKeyPrefix>/AWSLogs/<account>/BedrockModelInvocationLogs/`. Same rules as `keyPrefix`.
   *
   * @default 'invocation-logs-large-data'
   */
  readonly largeDataDeliveryKeyPrefix?: string;

  /**
   * The CloudWatch Logs log group Bedrock delivers invocation logs to. Same account and Region.
   * If it is encrypted, its key policy is yours to manage.
   *
   * @default - a new log group encrypted with `encryptionKey`, with `logRetention`.
   */
  readonly logGroup?: logs.ILogGroup;

  /**
   * How long CloudWatch Logs keeps the invocation logs (and the handler's own logs). `INFINITE` is
   * rejected: set an explicit retention, and keep long-term copies in the bucket. Not allowed with
   * `logGroup` (set the retention on your log group).
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Whether the logs include text data (prompts and completions). Bedrock logs every invocation of
   * the account and Region, whichever application made it, so text logging records every prompt.
   *
   * @default true
   */
  readonly textDataDelivery?: boolean;

  /**
   * Whether the logs include image data.
   *
   * @default false
   */
  readonly imageDataDelivery?: boolean;

  /**
   * Whether the logs include embeddings data.
   *
   * @default false
   */
  readonly embeddingDataDelivery?: boolean;

  /**
   * Whether the logs include video data.
   *
   * @default false
   */
  readonly videoDataDelivery?: boolean;

  /**
   * Whether the logs include audio data.
   *
   * @default false
   */
  readonly audioDataDelivery?: boolean;

  /**
   * Whether the bucket the construct creates keeps object versions. Turning it off weakens the
   * audit trail (a deleted log object is gone) and rules out `objectLock`.
   *
   * @default true
   */
  readonly versioned?: boolean;

  /**
   * Default S3 Object Lock retention of the bucket the construct creates, for audit: log objects
   * cannot be deleted or overwritten until it ends (`COMPLIANCE` mode: by nobody, root included).
   * Needs `versioned` and a retention no longer than `expiration`. Object Lock cannot be switched
   * off once the bucket exists.
   *
   * @default - no Object Lock.
   */
  readonly objectLock?: s3.ObjectLockRetention;

  /**
   * When log objects move to S3 Standard-IA. At least 30 days (an S3 minimum), in whole days.
   *
   * @default Duration.days(30)
   */
  readonly transitionToInfrequentAccessAfter?: Duration;

  /**
   * When log objects move to S3 Glacier Flexible Retrieval. At least 30 days after
   * `transitionToInfrequentAccessAfter`, in whole days.
   *
   * @default Duration.days(90)
   */
  readonly transitionToGlacierAfter?: Duration;

  /**
   * When log objects (and server access logs) expire. Longer than `transitionToGlacierAfter`, in
   * whole days.
   *
   * @default Duration.days(365)
   */
  readonly expiration?: Duration;

  /**
   * When noncurrent object versions (left by deletes) expire, in whole days.
   *
   * @default Duration.days(90)
   */
  readonly noncurrentVersionExpiration?: Duration;

  /**
   * Where the created bucket's server access logs go.
   *
   * @default - a new bucket: SSE-S3 (S3 server access log delivery does not support SSE-KMS
   *   default encryption), TLS only, all public access blocked, ACLs disabled, versioned, same
   *   expiration as the logs.
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * What happens to the key, the buckets and their policies, the log groups and the Bedrock
   * logging role when they leave the stack. The default keeps the audit data, and keeps the
   * destinations working for a logging configuration left in place (see `disableLoggingOnDelete`).
   * `DESTROY` fails on a bucket that holds objects: empty it first.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Whether deleting this resource switches model invocation logging off.
   *
   * Model invocation logging is ONE setting for the whole account and Region, shared by every
   * stack and application there. By default, deleting this construct (or its stack) leaves the
   * setting as it is, still pointing at the retained bucket and log group. When `true`, delete
   * calls `DeleteModelInvocationLoggingConfiguration`, but only while the configuration is still
   * the one this construct put (same bucket and log group): a configuration another stack has put
   * since is left alone.
   *
   * @default false
   */
  readonly disableLoggingOnDelete?: boolean;
}

/** The custom resource's property names: the contract with `lambda/invocation-logging/logic.ts`. */
const PROPERTY = INVOCATION_LOGGING_PROPERTY;

// Defaults. Transition minimums follow the S3 lifecycle rules: 30 days in Standard before
// Standard-IA, and 30 days in Standard-IA before Glacier.
const DEFAULT_KEY_PREFIX = 'invocation-logs';
const DEFAULT_LARGE_DATA_KEY_PREFIX = 'invocation-logs-large-data';
const DEFAULT_IA_DAYS = 30;
const DEFAULT_GLACIER_DAYS = 90;
const DEFAULT_EXPIRATION_DAYS = 365;
const DEFAULT_NONCURRENT_DAYS = 90;
const MIN_IA_DAYS = 30;
const MIN_DAYS_IN_IA = 30;
const KEY_PREFIX_MAX = 1024;
// The stream Bedrock writes to (Bedrock user guide, "Set up a CloudWatch Logs destination").
const BEDROCK_LOG_STREAM = 'aws/bedrock/modelinvocations';
const BEDROCK_SERVICE = 'bedrock.amazonaws.com';

/**
 * Amazon Bedrock model invocation logging: where Bedrock writes the request, response and metadata
 * of every model invocation in the account and Region, and the setting that turns it on.
 *
 * There is no CloudFormation resource for the setting, so a custom resource puts it with
 * `PutModelInvocationLoggingConfiguration` (text delivery on by default; large payloads to S3), and
 * puts it again whenever any setting changes. Around it: a KMS key with rotation, an S3 bucket
 * (SSE-KMS, TLS only, no public access, versioned, access-logged, lifecycle, optional Object Lock),
 * a KMS-encrypted CloudWatch log group with retention, and the role Bedrock uses to write to it;
 * bucket, key and role trust policies are scoped with `aws:SourceAccount` and `aws:SourceArn`.
 *
 * The setting is ONE per account and Region: deploy one of these per account and Region. Deleting
 * it leaves logging on unless `disableLoggingOnDelete` is set.
 */
export class ModelInvocationLogging extends Construct {
  /** The CloudFormation type of the custom resource that holds the setting. */
  public static readonly RESOURCE_TYPE = 'Custom::BedrockModelInvocationLogging';

  /** The bucket Bedrock delivers invocation logs and large payloads to. */
  public readonly bucket: s3.IBucket;
  /** The log group Bedrock delivers invocation logs to. */
  public readonly logGroup: logs.ILogGroup;
  /** The key that encrypts the bucket and the log groups the construct creates. */
  public readonly encryptionKey: kms.IKey;
  /** The bucket that receives the created bucket's server access logs (none for a bucket you provide). */
  public readonly accessLogsBucket?: s3.IBucket;
  /** The role Bedrock assumes to write to the log group. */
  public readonly loggingRole: iam.IRole;
  /** The custom resource handler. */
  public readonly handler: lambda.IFunction;
  /** The key prefix of invocation log objects. */
  public readonly keyPrefix: string;
  /** The key prefix of large payload objects. */
  public readonly largeDataDeliveryKeyPrefix: string;
  /** A hash over every setting; it changes, and the setting is put again, when any setting changes. */
  public readonly configHash: string;
  /**
   * Whether the prompts and answers of text models are delivered to the logs (`textDataDelivery`):
   * every Converse call of the account and Region, the gateway's included. `AiGateway` given this
   * construct (`invocationLogging`) refuses a restricted Bedrock route while it is true, unless the
   * text logging is acknowledged with a reason.
   */
  public readonly textDataDelivered: boolean;

  constructor(scope: Construct, id: string, props: ModelInvocationLoggingProps = {}) {
    super(scope, id);
    const settings = validateProps(this, props);
    this.keyPrefix = settings.keyPrefix;
    this.largeDataDeliveryKeyPrefix = settings.largeDataDeliveryKeyPrefix;
    this.textDataDelivered = props.textDataDelivery ?? true;
    const disableLoggingOnDelete = props.disableLoggingOnDelete ?? false;
    const names = this.resourceNames(props);

    this.encryptionKey = this.createKey(props, names, settings.removalPolicy);
    const created = props.bucket ? undefined : this.createBuckets(props, settings, names.unique);
    this.bucket = props.bucket ?? created!.bucket;
    this.accessLogsBucket = created?.accessLogsBucket;
    this.allowBedrockToWriteBucket(settings);
    if (created) {
      // Only the policies of buckets the construct created: a provided bucket keeps its own lifecycle.
      this.bucket.policy?.applyRemovalPolicy(settings.removalPolicy);
      if (!props.accessLogsBucket) this.accessLogsBucket?.policy?.applyRemovalPolicy(settings.removalPolicy);
    }

    this.logGroup = props.logGroup ?? new logs.LogGroup(this, 'LogGroup', {
      logGroupName: names.ownLogGroupName,
      encryptionKey: this.encryptionKey,
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    const loggingRole = this.loggingRole = this.createLoggingRole(settings.removalPolicy);
    const fn = this.createHandler(names.handlerLogGroupName, settings, disableLoggingOnDelete, loggingRole);
    this.handler = fn;

    const properties: Record<string, string | boolean> = {
      [PROPERTY.textDataDeliveryEnabled]: this.textDataDelivered,
      [PROPERTY.imageDataDeliveryEnabled]: props.imageDataDelivery ?? false,
      [PROPERTY.embeddingDataDeliveryEnabled]: props.embeddingDataDelivery ?? false,
      [PROPERTY.videoDataDeliveryEnabled]: props.videoDataDelivery ?? false,
      [PROPERTY.audioDataDeliveryEnabled]: props.audioDataDelivery ?? false,
      [PROPERTY.s3BucketName]: this.bucket.bucketName,
      [PROPERTY.s3KeyPrefix]: settings.keyPrefix,
      [PROPERTY.logGroupName]: this.logGroup.logGroupName,
      [PROPERTY.roleArn]: loggingRole.roleArn,
      [PROPERTY.largeDataBucketName]: this.bucket.bucketName,
      [PROPERTY.largeDataKeyPrefix]: settings.largeDataDeliveryKeyPrefix,
      [PROPERTY.disableLoggingOnDelete]: disableLoggingOnDelete,
    };
    // Every setting is a property, so any change is an Update; the hash makes the change visible
    // in the template diff and is echoed back as the resource's ConfigHash attribute.
    this.configHash = createHash('sha256').update(JSON.stringify(Stack.of(this).resolve(properties))).digest('hex').slice(0, 32);
    this.createSetting(fn, properties, loggingRole);

    if (settings.removalPolicy === RemovalPolicy.DESTROY && !disableLoggingOnDelete) {
      Annotations.of(this).addWarningV2(
        'cdk-ai-gateway:invocationLogging:destroyKeepsLoggingOn',
        'removalPolicy is DESTROY but disableLoggingOnDelete is false: deleting the stack leaves the account-wide Bedrock logging configuration pointing at deleted destinations. Set disableLoggingOnDelete to true, or keep the default RETAIN.',
      );
    }
  }

  /**
   * Generated, stable names: the key policy must name the log groups it lets CloudWatch Logs use,
   * and a generated (Ref) name would make key -> log group -> key a cycle.
   */
  private resourceNames(props: ModelInvocationLoggingProps): ResourceNames {
    const unique = Names.uniqueResourceName(this, { maxLength: 180, separator: '-' });
    return {
      unique,
      ownLogGroupName: props.logGroup ? undefined : `/aws/bedrock/model-invocations/${unique}`,
      handlerLogGroupName: `/aws/lambda/${unique}-handler`,
    };
  }

  /** Conditions that scope what Bedrock does for this account to this account and Region. */
  private sourceConditions(): { [operator: string]: unknown } {
    const stack = Stack.of(this);
    return {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:bedrock:${stack.region}:${stack.account}:*` },
    };
  }

  /** The given key or a new one (rotation, grants for AWS services only), and CloudWatch Logs' use of it for these log groups. */
  private createKey(props: ModelInvocationLoggingProps, names: ResourceNames, removalPolicy: RemovalPolicy): kms.IKey {
    let key = props.encryptionKey;
    if (!key) {
      const created = newKey(this, 'Key', `Encrypts Amazon Bedrock model invocation logs (${this.node.path})`, removalPolicy);
      created.addAlias(`alias/bedrock-invocation-logging/${names.unique}`);
      key = created;
    }
    const logsKeyStatement = cloudWatchLogsKeyStatement(this, [names.handlerLogGroupName, ...(names.ownLogGroupName ? [names.ownLogGroupName] : [])]);
    if (!key.addToResourcePolicy(logsKeyStatement, true).statementAdded) {
      this.warnImported('KeyPolicyNotManaged', 'encryptionKey', key.keyArn, logsKeyStatement);
    }
    return key;
  }

  /** The log bucket (SSE-KMS, TLS only, private, versioned, lifecycle) and its server access log bucket. */
  private createBuckets(props: ModelInvocationLoggingProps, settings: ValidatedSettings, unique: string): { bucket: s3.Bucket; accessLogsBucket: s3.IBucket } {
    const removalPolicy = settings.removalPolicy;
    const accessLogsBucket = props.accessLogsBucket ?? createAccessLogsBucket(this, 'AccessLogsBucket', {
      logsOf: 'the invocation log bucket', neverHolds: 'prompts or completions (those are in the SSE-KMS log bucket)', removalPolicy,
      expiration: settings.expiration, noncurrentVersionExpiration: settings.noncurrentVersionExpiration,
    });
    const versioned = props.versioned ?? true;
    const bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      // Bedrock's bucket policy only takes effect with ACLs disabled (Bedrock user guide): BUCKET_OWNER_ENFORCED.
      ...PRIVATE_VERSIONED_TLS_ONLY,
      versioned,
      objectLockEnabled: props.objectLock ? true : undefined,
      objectLockDefaultRetention: props.objectLock,
      removalPolicy,
      lifecycleRules: [{
        id: 'TierAndExpireInvocationLogs',
        transitions: [
          { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: settings.transitionToInfrequentAccessAfter },
          { storageClass: s3.StorageClass.GLACIER, transitionAfter: settings.transitionToGlacierAfter },
        ],
        expiration: settings.expiration,
        ...(versioned ? { noncurrentVersionExpiration: settings.noncurrentVersionExpiration } : {}),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      }],
    });
    this.enableServerAccessLogs(bucket, accessLogsBucket, `${unique}/`);
    // New log objects are published to EventBridge, so pipelines can react to them. Set on the L1:
    // the L2's eventBridgeEnabled would add a notifications custom resource and its Lambda.
    (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    acknowledgeBucketFindings(bucket, props.objectLock !== undefined);
    return { bucket, accessLogsBucket };
  }

  /**
   * Bedrock writes as its service principal under each prefix's `AWSLogs/<account>/` path (Bedrock
   * user guide, "Set up an Amazon S3 destination"), and encrypts with the bucket's key: the
   * statement the guide gives for SSE-KMS (kms:GenerateDataKey), plus kms:Decrypt, which S3 needs
   * for multipart uploads.
   */
  private allowBedrockToWriteBucket(settings: ValidatedSettings): void {
    const stack = Stack.of(this);
    const conditions = this.sourceConditions();
    const writePaths = [...new Set([settings.keyPrefix, settings.largeDataDeliveryKeyPrefix])].map((prefix) =>
      this.bucket.arnForObjects(`${prefix ? `${prefix}/` : ''}AWSLogs/${stack.account}/BedrockModelInvocationLogs/*`),
    );
    const bucketStatement = new iam.PolicyStatement({
      sid: 'AmazonBedrockLogsWrite',
      principals: [new iam.ServicePrincipal(BEDROCK_SERVICE)],
      actions: ['s3:PutObject'],
      resources: writePaths,
      conditions,
    });
    if (!this.bucket.addToResourcePolicy(bucketStatement).statementAdded) {
      this.warnImported('BucketPolicyNotManaged', 'bucket', this.bucket.bucketName, bucketStatement);
    }
    const bucketKey = this.bucket.encryptionKey;
    if (!bucketKey) return;
    const bedrockKeyStatement = new iam.PolicyStatement({
      sid: 'AllowBedrockToEncryptInvocationLogs',
      principals: [new iam.ServicePrincipal(BEDROCK_SERVICE)],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'],
      conditions,
    });
    if (!bucketKey.addToResourcePolicy(bedrockKeyStatement, true).statementAdded) {
      this.warnImported('BucketKeyPolicyNotManaged', "bucket's encryption key", bucketKey.keyArn, bedrockKeyStatement);
    }
  }

  /**
   * The role Bedrock assumes to write to the log group: one customer-managed policy (not inline:
   * NIST 800-53 / HIPAA / PCI IAMNoInlinePolicy) on the one stream Bedrock writes, attached through
   * the role's ManagedPolicyArns so the role exists only with its permissions.
   */
  private createLoggingRole(removalPolicy: RemovalPolicy): iam.Role {
    const loggingPolicy = new iam.ManagedPolicy(this, 'LoggingRolePolicy', {
      description: 'Lets Amazon Bedrock write model invocation logs to its log stream',
      statements: [new iam.PolicyStatement({
        sid: 'DeliverInvocationLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        // The one stream Bedrock writes, as the Bedrock user guide scopes it.
        resources: [Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: `${this.logGroup.logGroupName}:log-stream:${BEDROCK_LOG_STREAM}`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        })],
      })],
    });
    const loggingRole = new iam.Role(this, 'LoggingRole', {
      description: 'Lets Amazon Bedrock deliver model invocation logs to CloudWatch Logs',
      assumedBy: new iam.ServicePrincipal(BEDROCK_SERVICE, { conditions: this.sourceConditions() }),
      managedPolicies: [loggingPolicy],
    });
    loggingPolicy.applyRemovalPolicy(removalPolicy);
    loggingRole.applyRemovalPolicy(removalPolicy);
    return loggingRole;
  }

  /** The custom resource handler, its log group, and a role that may only put this setting and pass the logging role. */
  private createHandler(logGroupName: string, settings: ValidatedSettings, disableLoggingOnDelete: boolean, loggingRole: iam.IRole): lambda.Function {
    const handlerLogGroup = new logs.LogGroup(this, 'HandlerLogGroup', {
      logGroupName,
      encryptionKey: this.encryptionKey,
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    const handlerPolicy = new iam.ManagedPolicy(this, 'HandlerPolicy', {
      description: 'Lets the custom resource handler put the Amazon Bedrock model invocation logging configuration',
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [handlerLogGroup.logGroupArn],
        }),
        new iam.PolicyStatement({
          sid: 'ConfigureInvocationLogging',
          actions: [
            'bedrock:PutModelInvocationLoggingConfiguration',
            'bedrock:GetModelInvocationLoggingConfiguration',
            ...(disableLoggingOnDelete ? ['bedrock:DeleteModelInvocationLoggingConfiguration'] : []),
          ],
          // These actions have no resource type (Service Authorization Reference): '*' is the only
          // resource; the Region condition keeps the grant to this stack's Region.
          resources: ['*'],
          conditions: { StringEquals: { 'aws:RequestedRegion': Stack.of(this).region } },
        }),
        new iam.PolicyStatement({
          sid: 'PassLoggingRoleToBedrock',
          actions: ['iam:PassRole'],
          resources: [loggingRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': BEDROCK_SERVICE } },
        }),
      ],
    });
    GatewayCompliance.acknowledge(handlerPolicy, 'AwsSolutions-IAM5[Resource::*]',
      'bedrock:Put/Get/DeleteModelInvocationLoggingConfiguration support no resource-level permissions (no resource type in the '
      + 'Service Authorization Reference): the configuration is a per-account-and-Region setting without an ARN. The statement is '
      + 'limited to these actions and to this Region with aws:RequestedRegion.');
    const fn = new lambda.Function(this, 'Handler', {
      description: 'Puts the account-wide Amazon Bedrock model invocation logging configuration (cdk-ai-gateway)',
      runtime: BUNDLED_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      code: bundledHandler('invocation-logging'),
      handler: BUNDLED_HANDLER,
      role: new iam.Role(this, 'HandlerRole', {
        description: 'Puts the Amazon Bedrock model invocation logging configuration',
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        managedPolicies: [handlerPolicy],
      }),
      memorySize: 256,
      // Covers the SDK's retries, the IAM propagation retries and the response; the handler answers
      // CloudFormation before this deadline in every case.
      timeout: Duration.minutes(5),
      logGroup: handlerLogGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment: { NODE_OPTIONS: '--enable-source-maps' },
    });
    acknowledgeCustomResourceFunctionFindings(fn.node.defaultChild as lambda.CfnFunction, {
      invocation: 'once per create, update or delete of the model invocation logging custom resource',
      outsideVpc: 'It only calls the Amazon Bedrock control plane and the CloudFormation pre-signed response URL, handles no '
        + 'application data, and needs no VPC resource.',
    });
    return fn;
  }

  /** The custom resource that puts the setting, once every policy that lets Bedrock test-write exists. */
  private createSetting(fn: lambda.IFunction, properties: Record<string, string | boolean>, loggingRole: iam.IRole): void {
    const resource = new CustomResource(this, 'Resource', {
      resourceType: ModelInvocationLogging.RESOURCE_TYPE,
      serviceToken: fn.functionArn,
      serviceTimeout: Duration.minutes(10),
      properties: { ...properties, [PROPERTY.configHash]: this.configHash },
    });
    // Bedrock test-writes to both destinations when the configuration is put: every policy that
    // lets it must exist first.
    resource.node.addDependency(loggingRole, this.encryptionKey, this.logGroup, this.bucket);
    if (this.bucket.policy) resource.node.addDependency(this.bucket.policy);
  }

  /**
   * Grants reading the invocation logs: the bucket's objects under both prefixes (with
   * `kms:Decrypt` on the bucket's key when the bucket exposes it) and the log group's events.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const patterns = [...new Set([this.keyPrefix, this.largeDataDeliveryKeyPrefix])].map((prefix) => (prefix ? `${prefix}/*` : '*'));
    return patterns
      .map((pattern) => this.bucket.grantRead(grantee, pattern))
      .reduce((all, grant) => all.combine(grant))
      .combine(this.logGroup.grantRead(grantee));
  }

  /**
   * Server access logs delivered under a bucket policy (`logging.s3.amazonaws.com`, scoped to the
   * source bucket and account), set on the L1 so the result does not depend on the app's
   * `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` feature flag: without it, the L2 would switch
   * the target to ACLs, which the target's `BucketOwnerEnforced` ownership forbids.
   */
  private enableServerAccessLogs(source: s3.Bucket, target: s3.IBucket, prefix: string): void {
    const { statement, added } = enableServerAccessLogs(source, target, prefix);
    if (!added) this.warnImported('AccessLogsBucketPolicyNotManaged', 'accessLogsBucket', target.bucketName, statement);
  }

  /** A policy the construct needs but cannot write (an imported resource): say exactly what to add. */
  private warnImported(id: string, what: string, resource: string, statement: iam.PolicyStatement): void {
    Annotations.of(this).addWarningV2(
      `cdk-ai-gateway:invocationLogging:${id}`,
      `The ${what} (${resource}) is imported, so its policy cannot be changed here. Add this statement to it yourself, or log delivery fails: ${JSON.stringify(Stack.of(this).resolve(statement.toStatementJson()))}`,
    );
  }
}

/** The cdk-nag and Control Tower findings on the log bucket that it cannot fix, each with its reason. */
function acknowledgeBucketFindings(bucket: s3.IBucket, objectLockEnabled: boolean): void {
  acknowledgeNoReplication(bucket,
    'Amazon Bedrock delivers invocation logs only to a bucket in its own account and Region. Copying them to another Region is an organisation-level disaster-recovery decision (a destination bucket, key and replication role there) that this construct cannot make; versioning, and optionally Object Lock, protect the objects in place.');
  if (!objectLockEnabled) {
    GatewayCompliance.acknowledge(
      bucket,
      'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
      'Object Lock is opt-in (the objectLock prop): it cannot be switched off once enabled, and it prevents erasing logged prompts before the retention ends, which data-protection obligations may require. Versioning and the TLS-only, private, SSE-KMS bucket protect the logs meanwhile.',
    );
  }
}

/** The generated names of the log groups the construct creates, and the unique name they derive from. */
interface ResourceNames {
  readonly unique: string;
  /** The invocation log group's name (none with the `logGroup` prop). */
  readonly ownLogGroupName?: string;
  readonly handlerLogGroupName: string;
}

interface ValidatedSettings {
  readonly keyPrefix: string;
  readonly largeDataDeliveryKeyPrefix: string;
  readonly logRetention: logs.RetentionDays;
  readonly transitionToInfrequentAccessAfter: Duration;
  readonly transitionToGlacierAfter: Duration;
  readonly expiration: Duration;
  readonly noncurrentVersionExpiration: Duration;
  readonly removalPolicy: RemovalPolicy;
}

/** Every prop check, failing at synth with the prop, the value received and what is allowed. */
function validateProps(scope: Construct, props: ModelInvocationLoggingProps): ValidatedSettings {
  const fail = (message: string): never => {
    throw new AiGatewayValidationError(message, scope);
  };
  const stack = Stack.of(scope);

  const prefix = (name: string, value: string): string => {
    if (Token.isUnresolved(value)) return value;
    if (value.length > KEY_PREFIX_MAX) fail(`${name} must be at most ${KEY_PREFIX_MAX} characters, received ${value.length} characters.`);
    if (value.startsWith('/') || value.endsWith('/') || value.includes('//')) {
      fail(`${name} must not start or end with "/" nor contain "//" (Bedrock adds the separators), received '${value}'.`);
    }
    // S3's safe characters for object keys.
    if (!/^[A-Za-z0-9!\-_.*'()/]*$/.test(value)) {
      fail(`${name} may contain only letters, digits and !-_.*'()/ (S3's safe key characters), received '${value}'.`);
    }
    return value;
  };
  const keyPrefix = prefix('keyPrefix', props.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const largeDataDeliveryKeyPrefix = prefix('largeDataDeliveryKeyPrefix', props.largeDataDeliveryKeyPrefix ?? DEFAULT_LARGE_DATA_KEY_PREFIX);

  const days = (name: string, value: Duration | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (Token.isUnresolved(value.toSeconds())) fail(`${name} must be a concrete duration, received a token.`);
    const d = value.toDays({ integral: false });
    if (!Number.isInteger(d) || d < 1) fail(`${name} must be a whole number of days, at least 1, received ${value.toHumanString()}.`);
    return d;
  };
  const iaDays = days('transitionToInfrequentAccessAfter', props.transitionToInfrequentAccessAfter, DEFAULT_IA_DAYS);
  const glacierDays = days('transitionToGlacierAfter', props.transitionToGlacierAfter, DEFAULT_GLACIER_DAYS);
  const expirationDays = days('expiration', props.expiration, DEFAULT_EXPIRATION_DAYS);
  const noncurrentDays = days('noncurrentVersionExpiration', props.noncurrentVersionExpiration, DEFAULT_NONCURRENT_DAYS);
  if (iaDays < MIN_IA_DAYS) {
    fail(`transitionToInfrequentAccessAfter must be at least ${MIN_IA_DAYS} days (S3 keeps objects in Standard that long before Standard-IA), received ${iaDays} days.`);
  }
  if (glacierDays < iaDays + MIN_DAYS_IN_IA) {
    fail(
      `transitionToGlacierAfter must be at least ${MIN_DAYS_IN_IA} days after transitionToInfrequentAccessAfter (${iaDays} days), so at least ${iaDays + MIN_DAYS_IN_IA} days, received ${glacierDays} days.`,
    );
  }
  if (expirationDays <= glacierDays) {
    fail(`expiration must be later than transitionToGlacierAfter (${glacierDays} days), received ${expirationDays} days.`);
  }

  const versioned = props.versioned ?? true;
  if (props.objectLock) {
    if (!versioned) fail('objectLock requires versioning (S3 Object Lock works on object versions), received versioned: false. Remove versioned: false or objectLock.');
    const lockDays = props.objectLock.duration.toDays({ integral: false });
    if (!Number.isInteger(lockDays)) fail(`objectLock retention must be a whole number of days, received ${props.objectLock.duration.toHumanString()}.`);
    if (lockDays > expirationDays) {
      fail(`objectLock retention (${lockDays} days) must not exceed expiration (${expirationDays} days): locked objects cannot expire. Raise expiration or shorten the retention.`);
    }
  }

  // Props that only configure resources the construct creates: silently ignoring them would be worse.
  if (props.bucket) {
    const bucketOnly: (keyof ModelInvocationLoggingProps)[] = [
      'versioned',
      'objectLock',
      'transitionToInfrequentAccessAfter',
      'transitionToGlacierAfter',
      'expiration',
      'noncurrentVersionExpiration',
      'accessLogsBucket',
    ];
    const given = bucketOnly.filter((p) => props[p] !== undefined);
    if (given.length > 0) {
      fail(`${given.join(', ')} configure${given.length === 1 ? 's' : ''} only the bucket the construct creates, and bucket was provided: configure your bucket directly, or remove bucket.`);
    }
    sameEnvironment('bucket', props.bucket, stack, fail);
  }
  if (props.logGroup) {
    if (props.logRetention !== undefined) {
      // It would only reach the handler's own log group: a user expecting it on theirs would be misled.
      fail(
        "logRetention configures only the log groups the construct creates, and logGroup was provided: set the retention on your log group (the handler's own log group keeps the default of one year), or remove logGroup.",
      );
    }
    sameEnvironment('logGroup', props.logGroup, stack, fail);
  }

  const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
  if (logRetention === logs.RetentionDays.INFINITE) {
    fail('logRetention must be a finite retention (the logs hold every prompt of the account), received RetentionDays.INFINITE. Keep long-term copies in the bucket instead.');
  }

  const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
  const allowedRemoval = [RemovalPolicy.RETAIN, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, RemovalPolicy.DESTROY];
  if (!allowedRemoval.includes(removalPolicy)) {
    fail(`removalPolicy must be one of ${allowedRemoval.join(', ')} (buckets, keys and log groups have no snapshots), received ${removalPolicy}.`);
  }

  return {
    keyPrefix,
    largeDataDeliveryKeyPrefix,
    logRetention,
    transitionToInfrequentAccessAfter: Duration.days(iaDays),
    transitionToGlacierAfter: Duration.days(glacierDays),
    expiration: Duration.days(expirationDays),
    noncurrentVersionExpiration: Duration.days(noncurrentDays),
    removalPolicy,
  };
}

/** Bedrock delivers only to destinations in its own account and Region. */
function sameEnvironment(name: string, resource: s3.IBucket | logs.ILogGroup, stack: Stack, fail: (message: string) => never): void {
  const { account, region } = resource.env;
  if (!Token.isUnresolved(account) && !Token.isUnresolved(stack.account) && account !== stack.account) {
    fail(`${name} must be in the stack's account (${stack.account}): Bedrock delivers only within its account, received account ${account}.`);
  }
  if (!Token.isUnresolved(region) && !Token.isUnresolved(stack.region) && region !== stack.region) {
    fail(`${name} must be in the stack's Region (${stack.region}): Bedrock delivers only within its Region, received Region ${region}.`);
  }
}
