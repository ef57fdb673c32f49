import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PromptConfig } from '../../lambda/shared/config';
import {
  CanaryMetric, PROMPT_PARTITION_PATTERN, ROLLBACK_ALARMS_ENV, RollbackSpec,
} from '../../lambda/shared/prompt-label-schema';
import { USAGE_TABLE_ENV } from '../../lambda/shared/usage-table-schema';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { METRICS_NAMESPACE, PROMPT_METRIC_DIMENSIONS } from '../private/telemetry-conventions';
import { BUNDLED_HANDLER, BUNDLED_RUNTIME, bundledHandler } from '../private/assets';
import { AiGatewayValidationError } from '../private/errors';
import { FunctionExecutionRole } from '../private/function-role';
import { encryptedLogGroup, newKey } from '../private/kms';
import { UsageTable } from '../usage/usage-table';
import { PromptRegistry } from './prompt-registry';

export { CanaryMetric };

/** A canary label whose version is rolled back when its alarms fire. */
export interface PromptCanary {
  /** The prompt's id (a prompt of the registry). */
  readonly promptId: string;

  /** The label that carries the canary (a label of the prompt). */
  readonly label: string;

  /**
   * The version the label goes back to.
   * @default - with a weighted label, the highest other version of its split; with a one-version
   * label, the highest version of the prompt below it
   */
  readonly rollbackVersion?: number;

  /**
   * Errors (upstream, stream and gateway failures; not refusals) in percent of the canary
   * version's requests above which the label is rolled back.
   * @default 5
   */
  readonly maxErrorRatePercent?: number;

  /**
   * Requests the canary version refused (its variables, its rendered size or its routes) in percent
   * of its requests above which the label is rolled back.
   * @default 10
   */
  readonly maxValidationFailureRatePercent?: number;

  /**
   * Cost in USD per request of the canary version above which the label is rolled back.
   * @default - no cost alarm
   */
  readonly maxCostPerRequestUsd?: number;

  /**
   * Requests of the canary version in one period below which its rates are not judged (a handful
   * of requests says nothing about a rate).
   * @default 20
   */
  readonly minRequests?: number;
}

/** Properties of a {@link PromptCanaryRollback}. */
export interface PromptCanaryRollbackProps {
  /** The registry whose labels are watched. */
  readonly registry: PromptRegistry;

  /**
   * The usage table of the gateway: the label overrides and their history are written there, and
   * the router reads the overrides from it.
   */
  readonly usageTable: UsageTable;

  /** The canary labels to watch. */
  readonly canaries: PromptCanary[];

  /**
   * The router's metrics namespace.
   * @default 'CdkAiGateway'
   */
  readonly metricsNamespace?: string;

  /**
   * The period of the alarms.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * How many periods each alarm evaluates (and how many must breach).
   * @default 1
   */
  readonly evaluationPeriods?: number;

  /**
   * A topic the alarms also notify (on ALARM and OK), so people learn of a rollback.
   * @default - none
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * The key that encrypts the dead-letter queue and the function's log group.
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Days the function's log group keeps events.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the log group and the key this construct creates when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The alarms of one canary. */
export interface CanaryAlarms {
  /** The prompt whose label is watched. */
  readonly promptId: string;
  /** The watched label (the canary). */
  readonly label: string;
  /** The version the canary label serves: the one the alarms watch. */
  readonly canaryVersion: number;
  /** The version an alarm moves the label back to. */
  readonly rollbackVersion: number;
  /** The alarms, error rate first, then validation-failure rate, then cost per request when set. */
  readonly alarms: cloudwatch.Alarm[];
}

/** Resolves a canary's version and rollback version from the registry's label, or throws naming the prop. */
function versionsOf(scope: Construct, prompts: readonly PromptConfig[], canary: PromptCanary, at: string): { canary: number; rollback: number } {
  const prompt = prompts.find((p) => p.id === canary.promptId);
  if (!prompt) {
    throw new AiGatewayValidationError(`${at}.promptId: '${canary.promptId}' is not a prompt of the registry (${prompts.map((p) => p.id).join(', ') || 'none'}).`, scope);
  }
  const label = prompt.labels?.[canary.label];
  if (!label) {
    throw new AiGatewayValidationError(
      `${at}.label: prompt '${prompt.id}' has no label '${canary.label}' (labels: ${Object.keys(prompt.labels ?? {}).join(', ') || 'none'}).`, scope);
  }
  const versions = prompt.versions.map((v) => v.version).sort((a, b) => a - b);
  const split = label.weights ? Object.keys(label.weights).map(Number).sort((a, b) => a - b) : undefined;
  const canaryVersion = label.version ?? split![split!.length - 1];
  const rollback = canary.rollbackVersion
    ?? (split && split.length > 1 ? split[split.length - 2] : versions.filter((v) => v < canaryVersion).pop());
  if (rollback === undefined) {
    throw new AiGatewayValidationError(
      `${at}.rollbackVersion: label '${canary.label}' of '${prompt.id}' points at version ${canaryVersion}, which has no earlier version to roll back to; set rollbackVersion.`, scope);
  }
  if (!versions.includes(rollback) || rollback === canaryVersion) {
    throw new AiGatewayValidationError(
      `${at}.rollbackVersion must be a version of '${prompt.id}' other than the canary ${canaryVersion} (${versions.join(', ')}), received ${rollback}.`, scope);
  }
  return { canary: canaryVersion, rollback };
}

function checkPositive(scope: Construct, prop: string, value: number | undefined, max?: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!(value > 0) || (max !== undefined && value > max)) {
    throw new AiGatewayValidationError(`${prop} must be a number above 0${max !== undefined ? ` and at most ${max}` : ''}, received ${value}.`, scope);
  }
}

/**
 * Alarm-driven rollback of prompt canaries. For each canary label, CloudWatch alarms watch the
 * canary version's error rate, validation-failure rate and (optionally) cost per request, from the
 * router's per-prompt-version metrics. When one goes to ALARM, an EventBridge rule invokes a small
 * function that points the label back at the previous version — an override in the usage table
 * that the router honours within 30 seconds, without a deploy — and appends why (alarm, metric,
 * value, threshold, time) to the prompt's label history (`cdk-ai-gateway prompts history`).
 *
 * The function may write only the label partitions of the usage table (`dynamodb:LeadingKeys`);
 * events it could not handle go to an encrypted dead-letter queue after retries.
 *
 * @example
 * new PromptCanaryRollback(this, 'CanaryRollback', {
 *   registry, usageTable: gateway.usageTable!,
 *   canaries: [{ promptId: 'support-summary', label: 'canary', maxCostPerRequestUsd: 0.01 }],
 * });
 */
export class PromptCanaryRollback extends Construct {
  /** The function that moves labels. */
  public readonly handler: lambda.Function;
  /** Events the function could not handle, after retries. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The rule that sends the alarms' ALARM state changes to the function. */
  public readonly rule: events.Rule;
  /** The alarms, per canary. */
  public readonly canaryAlarms: CanaryAlarms[] = [];
  /** The key of the dead-letter queue and the log group. */
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: PromptCanaryRollbackProps) {
    super(scope, id);
    if (props.canaries.length === 0) throw new AiGatewayValidationError('canaries must name at least one canary label.', this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const namespace = props.metricsNamespace ?? METRICS_NAMESPACE;
    const period = props.period ?? Duration.minutes(5);
    const evaluationPeriods = props.evaluationPeriods ?? 1;
    if (!Token.isUnresolved(evaluationPeriods) && (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1)) {
      throw new AiGatewayValidationError(`evaluationPeriods must be an integer of 1 or more, received ${evaluationPeriods}.`, this);
    }
    const prompts = props.registry.promptConfigs();
    const seen = new Set<string>();
    const specs: RollbackSpec[] = [];

    props.canaries.forEach((canary, i) => {
      const at = `canaries[${i}]`;
      const key = `${canary.promptId}#${canary.label}`;
      if (seen.has(key)) throw new AiGatewayValidationError(`${at}: label '${canary.label}' of '${canary.promptId}' is watched twice.`, this);
      seen.add(key);
      checkPositive(this, `${at}.maxErrorRatePercent`, canary.maxErrorRatePercent, 100);
      checkPositive(this, `${at}.maxValidationFailureRatePercent`, canary.maxValidationFailureRatePercent, 100);
      checkPositive(this, `${at}.maxCostPerRequestUsd`, canary.maxCostPerRequestUsd);
      checkPositive(this, `${at}.minRequests`, canary.minRequests);
      const versions = versionsOf(this, prompts, canary, at);
      const minRequests = canary.minRequests ?? 20;
      const dimensionsMap = { [PROMPT_METRIC_DIMENSIONS[0]]: canary.promptId, [PROMPT_METRIC_DIMENSIONS[1]]: String(versions.canary) };
      const metric = (metricName: string) => new cloudwatch.Metric({ namespace, metricName, dimensionsMap, statistic: 'Sum', period });
      const ref = `${canary.promptId}@${versions.canary} (label ${canary.label})`;
      const guarded = (what: string, expression: string, part: string) => new cloudwatch.MathExpression({
        expression: `IF(requests >= ${minRequests}, ${expression}, 0)`,
        usingMetrics: { requests: metric('Requests'), part: metric(part) },
        label: `${what} of ${ref}`,
        period,
      });
      const checks: { metric: CanaryMetric; what: string; expression: cloudwatch.MathExpression; threshold: number; id: string }[] = [
        {
          metric: CanaryMetric.ERROR_RATE, what: 'Error rate (%)', id: 'ErrorRate', threshold: canary.maxErrorRatePercent ?? 5,
          expression: guarded('Error rate (%)', '100 * part / requests', 'Errors'),
        },
        {
          metric: CanaryMetric.VALIDATION_FAILURE_RATE, what: 'Validation-failure rate (%)', id: 'ValidationFailureRate',
          threshold: canary.maxValidationFailureRatePercent ?? 10,
          expression: guarded('Validation-failure rate (%)', '100 * part / requests', 'PromptValidationFailures'),
        },
        ...(canary.maxCostPerRequestUsd !== undefined ? [{
          metric: CanaryMetric.COST_PER_REQUEST, what: 'Cost per request (USD)', id: 'CostPerRequest', threshold: canary.maxCostPerRequestUsd,
          expression: guarded('Cost per request (USD)', 'part / requests', 'CostUsd'),
        }] : []),
      ];
      const alarms = checks.map((check) => {
        const alarm = new cloudwatch.Alarm(this, `${canary.promptId}-${canary.label}-${check.id}`, {
          metric: check.expression,
          threshold: check.threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods,
          datapointsToAlarm: evaluationPeriods,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `${check.what} of prompt ${ref} above ${check.threshold} (periods with fewer than ${minRequests} requests are not judged): `
            + `moves label '${canary.label}' of '${canary.promptId}' back to version ${versions.rollback} and records why (cdk-ai-gateway prompts history ${canary.promptId}).`,
        });
        if (props.alarmTopic) {
          alarm.addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
          alarm.addOkAction(new cwActions.SnsAction(props.alarmTopic));
        } else {
          const why = 'The alarm\'s action is the rollback: CloudWatch sends every alarm state change to EventBridge without an alarm action, '
            + 'and this construct\'s EventBridge rule invokes the rollback function on ALARM. Set alarmTopic to notify people as well.';
          for (const findingId of ['NIST.800.53.R5-CloudWatchAlarmAction', 'HIPAA.Security-CloudWatchAlarmAction', 'CT.CLOUDWATCH.PR.1']) {
            GatewayCompliance.acknowledge(alarm.node.defaultChild!, findingId, why);
          }
        }
        specs.push({
          alarmName: alarm.alarmName, promptId: canary.promptId, label: canary.label, canaryVersion: versions.canary,
          rollbackVersion: versions.rollback, metric: check.metric, threshold: check.threshold,
        });
        return alarm;
      });
      this.canaryAlarms.push({ promptId: canary.promptId, label: canary.label, canaryVersion: versions.canary, rollbackVersion: versions.rollback, alarms });
    });

    // --- The function, its log group, its dead-letter queue ---
    this.encryptionKey = props.encryptionKey ?? newKey(this, 'Key', `Encrypts the prompt canary rollback queue and logs of ${this.node.path}`, removalPolicy);
    const stack = Stack.of(this);
    // EventBridge sends events it could not deliver to the encrypted dead-letter queue.
    this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowEventBridgeToUseDeadLetterQueue',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }));
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const { logGroup } = encryptedLogGroup(this, 'LogGroup', {
      key: this.encryptionKey,
      purpose: 'the prompt canary rollback logs',
      retention: props.logRetention,
      removalPolicy,
    });
    const purpose = 'the prompt canary rollback function of cdk-ai-gateway';
    const role = new FunctionExecutionRole(this, 'Role', { purpose, logGroup, tracing: true, vpc: false });
    this.handler = new lambda.Function(this, 'Handler', {
      description: 'Moves a prompt canary label back to its previous version when a canary alarm fires, and records why (cdk-ai-gateway)',
      runtime: BUNDLED_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      code: bundledHandler('prompt-rollback'),
      handler: BUNDLED_HANDLER,
      role,
      memorySize: 256,
      timeout: Duration.seconds(30),
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      // One move at a time: two alarms of one canary firing together are applied in turn.
      reservedConcurrentExecutions: 1,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        [USAGE_TABLE_ENV]: props.usageTable.tableName,
        [ROLLBACK_ALARMS_ENV]: stack.toJsonString(specs),
      },
    });
    // The dead-letter queue and failure destination are set on the L1 resources so the role gets
    // exactly the two KMS actions SQS needs of a sender, not the L2 grant's wildcards.
    (this.handler.node.defaultChild as lambda.CfnFunction).deadLetterConfig = { targetArn: this.deadLetterQueue.queueArn };
    new lambda.CfnEventInvokeConfig(this, 'AsyncInvokeConfig', {
      functionName: this.handler.functionName,
      qualifier: '$LATEST',
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: Duration.hours(1).toSeconds(),
      destinationConfig: { onFailure: { destination: this.deadLetterQueue.queueArn } },
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'SendFailedEventsToDeadLetterQueue',
      actions: ['sqs:SendMessage'],
      resources: [this.deadLetterQueue.queueArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'EncryptDeadLetters',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [this.encryptionKey.keyArn],
    }));
    // Only the label partitions of the usage table: never a tenant's usage records or budgets.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'MovePromptLabels',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      resources: [props.usageTable.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [PROMPT_PARTITION_PATTERN] } },
    }));
    props.usageTable.encryptionKey.grant(role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');

    const reason = 'The function is invoked only by the EventBridge rule on its own prompt canary alarms and calls only DynamoDB (the usage table\'s label partitions); it handles no request data and needs no VPC resource.';
    for (const findingId of ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC', 'cdk-validator-cfnguard::lambda_inside_vpc_check']) {
      GatewayCompliance.acknowledge(this.handler.node.defaultChild!, findingId, reason);
    }
    const dlq = 'This queue is the dead-letter queue (and failure destination) of the rollback function and of its EventBridge target: '
      + 'it has no dead-letter queue of its own by design; what lands here is kept 14 days for an operator to replay.';
    for (const findingId of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy', 'CT.SQS.PR.1']) {
      GatewayCompliance.acknowledge(this.deadLetterQueue.node.defaultChild!, findingId, dlq);
    }

    this.rule = new events.Rule(this, 'AlarmRule', {
      description: 'Sends the prompt canary alarms\' ALARM state changes to the rollback function (cdk-ai-gateway)',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: this.canaryAlarms.flatMap((c) => c.alarms.map((a) => a.alarmArn)),
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [new targets.LambdaFunction(this.handler, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      })],
    });
  }
}
