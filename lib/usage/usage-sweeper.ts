import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { BUNDLED_HANDLER, BUNDLED_RUNTIME, bundledHandler } from '../private/assets';
import { AiGatewayValidationError } from '../private/errors';
import { acknowledgeImportedSubnets, acknowledgeOutsideVpc } from '../private/function-compliance';
import { httpsOnlySecurityGroup } from '../private/gateway-egress';
import { FunctionExecutionRole } from '../private/function-role';
import { encryptedLogGroup } from '../private/kms';
import { lambdaScheduleTarget } from '../private/scheduler-role';
import { UsageTable } from './usage-table';

/** Properties of a {@link UsageSweeper}. */
export interface UsageSweeperProps {
  /** The usage table whose expired in-flight requests the sweeper settles. */
  readonly usageTable: UsageTable;

  /**
   * The router function's timeout. In-flight items expire at it; the sweeper runs every
   * `UsageSweeper.SCHEDULE_INTERVAL` and finishes within `UsageSweeper.SWEEP_TIMEOUT`, so a dead
   * invocation's reservation is settled within the timeout plus about 90 seconds, which is at most
   * twice the timeout for the timeouts allowed here (at least `UsageSweeper.MIN_ROUTER_TIMEOUT`).
   */
  readonly routerTimeout: Duration;

  /**
   * The KMS key of the sweeper's log group.
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How long the sweeper function's logs are kept.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the sweeper's key and log group when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Run the sweeper in this VPC (it calls only DynamoDB; give the VPC a DynamoDB endpoint or a NAT).
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of `vpc`.
   * @default - the VPC's private subnets with egress, else its isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the sweeper in `vpc`.
   * @default - a new security group (`securityGroup`) without ingress whose only egress is HTTPS
   * (TCP 443): the sweeper calls only DynamoDB
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * Settles what a dead router invocation left open (a Lambda timeout, an out-of-memory kill, a
 * crash between the budget reservation and the usage record): EventBridge Scheduler invokes a
 * small function every minute, which reads the usage table's expired in-flight items, releases
 * each reservation and writes one `abandoned` usage record at the reservation's estimated cost, in
 * one idempotent transaction per request.
 *
 * Failed runs are retried by Lambda and then kept in an encrypted dead-letter queue (as are events
 * the scheduler could not deliver); the next run sweeps again whatever is still expired. The
 * function has a reserved concurrency of 1 and may only query, read and write the usage table.
 *
 * @example
 * const usage = new UsageTable(this, 'Usage');
 * new UsageSweeper(this, 'Sweeper', { usageTable: usage, routerTimeout: Duration.minutes(15) });
 */
export class UsageSweeper extends Construct {
  /** How often the sweeper runs. */
  public static readonly SCHEDULE_INTERVAL = Duration.minutes(1);
  /** The sweeper function's timeout (it stops starting new items after 20 seconds). */
  public static readonly SWEEP_TIMEOUT = Duration.seconds(30);
  /**
   * The shortest router timeout the sweeper settles within twice that timeout: the schedule
   * interval plus the sweep timeout.
   */
  public static readonly MIN_ROUTER_TIMEOUT = Duration.seconds(90);

  /** The sweeper function. */
  public readonly function: lambda.Function;
  /** The schedule that invokes it. */
  public readonly schedule: scheduler.Schedule;
  /** Failed sweeps and undeliverable schedule events. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The function's log group: one summary line per run, one line per settled request. */
  public readonly logGroup: logs.ILogGroup;

  /** The security group this construct created, when it runs in a VPC without `securityGroups`. */
  public readonly securityGroup?: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: UsageSweeperProps) {
    super(scope, id);
    const timeout = props.routerTimeout;
    if (!timeout.isUnresolved() && timeout.toSeconds() < UsageSweeper.MIN_ROUTER_TIMEOUT.toSeconds()) {
      throw new AiGatewayValidationError(
        `routerTimeout must be at least ${UsageSweeper.MIN_ROUTER_TIMEOUT.toHumanString()} for the usage sweeper (every `
        + `${UsageSweeper.SCHEDULE_INTERVAL.toHumanString()}, up to ${UsageSweeper.SWEEP_TIMEOUT.toHumanString()} a run) to settle a dead `
        + `invocation within twice the router timeout, received ${timeout.toHumanString()}.`, this);
    }
    if ((props.vpcSubnets || props.securityGroups) && !props.vpc) {
      throw new AiGatewayValidationError('vpcSubnets and securityGroups need vpc: without it the sweeper runs outside a VPC.', this);
    }
    if (props.vpc && !props.securityGroups) {
      this.securityGroup = httpsOnlySecurityGroup(this, props.vpc, 'usage sweeper', 'Amazon DynamoDB');
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const { logGroup } = encryptedLogGroup(this, 'Logs', {
      key: props.encryptionKey,
      keyId: 'Key',
      purpose: 'the cdk-ai-gateway usage sweeper logs',
      retention: props.logRetention,
      removalPolicy,
    });
    this.logGroup = logGroup;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const dlqReason = 'This queue is itself the dead-letter queue of the usage sweeper: Lambda sends it the sweeps that failed '
      + 'after their retries, and EventBridge Scheduler the invocations it could not deliver. A message here is for an operator to '
      + 'read (the next scheduled sweep settles the same requests again), so it gets no further dead-letter queue.';
    for (const findingId of ['Serverless-SQSRedrivePolicy', 'CT.SQS.PR.1']) {
      GatewayCompliance.acknowledge(this.deadLetterQueue, findingId, dlqReason);
    }

    const role = new FunctionExecutionRole(this, 'Role', {
      purpose: `the cdk-ai-gateway usage sweeper ${this.node.path}`,
      logGroup: this.logGroup,
      tracing: true,
      vpc: props.vpc !== undefined,
    });
    this.function = new lambda.Function(this, 'Function', {
      description: 'cdk-ai-gateway usage sweeper: settles the reservations of router invocations that died',
      runtime: BUNDLED_RUNTIME,
      role,
      architecture: lambda.Architecture.ARM_64,
      code: bundledHandler('usage-sweeper'),
      handler: BUNDLED_HANDLER,
      memorySize: 256,
      timeout: UsageSweeper.SWEEP_TIMEOUT,
      // One sweep at a time: two would race on the same items (harmlessly, but for nothing).
      reservedConcurrentExecutions: 1,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      deadLetterQueue: this.deadLetterQueue,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: 2,
      // A sweep older than the next one is pointless.
      maxEventAge: Duration.minutes(2),
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
      securityGroups: props.securityGroups ?? (this.securityGroup ? [this.securityGroup] : undefined),
      environment: props.usageTable.routerEnvironment(),
    });
    props.usageTable.grantSweep(this.function);
    acknowledgeImportedSubnets(this.function);
    if (!props.vpc) {
      acknowledgeOutsideVpc(this.function.node.defaultChild!, 'The usage sweeper runs outside a VPC because the vpc prop is unset: it '
        + 'calls only Amazon DynamoDB (the usage table) over its TLS endpoint, every request signed with SigV4 and authorized by its '
        + 'execution role, and reaches no private network resource. Setting vpc places it in private subnets of your VPC.');
    }

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Runs the cdk-ai-gateway usage sweeper',
      schedule: scheduler.ScheduleExpression.rate(UsageSweeper.SCHEDULE_INTERVAL),
      target: lambdaScheduleTarget(this, this.function, {
        purpose: 'the cdk-ai-gateway usage sweeper', deadLetterQueue: this.deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.minutes(1),
      }),
    });
  }

  /** Grants `grantee` reading the dead-letter queue (for an operator's tooling). */
  public grantReadDeadLetters(grantee: iam.IGrantable): iam.Grant {
    return this.deadLetterQueue.grantConsumeMessages(grantee);
  }
}
