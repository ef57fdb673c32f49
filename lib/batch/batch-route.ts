import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import {
  BATCH_BUCKET_ENV, BATCH_BUCKET_PREFIXES, BATCH_KEY_ENV, BATCH_MAX_RUNNING_ENV, BATCH_ROLE_ENV, BATCH_TABLE_ENV, BATCH_TABLE_KEYS,
  BATCH_TABLE_LIST_INDEX, BATCH_TABLE_OPEN_INDEX, BATCH_TICK_EVENT,
} from '../../lambda/shared/batch-table-schema';
import type { GatewayApi } from '../gateway/gateway-api';
import type { GatewayRouter } from '../gateway/gateway-router';
import { enableServerAccessLogs } from '../private/access-logs';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { AiGatewayValidationError } from '../private/errors';
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
 * by a tick every `TICK_INTERVAL`. Grant the service role the models it may invoke
 * (`TenantInferenceProfiles.grantInvoke(route.serviceRole)`).
 *
 * @example
 * const batch = new BatchRoute(this, 'Batch', { router, encryptionKey: key });
 * profiles.grantInvoke(batch.serviceRole);
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
    const stack = Stack.of(this);

    const accessLogs = props.accessLogsBucket ?? new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy,
      lifecycleRules: Object.entries(BATCH_BUCKET_PREFIXES).map(([name, prefix]) => ({
        id: `Expire-${name}`, prefix, expiration: retention, noncurrentVersionExpiration: Duration.days(1), abortIncompleteMultipartUploadAfter: Duration.days(1),
      })),
    });

    enableServerAccessLogs(this.bucket, accessLogs, 'batch/');

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: BATCH_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: BATCH_TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: BATCH_TABLE_KEYS.timeToLive,
      ...secureTableProps({ encryptionKey: props.encryptionKey, removalPolicy }),
    });
    this.table.addGlobalSecondaryIndex({
      indexName: BATCH_TABLE_LIST_INDEX.name,
      partitionKey: { name: BATCH_TABLE_LIST_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: BATCH_TABLE_LIST_INDEX.sortKey, type: dynamodb.AttributeType.STRING },
    });
    this.table.addGlobalSecondaryIndex({
      indexName: BATCH_TABLE_OPEN_INDEX.name,
      partitionKey: { name: BATCH_TABLE_OPEN_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: BATCH_TABLE_OPEN_INDEX.sortKey, type: dynamodb.AttributeType.STRING },
    });
    acknowledgeNotInBackupPlan(this.table, 'The batch state table is in no AWS Backup plan of this stack: its items are working state of batches '
      + 'that finish within 24 hours and expire with their files', { removalPolicy });

    // Bedrock assumes the role for this account's batch inference jobs only (confused-deputy conditions).
    this.serviceRole = new iam.Role(this, 'ServiceRole', {
      description: `Bedrock batch inference jobs of the cdk-ai-gateway batch route ${this.node.path}`,
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'bedrock', resource: 'model-invocation-job', resourceName: '*' }) },
        },
      }),
    });
    const jobs = `${this.bucket.bucketArn}/${BATCH_BUCKET_PREFIXES.jobs}`;
    this.serviceRole.addManagedPolicy(new iam.ManagedPolicy(this, 'ServicePolicy', {
      description: 'Read batch job inputs, write batch job outputs, under the jobs prefix of the batch bucket',
      statements: [
        new iam.PolicyStatement({ sid: 'ReadInputs', actions: ['s3:GetObject'], resources: [`${jobs}*/input.jsonl`] }),
        new iam.PolicyStatement({ sid: 'WriteOutputs', actions: ['s3:PutObject'], resources: [`${jobs}*/output/*`] }),
        new iam.PolicyStatement({
          sid: 'ListJobs', actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${BATCH_BUCKET_PREFIXES.jobs}*`] } },
        }),
        new iam.PolicyStatement({
          sid: 'BucketKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [props.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
      ],
    }));

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
    this.table.grantReadWriteData(props.router);
    this.bucket.grantReadWrite(props.router);
    props.router.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['bedrock:CreateModelInvocationJob', 'bedrock:StopModelInvocationJob', 'bedrock:GetModelInvocationJob'],
      resources: [
        stack.formatArn({ service: 'bedrock', resource: 'model-invocation-job', resourceName: '*' }),
        // CreateModelInvocationJob is also authorized on the model the job calls; the service role limits which it may invoke.
        stack.formatArn({ service: 'bedrock', resource: 'foundation-model', account: '', resourceName: '*' }),
        stack.formatArn({ service: 'bedrock', resource: 'application-inference-profile', resourceName: '*' }),
      ],
    }));
    this.serviceRole.grantPassRole(props.router.grantPrincipal);

    this.jobStateRule = new events.Rule(this, 'JobStateRule', {
      description: 'Bedrock batch inference job state changes to the cdk-ai-gateway batch worker',
      eventPattern: { source: ['aws.bedrock'], detailType: ['Batch Inference Job State Change'] },
      targets: [new eventsTargets.LambdaFunction(this.worker, { retryAttempts: 8, maxEventAge: Duration.hours(24), deadLetterQueue })],
    });

    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: `Lets EventBridge Scheduler invoke the cdk-ai-gateway batch worker ${this.node.path}`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
    });
    schedulerRole.addManagedPolicy(new iam.ManagedPolicy(this, 'SchedulerPolicy', {
      description: 'Invoke the batch worker',
      statements: [
        new iam.PolicyStatement({ sid: 'InvokeWorker', actions: ['lambda:InvokeFunction'], resources: [this.worker.functionArn] }),
        new iam.PolicyStatement({ sid: 'DeadLetters', actions: ['sqs:SendMessage'], resources: [deadLetterQueue.queueArn] }),
      ],
    }));
    this.schedule = new scheduler.Schedule(this, 'Tick', {
      description: 'The cdk-ai-gateway batch worker tick',
      schedule: scheduler.ScheduleExpression.rate(BatchRoute.TICK_INTERVAL),
      target: new schedulerTargets.LambdaInvoke(this.worker, {
        input: scheduler.ScheduleTargetInput.fromObject(BATCH_TICK_EVENT),
        deadLetterQueue,
        role: iam.Role.fromRoleArn(this, 'SchedulerRoleRef', schedulerRole.roleArn, { mutable: false }),
        retryAttempts: 2,
        maxEventAge: Duration.minutes(5),
      }),
    });
  }

  /** Routes the Batch API's paths of `api` to the router, behind its authorizer. */
  public addApiRoutes(api: GatewayApi): void {
    for (const [method, path] of API_ROUTES) api.addRoute(method, path);
  }
}

const API_ROUTES: readonly (readonly [string, string])[] = [
  ['POST', '/v1/files'], ['GET', '/v1/files/{file_id}'], ['GET', '/v1/files/{file_id}/content'],
  ['POST', '/v1/files/uploads'], ['POST', '/v1/files/uploads/{file_id}/complete'],
  ['POST', '/v1/batches'], ['GET', '/v1/batches'], ['GET', '/v1/batches/{batch_id}'], ['POST', '/v1/batches/{batch_id}/cancel'],
];
