import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  BATCH_BUCKET_ENV, BATCH_BUCKET_PREFIXES, BATCH_KEY_ENV, BATCH_MAX_RUNNING_ENV, BATCH_ROLE_ENV, BATCH_TABLE_ENV, BATCH_TABLE_KEYS,
  BATCH_TABLE_LIST_INDEX, BATCH_TABLE_OPEN_INDEX, BATCH_TICK_EVENT,
} from '../../lambda/shared/batch-table-schema';
import type { TenantInferenceProfiles } from '../bedrock/inference-profiles/tenant-inference-profiles';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { flattenValue } from '../compliance/rules/iam-statements';
import type { GatewayApi } from '../gateway/gateway-api';
import type { GatewayRouter } from '../gateway/gateway-router';
import { acknowledgeNoReplication, createAccessLogsBucket, enableServerAccessLogs, PRIVATE_VERSIONED_TLS_ONLY } from '../private/access-logs';
import { AiGatewayValidationError } from '../private/errors';
import { acknowledgeCrossRegionModelArns } from '../private/function-compliance';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { lambdaScheduleTarget } from '../private/scheduler-role';
import { acknowledgeNotInBackupPlan, secureTableProps } from '../private/tables';

export interface BatchRouteProps {
  /** The router: it answers `/v1/files` and `/v1/batches`, and its code runs the batch worker. */
  readonly router: GatewayRouter;
  /** Encrypts the batch bucket and table (and Bedrock's job outputs). */
  readonly encryptionKey: kms.IKey;
  /**
   * Batches of one tenant that run at once (the others wait in `in_progress`).
   * @default 2
   */
  readonly maxRunningBatchesPerTenant?: number;
  /**
   * How long files (inputs, outputs, job files) are kept in the bucket.
   * @default Duration.days(30)
   */
  readonly retention?: Duration;
  /**
   * Where the batch bucket's server access logs go.
   * @default - a new SSE-S3 bucket (server access logs cannot be written with a KMS key)
   */
  readonly accessLogsBucket?: s3.IBucket;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The deployed batch route: the KMS-encrypted bucket of batch files and Bedrock job files, the
 * batch state table, the Bedrock batch service role (assumable by bedrock.amazonaws.com for this
 * account's jobs only; reads the job inputs, writes the job outputs), and the batch worker (the
 * router's code, `index.batchHandler`) invoked by the `Batch Inference Job State Change` rule and
 * by a tick every `TICK_INTERVAL`. Give it the models its jobs may run with `addModels(profiles)`
 * (the service role invokes them; the router starts jobs on exactly them).
 *
 * @example
 * const batch = new BatchRoute(this, 'Batch', { router, encryptionKey: key });
 * batch.addModels(profiles);
 */
export class BatchRoute extends Construct {
  /** How often the worker's tick runs (starts waiting batches, expires old ones). */
  public static readonly TICK_INTERVAL = Duration.minutes(5);
  /** The worker's timeout: what a tick or an event may take (the next tick resumes the rest). */
  public static readonly WORKER_TIMEOUT = Duration.minutes(15);
  /** Files and state are kept this long unless told otherwise. */
  public static readonly DEFAULT_RETENTION = Duration.days(30);

  public readonly bucket: s3.Bucket;
  public readonly table: dynamodb.Table;
  /** The role Bedrock batch inference jobs run as. */
  public readonly serviceRole: iam.Role;
  /** The router whose code answers the Batch API and runs the worker. */
  private readonly router: GatewayRouter;
  /** The batch worker function. */
  public readonly worker: lambda.Function;
  /** The rule that sends Bedrock's job state changes to the worker. */
  public readonly jobStateRule: events.Rule;
  /** The tick. */
  public readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: BatchRouteProps) {
    super(scope, id);
    const maxRunning = props.maxRunningBatchesPerTenant ?? 2;
    if (!Number.isInteger(maxRunning) || maxRunning < 1 || maxRunning > 100) {
      throw new AiGatewayValidationError(`maxRunningBatchesPerTenant must be an integer from 1 to 100, received ${maxRunning}.`, this);
    }
    const retention = props.retention ?? BatchRoute.DEFAULT_RETENTION;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.bucket = this.createBucket(props, retention, removalPolicy);
    this.table = this.createTable(props.encryptionKey, removalPolicy);
    this.serviceRole = this.createServiceRole(props.encryptionKey);

    const environment = {
      [BATCH_TABLE_ENV]: this.table.tableName,
      [BATCH_BUCKET_ENV]: this.bucket.bucketName,
      [BATCH_ROLE_ENV]: this.serviceRole.roleArn,
      [BATCH_KEY_ENV]: props.encryptionKey.keyArn,
      [BATCH_MAX_RUNNING_ENV]: String(maxRunning),
    };
    for (const [name, value] of Object.entries(environment)) props.router.function.addEnvironment(name, value);
    // Failed worker invocations (an event retried to exhaustion, an undeliverable rule target) for an operator.
    const deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    for (const findingId of ['Serverless-SQSRedrivePolicy', 'CT.SQS.PR.1']) {
      GatewayCompliance.acknowledge(deadLetterQueue, findingId, 'This queue is itself the dead-letter queue of the batch worker and its job '
        + 'state rule: a message here is for an operator to read (the next tick resumes the batch anyway), so it gets no further dead-letter queue.');
    }
    this.worker = props.router.addWorker('BatchWorker', {
      deadLetterQueue,
      // One tick and a few job events at once: the tick is the only writer of new jobs.
      reservedConcurrentExecutions: 4,
      handler: 'index.batchHandler',
      description: 'cdk-ai-gateway batch worker: settles Bedrock batch jobs, starts, resumes and expires batches',
      timeout: BatchRoute.WORKER_TIMEOUT,
      environment,
    });

    // The router and the worker share one role: the state, the bucket, the jobs.
    this.router = props.router;
    this.grantRouter(props.encryptionKey);

    this.jobStateRule = new events.Rule(this, 'JobStateRule', {
      description: 'Bedrock batch inference job state changes to the cdk-ai-gateway batch worker',
      eventPattern: { source: ['aws.bedrock'], detailType: ['Batch Inference Job State Change'] },
      targets: [new eventsTargets.LambdaFunction(this.worker, { retryAttempts: 8, maxEventAge: Duration.hours(24), deadLetterQueue })],
    });

    this.schedule = new scheduler.Schedule(this, 'Tick', {
      description: 'The cdk-ai-gateway batch worker tick',
      schedule: scheduler.ScheduleExpression.rate(BatchRoute.TICK_INTERVAL),
      target: lambdaScheduleTarget(this, this.worker, {
        purpose: 'the cdk-ai-gateway batch worker', deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.minutes(5),
        input: scheduler.ScheduleTargetInput.fromObject(BATCH_TICK_EVENT),
      }),
    });
  }

  /**
   * Lets batch jobs run the models of `profiles` (the gateway's tenant inference profiles): the
   * service role invokes them, and the router starts jobs on exactly them. Without it, no Bedrock
   * job can start and every line runs on demand.
   */
  public addModels(profiles: TenantInferenceProfiles): void {
    acknowledgeCrossRegionModelArns(profiles.grantInvoke(this.serviceRole), this.serviceRole);
    acknowledgeCrossRegionModelArns(profiles.grantCreateBatchJobs(this.router), this.router);
    const jobs = this.jobArns();
    GatewayCompliance.acknowledge(this.routerPolicy(), `AiGateway-BedrockModelAccessScoped[Resource::${flattenValue(Stack.of(this).resolve(jobs))}]`,
      'bedrock:CreateModelInvocationJob is authorized against the new job\'s ARN, whose id Bedrock generates at creation, so the '
      + 'statement names every job of this account and Region; the model a job may call is scoped by the same statement, which '
      + 'names exactly the tenants\' application inference profiles and the foundation models they route to.');
  }

  /** Routes the Batch API's paths of `api` to the router, behind its authorizer. */
  public addApiRoutes(api: GatewayApi): void {
    for (const [method, path] of API_ROUTES) api.addRoute(method, path);
  }

  /** The KMS-encrypted batch bucket (expired per prefix), its server access logs, and the findings it cannot fix. */
  private createBucket(props: BatchRouteProps, retention: Duration, removalPolicy: RemovalPolicy): s3.Bucket {
    const bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      ...PRIVATE_VERSIONED_TLS_ONLY,
      removalPolicy,
      lifecycleRules: Object.entries(BATCH_BUCKET_PREFIXES).map(([name, prefix]) => ({
        id: `Expire-${name}`, prefix, expiration: retention, noncurrentVersionExpiration: Duration.days(1), abortIncompleteMultipartUploadAfter: Duration.days(1),
      })),
    });
    const accessLogs = props.accessLogsBucket ?? createAccessLogsBucket(this, 'AccessLogsBucket', {
      logsOf: 'the batch bucket', neverHolds: 'batch files or answers (those are in the SSE-KMS batch bucket)', removalPolicy,
    });
    const { statement, added } = enableServerAccessLogs(bucket, accessLogs, 'batch/');
    if (!added) {
      Annotations.of(this).addWarningV2('cdk-ai-gateway:batch:AccessLogsBucketPolicyNotManaged',
        `The accessLogsBucket is imported: add this statement to its policy, or access log delivery fails: ${JSON.stringify(Stack.of(this).resolve(statement.toStatementJson()))}`);
    }
    const working = 'The batch bucket holds working files of batches (inputs, outputs, Bedrock job files) that expire with the batch retention';
    acknowledgeNoReplication(bucket, `${working}; they are kept in the Region of the gateway and of the Bedrock jobs that read them, and `
      + 'replicating tenant prompts and answers to another Region would copy them out of their Region for no recovery need (a lost batch is submitted again). Versioning protects them in place.');
    GatewayCompliance.acknowledge(bucket, 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
      `${working}; a tenant's erasure request and the retention's expiry must be able to delete them, which Object Lock would forbid. The bucket is versioned, private, TLS-only and SSE-KMS.`);
    GatewayCompliance.acknowledge(bucket, 'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
      `${working}; nothing reacts to new objects: Bedrock job state changes arrive by EventBridge from Bedrock itself, and the worker's tick resumes every batch.`);
    return bucket;
  }

  /** The batch state table and its listing and unfinished-batch indexes. */
  private createTable(encryptionKey: kms.IKey, removalPolicy: RemovalPolicy): dynamodb.Table {
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: BATCH_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: BATCH_TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: BATCH_TABLE_KEYS.timeToLive,
      ...secureTableProps({ encryptionKey, removalPolicy }),
    });
    for (const index of [BATCH_TABLE_LIST_INDEX, BATCH_TABLE_OPEN_INDEX]) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
      });
    }
    acknowledgeNotInBackupPlan(table, 'The batch state table is in no AWS Backup plan of this stack: its items are working state of batches '
      + 'that finish within 24 hours and expire with their files', { removalPolicy });
    return table;
  }

  /**
   * The role Bedrock batch inference jobs run as: assumable by Bedrock for this account's jobs only
   * (confused-deputy conditions); reads job inputs and writes job outputs under the jobs prefix.
   */
  private createServiceRole(encryptionKey: kms.IKey): ManagedPolicyRole {
    const stack = Stack.of(this);
    const role = new ManagedPolicyRole(this, 'ServiceRole', {
      description: `Bedrock batch inference jobs of the cdk-ai-gateway batch route ${this.node.path}`,
      policyDescription: 'Read batch job inputs, write batch job outputs, under the jobs prefix of the batch bucket; invoke the tenants\' models',
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': this.jobArns() },
        },
      }),
    });
    const inputs = this.bucket.arnForObjects(`${BATCH_BUCKET_PREFIXES.jobs}*/input.jsonl`);
    const outputs = this.bucket.arnForObjects(`${BATCH_BUCKET_PREFIXES.jobs}*/output/*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadInputs', actions: ['s3:GetObject'], resources: [inputs] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'WriteOutputs', actions: ['s3:PutObject'], resources: [outputs] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ListJobs', actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${BATCH_BUCKET_PREFIXES.jobs}*`] } },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'BucketKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
    }));
    for (const [resource, what] of [[inputs, 'reads each job\'s input file'], [outputs, 'writes each job\'s output files']] as const) {
      GatewayCompliance.acknowledge(role.grantsPolicy, GatewayCompliance.wildcardResourceFindingId(role, resource),
        `Bedrock ${what} under '${BATCH_BUCKET_PREFIXES.jobs}<job name>/' of the batch bucket: job names are made per batch at run time, so the grant `
        + 'is the jobs prefix of this one bucket, and the role is assumable only by Bedrock for this account\'s batch inference jobs.');
    }
    return role;
  }

  /**
   * The router's (and worker's) access, each action named: the state table and its two indexes
   * (GetItem, PutItem, Query), the batch bucket's prefixes (GetObject, PutObject; ListBucket of the
   * jobs prefix), the key, passing the service role, and stopping jobs.
   */
  private grantRouter(encryptionKey: kms.IKey): void {
    const router = this.router.grantPrincipal;
    const table = this.table.tableArn;
    iam.Grant.addToPrincipal({
      grantee: router, actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      resourceArns: [table, `${table}/index/${BATCH_TABLE_LIST_INDEX.name}`, `${table}/index/${BATCH_TABLE_OPEN_INDEX.name}`],
    });
    encryptionKey.grant(router, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    const prefixes = Object.values(BATCH_BUCKET_PREFIXES).map((prefix) => this.bucket.arnForObjects(`${prefix}*`));
    iam.Grant.addToPrincipal({ grantee: router, actions: ['s3:GetObject', 's3:PutObject'], resourceArns: prefixes });
    router.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${BATCH_BUCKET_PREFIXES.jobs}*`] } },
    }));
    router.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['bedrock:StopModelInvocationJob'], resources: [this.jobArns()] }));
    this.serviceRole.grantPassRole(router);

    const policy = this.routerPolicy();
    for (const [prefix, resource] of Object.values(BATCH_BUCKET_PREFIXES).map((p, i) => [p, prefixes[i]] as const)) {
      GatewayCompliance.acknowledge(policy, GatewayCompliance.wildcardResourceFindingId(policy, resource),
        `The router reads and writes batch objects under '${prefix}' of the batch bucket (one object per file, job or spilled list, `
        + 'named by ids made at run time): the keys are not known in advance, so the grant is the prefix, on this one bucket only.');
    }
    GatewayCompliance.acknowledge(policy, GatewayCompliance.wildcardResourceFindingId(policy, this.jobArns()),
      'Bedrock batch inference job ARNs end in an id Bedrock generates when the job is created, so starting and stopping the batch route\'s '
      + 'jobs needs every job ARN of this account and Region; the models a job may call are named in the same grant.');
  }

  /** Every batch inference job of this account and Region: their ids are generated by Bedrock. */
  private jobArns(): string {
    return Stack.of(this).formatArn({ service: 'bedrock', resource: 'model-invocation-job', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  }

  /** The router role's customer-managed policy (where its grants land). */
  private routerPolicy(): iam.ManagedPolicy {
    const role = this.router.role;
    if (!(role instanceof ManagedPolicyRole)) throw new AiGatewayValidationError('BatchRoute needs the router\'s own execution role (GatewayRouter creates one).', this);
    return role.grantsPolicy;
  }
}

const API_ROUTES: readonly (readonly [string, string])[] = [
  ['POST', '/v1/files'], ['GET', '/v1/files/{file_id}'], ['GET', '/v1/files/{file_id}/content'],
  ['POST', '/v1/files/uploads'], ['POST', '/v1/files/uploads/{file_id}/complete'],
  ['POST', '/v1/batches'], ['GET', '/v1/batches'], ['GET', '/v1/batches/{batch_id}'], ['POST', '/v1/batches/{batch_id}/cancel'],
];
