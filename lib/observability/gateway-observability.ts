import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ALIAS_PATTERN, ID_PATTERN } from '../../lambda/shared/schema';
import { AiGatewayValidationError } from '../private/errors';
import { cloudWatchAlarmsKeyStatement, newKey } from '../private/kms';
import { GatewayQueries } from './gateway-queries';
import {
  feedbackByWorkflowAndPromptQuery, guardrailInterventionsQuery, stageLatencyByRouteQuery, tokensAndCostByTenantAndWorkflowQuery,
  validationFailuresQuery, wasteByTenantAndRouteQuery, retrievalBySourceQuery,
} from './private/queries';
import { GATEWAY_METRIC, METRICS_NAMESPACE, ROUTE_NONE, TENANT_UNAUTHENTICATED } from '../private/telemetry-conventions';

/**
 * The router's metrics namespace when `GATEWAY_METRICS_NAMESPACE` is not set
 * (`DEFAULT_METRICS_NAMESPACE` of `lambda/router/telemetry/log-sink.ts`; a test keeps them equal).
 */

/** Options of the gateway's own metrics (`metric*` methods of {@link GatewayObservability}). */
export interface GatewayMetricOptions extends cloudwatch.MetricOptions {
  /**
   * The tenant: the metric of one tenant on the route (dimension set `{Tenant, Route}`), instead
   * of the whole route (`{Route}`). One of the `tenants` of the construct, or `unauthenticated`.
   * @default - every tenant of the route
   */
  readonly tenant?: string;
}

/** Properties of a {@link GatewayObservability}. */
export interface GatewayObservabilityProps {
  /** The router function, for the Lambda errors, throttles and duration metrics. */
  readonly routerFunction: lambda.IFunction;

  /**
   * The router's log group (one JSON line per request with Embedded Metric Format metrics), for
   * the saved CloudWatch Logs Insights queries and the dashboard's log widgets.
   */
  readonly routerLogGroup: logs.ILogGroup;

  /**
   * The route aliases of the gateway configuration: the values of the `Route` dimension. Each
   * gets its own lines on the dashboard and its own error-rate, latency and fallback-rate alarms.
   */
  readonly routes: string[];

  /**
   * The routes (among `routes`) whose answers are validated: each gets a validation-failure-rate
   * alarm and a line on the validation widget.
   * @default - none
   */
  readonly validatedRoutes?: string[];

  /**
   * Answers that failed response validation, in percent of a validated route's requests, above
   * which its alarm fires.
   * @default 10
   */
  readonly validationFailureRateThresholdPercent?: number;

  /**
   * The tenant ids of the gateway configuration: the values of the `Tenant` dimension, for the
   * per-tenant cost and token widgets.
   */
  readonly tenants: string[];

  /**
   * The namespace the router writes its metrics to (its `GATEWAY_METRICS_NAMESPACE`).
   * @default 'CdkAiGateway'
   */
  readonly metricsNamespace?: string;

  /**
   * The REST API in front of the router, for the API Gateway requests, 4XX, 5XX and latency
   * widgets and the 5XX-rate alarm. Its metrics are those of its `ApiName` dimension: import an
   * API with `RestApi.fromRestApiAttributes` and its `restApiName`, and give `apiStageName`.
   * @default - no API Gateway widgets or alarm
   */
  readonly api?: apigateway.IRestApi;

  /**
   * The stage of `api` to watch (required for an imported API, which has no deployment stage).
   * @default - the API's `deploymentStage`
   */
  readonly apiStageName?: string;

  /**
   * Bedrock model ids (foundation model or inference profile ids, as the `ModelId` dimension of
   * `AWS/Bedrock` names them) whose `InvocationThrottles` to chart and alarm on.
   * @default - no Bedrock throttle widgets or alarms
   */
  readonly bedrockModelIds?: string[];

  /**
   * The topic every alarm notifies (on ALARM and on OK). A statement that lets CloudWatch alarms
   * of this account publish is added to its policy when the topic belongs to this app; give an
   * imported topic that permission yourself (and its KMS key `kms:Decrypt` and
   * `kms:GenerateDataKey*` for `cloudwatch.amazonaws.com`, conditioned on `aws:SourceAccount` and
   * `aws:SourceArn` of the account's alarms).
   * @default - a new topic encrypted with a KMS key, whose policy denies publishing without TLS
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * The KMS key of the new alarm topic. A statement that lets CloudWatch use it for alarm
   * notifications is added to its policy (when the key belongs to this app).
   * @default - a new key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Error rate of a route, in percent of its requests (`Errors` / `Requests`; rejections such as
   * 4XX and budget refusals are not errors), above which its alarm fires.
   * @default 5
   */
  readonly errorRateThresholdPercent?: number;

  /**
   * p99 of the request latency of a route (arrival to the end of the answer, the whole
   * generation for streams), in milliseconds, above which its alarm fires.
   * @default 60000
   */
  readonly latencyP99ThresholdMs?: number;

  /**
   * Fallback rate of a route, in percent of its requests, above which its alarm fires.
   * @default 20
   */
  readonly fallbackRateThresholdPercent?: number;

  /**
   * Bedrock `InvocationThrottles` of one model in one alarm period at or above which its alarm
   * fires. The router retries and falls back on throttles, so a few are absorbed.
   * @default 10
   */
  readonly bedrockThrottleThreshold?: number;

  /**
   * The share of the budget used, in percent (0–100), for the budget widget and alarm. The router
   * does not emit a budget metric yet; pass the metric of your budget implementation (for
   * example a `MathExpression` of the tenants' largest share).
   * @default - no budget widget or alarm
   */
  readonly budgetUsedPercentMetric?: cloudwatch.IMetric;

  /**
   * Budget use, in percent, at or above which the budget alarm fires.
   * @default 80
   */
  readonly budgetThresholdPercent?: number;

  /**
   * The period of every alarm and of the dashboard's graphs.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * How many periods each alarm evaluates.
   * @default 3
   */
  readonly evaluationPeriods?: number;

  /**
   * How many of the evaluated periods must breach for an alarm to fire.
   * @default 2
   */
  readonly datapointsToAlarm?: number;

  /**
   * Name of the dashboard.
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;

  /**
   * The folder of the saved Logs Insights queries (query names are `<folder>/<query>`).
   * @default - `cdk-ai-gateway/` followed by a name unique to this construct
   */
  readonly queryFolder?: string;

  /**
   * What happens to the new alarm topic key when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The gateway's CloudWatch dashboard, alarms, alarm topic and saved Logs Insights queries, built
 * from the metrics the router writes in Embedded Metric Format (dimension sets `{Route}` and
 * `{Tenant, Route}`) and the fields of its one JSON log line per request.
 *
 * @example
 * const observability = new GatewayObservability(this, 'Observability', {
 *   routerFunction: router.function,
 *   routerLogGroup: router.logGroup,
 *   routes: ['support-summary', 'classify'],
 *   tenants: ['acme', 'globex'],
 * });
 * observability.metricCostUsd('classify', { tenant: 'acme' });
 */
export class GatewayObservability extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm this construct created; each notifies `alarmTopic`. */
  public readonly alarms: cloudwatch.Alarm[];
  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;
  /** The KMS key of the alarm topic, when this construct created the topic. */
  public readonly alarmTopicKey?: kms.IKey;
  /** The saved CloudWatch Logs Insights queries. */
  public readonly queries: GatewayQueries;
  /** The metrics namespace of the router. */
  public readonly metricsNamespace: string;

  private readonly routes: string[];
  private readonly tenants: string[];
  private readonly period: Duration;
  private readonly routerFunction: lambda.IFunction;

  constructor(scope: Construct, id: string, props: GatewayObservabilityProps) {
    super(scope, id);
    validateProps(this, props);
    this.routes = [...props.routes];
    const unknownValidated = (props.validatedRoutes ?? []).filter((r) => !Token.isUnresolved(r) && !this.routes.includes(r));
    if (unknownValidated.length > 0) {
      throw new AiGatewayValidationError(`validatedRoutes must be among routes (${this.routes.join(', ')}); received '${unknownValidated.join("', '")}'.`, this);
    }
    this.tenants = [...props.tenants];
    this.period = props.period ?? Duration.minutes(5);
    this.metricsNamespace = props.metricsNamespace ?? METRICS_NAMESPACE;
    this.routerFunction = props.routerFunction;

    if (props.alarmTopic) {
      this.alarmTopic = props.alarmTopic;
    } else {
      const key = props.encryptionKey ?? newKey(this, 'AlarmTopicKey', 'Encrypts the cdk-ai-gateway alarm topic', props.removalPolicy ?? RemovalPolicy.RETAIN);
      // CloudWatch encrypts the alarm notifications it publishes to a topic with this key: only for
      // alarms of this account and Region (aws:SourceAccount, aws:SourceArn).
      key.addToResourcePolicy(cloudWatchAlarmsKeyStatement(this));
      this.alarmTopicKey = key;
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
        displayName: 'cdk-ai-gateway alarms',
        masterKey: key,
        enforceSSL: true,
      });
    }
    allowCloudWatchAlarmsToPublish(this, this.alarmTopic);

    this.queries = new GatewayQueries(this, 'Queries', {
      logGroup: props.routerLogGroup,
      folder: props.queryFolder ?? `cdk-ai-gateway/${Names.uniqueResourceName(this, { maxLength: 80, separator: '-' })}`,
    });

    this.alarms = this.createAlarms(props);
    this.dashboard = this.createDashboard(props);
  }

  /**
   * A metric the router writes, in its namespace, for one route (dimension set `{Route}`) or, with
   * `options.tenant`, for one tenant on one route (`{Tenant, Route}`).
   *
   * @param metricName `Requests`, `Rejections`, `Errors`, `InputTokens`, `OutputTokens`,
   *   `CacheReadInputTokens`, `CacheWriteInputTokens`, `CostUsd`, `LatencyMs`, `Attempts`,
   *   `Fallbacks` or `TimeToFirstTokenMs`
   * @param route a route alias of `routes`, or `none` (requests rejected before a route was chosen)
   * @default - statistic Average over 5 minutes
   */
  public metric(metricName: string, route: string, options: GatewayMetricOptions = {}): cloudwatch.Metric {
    if (!(GATEWAY_METRIC as readonly string[]).includes(metricName)) {
      throw new AiGatewayValidationError(`metricName must be one of the metrics the router writes (${GATEWAY_METRIC.join(', ')}), received '${metricName}'.`, this);
    }
    if (!Token.isUnresolved(route) && route !== ROUTE_NONE && !this.routes.includes(route)) {
      throw new AiGatewayValidationError(`route must be one of the routes of this construct (${this.routes.join(', ')}) or '${ROUTE_NONE}', received '${route}'.`, this);
    }
    const { tenant, ...metricOptions } = options;
    if (tenant !== undefined && !Token.isUnresolved(tenant) && tenant !== TENANT_UNAUTHENTICATED && !this.tenants.includes(tenant)) {
      throw new AiGatewayValidationError(`tenant must be one of the tenants of this construct (${this.tenants.join(', ')}) or '${TENANT_UNAUTHENTICATED}', received '${tenant}'.`, this);
    }
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName,
      period: this.period,
      ...metricOptions,
      dimensionsMap: tenant === undefined ? { Route: route } : { Tenant: tenant, Route: route },
    });
  }

  /**
   * Requests that reached the router on a route.
   * @default - statistic Sum over 5 minutes
   */
  public metricRequests(route: string, options?: GatewayMetricOptions): cloudwatch.Metric {
    return this.metric('Requests', route, { statistic: cloudwatch.Stats.SUM, ...options });
  }

  /**
   * Requests that failed (upstream error, stream error, internal error; not rejections).
   * @default - statistic Sum over 5 minutes
   */
  public metricErrors(route: string, options?: GatewayMetricOptions): cloudwatch.Metric {
    return this.metric('Errors', route, { statistic: cloudwatch.Stats.SUM, ...options });
  }

  /**
   * Requests refused before a model call (4XX, budget 429).
   * @default - statistic Sum over 5 minutes
   */
  public metricRejections(route: string, options?: GatewayMetricOptions): cloudwatch.Metric {
    return this.metric('Rejections', route, { statistic: cloudwatch.Stats.SUM, ...options });
  }

  /**
   * Requests served (or last tried) by a target other than the route's first.
   * @default - statistic Sum over 5 minutes
   */
  public metricFallbacks(route: string, options?: GatewayMetricOptions): cloudwatch.Metric {
    return this.metric('Fallbacks', route, { statistic: cloudwatch.Stats.SUM, ...options });
  }

  /**
   * Request latency, arrival to the end of the answer, in milliseconds.
   * @default - statistic p99 over 5 minutes
   */
  public metricLatency(route: string, options?: GatewayMetricOptions): cloudwatch.Metric {
    return this.metric('LatencyMs', route, { statistic: cloudwatch.Stats.p(99), ...options });
  }

  /**
   * Time to first token of streamed answers, in milliseconds.
   * @default - statistic p99 over 5 minutes
   */
  public metricTimeToFirstToken(route: string, options?: GatewayMetricOptions): cloudwatch.Metric {
    return this.metric('TimeToFirstTokenMs', route, { statistic: cloudwatch.Stats.p(99), ...options });
  }

  /**
   * Uncached input tokens.
   * @default - statistic Sum over 5 minutes
   */
  public metricInputTokens(route: string, options?: GatewayMetricOptions): cloudwatch.Metric {
    return this.metric('InputTokens', route, { statistic: cloudwatch.Stats.SUM, ...options });
  }

  /**
   * Output tokens.
   * @default - statistic Sum over 5 minutes
   */
  public metricOutputTokens(route: string, options?: GatewayMetricOptions): cloudwatch.Metric {
    return this.metric('OutputTokens', route, { statistic: cloudwatch.Stats.SUM, ...options });
  }

  /**
   * Cost of the requests in USD, from the gateway's price table.
   * @default - statistic Sum over 5 minutes
   */
  public metricCostUsd(route: string, options?: GatewayMetricOptions): cloudwatch.Metric {
    return this.metric('CostUsd', route, { statistic: cloudwatch.Stats.SUM, ...options });
  }

  /**
   * Errors in percent of the requests of a route (0 when it had no requests).
   * @default - over 5 minutes
   */
  public metricErrorRate(route: string, options?: GatewayMetricOptions): cloudwatch.MathExpression {
    return this.rate('Error rate', 'errors', this.metricErrors(route, options), this.metricRequests(route, options), route, options?.tenant);
  }

  /**
   * Answers that failed response validation (repaired, escalated, flagged or rejected ones).
   * @default - statistic Sum over 5 minutes
   */
  public metricValidationFailures(route: string, options?: GatewayMetricOptions): cloudwatch.Metric {
    return this.metric('ValidationFailures', route, { statistic: cloudwatch.Stats.SUM, ...options });
  }

  /**
   * Answers that failed validation in percent of the requests of a route (0 when it had none).
   * @default - over 5 minutes
   */
  public metricValidationFailureRate(route: string, options?: GatewayMetricOptions): cloudwatch.MathExpression {
    return this.rate('Validation failure rate', 'validationFailures', this.metricValidationFailures(route, options), this.metricRequests(route, options), route, options?.tenant);
  }

  /**
   * Fallbacks in percent of the requests of a route (0 when it had no requests).
   * @default - over 5 minutes
   */
  public metricFallbackRate(route: string, options?: GatewayMetricOptions): cloudwatch.MathExpression {
    return this.rate('Fallback rate', 'fallbacks', this.metricFallbacks(route, options), this.metricRequests(route, options), route, options?.tenant);
  }

  /**
   * A gateway metric of one tenant summed over every route: a `SEARCH` of the `{Tenant, Route}`
   * series, for graphs (CloudWatch alarms cannot watch a `SEARCH`).
   *
   * @param metricNames metrics to add up, for example `['CostUsd']`
   * @default - statistic Sum over 5 minutes
   */
  public metricTenantTotal(tenant: string, metricNames: string[], label?: string): cloudwatch.MathExpression {
    if (!Token.isUnresolved(tenant) && tenant !== TENANT_UNAUTHENTICATED && !this.tenants.includes(tenant)) {
      throw new AiGatewayValidationError(`tenant must be one of the tenants of this construct (${this.tenants.join(', ')}) or '${TENANT_UNAUTHENTICATED}', received '${tenant}'.`, this);
    }
    const unknown = metricNames.filter((n) => !(GATEWAY_METRIC as readonly string[]).includes(n));
    if (metricNames.length === 0 || unknown.length > 0) {
      throw new AiGatewayValidationError(`metricNames must name one or more metrics the router writes (${GATEWAY_METRIC.join(', ')}), received [${metricNames.join(', ')}].`, this);
    }
    const names = metricNames.map((n) => `MetricName="${n}"`).join(' OR ');
    return new cloudwatch.MathExpression({
      expression: `SUM(SEARCH('{${this.metricsNamespace},Route,Tenant} Tenant="${tenant}" (${names})', 'Sum', ${this.period.toSeconds()}))`,
      usingMetrics: {},
      label: label ?? tenant,
      period: this.period,
    });
  }

  /**
   * Errors of the router function (invocations that failed: crashes, timeouts).
   * @default - statistic Sum over 5 minutes
   */
  public metricRouterFunctionErrors(): cloudwatch.Metric {
    return this.routerFunction.metricErrors({ period: this.period, statistic: cloudwatch.Stats.SUM });
  }

  /**
   * Throttled invocations of the router function.
   * @default - statistic Sum over 5 minutes
   */
  public metricRouterFunctionThrottles(): cloudwatch.Metric {
    return this.routerFunction.metricThrottles({ period: this.period, statistic: cloudwatch.Stats.SUM });
  }

  /**
   * `AWS/Bedrock` `InvocationThrottles` of one model.
   * @param modelId the `ModelId` dimension (foundation model or inference profile id)
   * @default - statistic Sum over 5 minutes
   */
  public metricBedrockInvocationThrottles(modelId: string, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Bedrock',
      metricName: 'InvocationThrottles',
      statistic: cloudwatch.Stats.SUM,
      period: this.period,
      ...options,
      dimensionsMap: { ModelId: modelId },
    });
  }

  private rate(what: string, partName: string, part: cloudwatch.IMetric, whole: cloudwatch.IMetric, route: string, tenant?: string): cloudwatch.MathExpression {
    // Metric ids must be unique within a graph that shows several routes (and tenants).
    const suffix = `${this.routeKey(route)}${tenant === undefined ? '' : `_${this.tenantKey(tenant)}`}`;
    const partId = `${partName}_${suffix}`;
    const requestsId = `requests_${suffix}`;
    return new cloudwatch.MathExpression({
      expression: `IF(${requestsId} > 0, 100 * ${partId} / ${requestsId}, 0)`,
      usingMetrics: { [partId]: part, [requestsId]: whole },
      label: `${what} ${tenant === undefined ? route : `${tenant} on ${route}`} (%)`,
      period: this.period,
    });
  }

  /** A metric-id-safe key of a route (aliases may hold '-', '.' and ':'). */
  private routeKey(route: string): string {
    const i = this.routes.indexOf(route);
    return i >= 0 ? `r${i}` : 'rnone';
  }

  private tenantKey(tenant: string): string {
    const i = this.tenants.indexOf(tenant);
    return i >= 0 ? `t${i}` : 'tunauthenticated';
  }

  private createAlarms(props: GatewayObservabilityProps): cloudwatch.Alarm[] {
    const evaluationPeriods = props.evaluationPeriods ?? 3;
    const datapointsToAlarm = props.datapointsToAlarm ?? 2;
    const action = new cloudwatchActions.SnsAction(this.alarmTopic);
    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string, options: { comparison?: cloudwatch.ComparisonOperator; evaluationPeriods?: number; datapointsToAlarm?: number } = {}) => {
      const a = new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        comparisonOperator: options.comparison ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: options.evaluationPeriods ?? evaluationPeriods,
        datapointsToAlarm: options.datapointsToAlarm ?? datapointsToAlarm,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      alarms.push(a);
      return a;
    };
    const errorRate = props.errorRateThresholdPercent ?? 5;
    const latency = props.latencyP99ThresholdMs ?? 60_000;
    const fallbackRate = props.fallbackRateThresholdPercent ?? 20;
    const minutes = this.period.toMinutes();

    this.routes.forEach((route, i) => {
      const suffix = `Route${i}`;
      alarm(`ErrorRate${suffix}`, this.metricErrorRate(route), errorRate,
        `cdk-ai-gateway route '${route}': more than ${errorRate}% of requests failed (upstream, stream or internal errors) in ${datapointsToAlarm} of ${evaluationPeriods} ${minutes}-minute periods.`);
      alarm(`LatencyP99${suffix}`, this.metricLatency(route), latency,
        `cdk-ai-gateway route '${route}': p99 request latency above ${latency} ms in ${datapointsToAlarm} of ${evaluationPeriods} ${minutes}-minute periods.`);
      alarm(`FallbackRate${suffix}`, this.metricFallbackRate(route), fallbackRate,
        `cdk-ai-gateway route '${route}': more than ${fallbackRate}% of requests fell back to another target in ${datapointsToAlarm} of ${evaluationPeriods} ${minutes}-minute periods.`);
    });
    const validationRate = props.validationFailureRateThresholdPercent ?? 10;
    (props.validatedRoutes ?? []).forEach((route) => {
      alarm(`ValidationFailureRateRoute${this.routes.indexOf(route)}`, this.metricValidationFailureRate(route), validationRate,
        `cdk-ai-gateway route '${route}': answers failing response validation above ${validationRate}% of requests in ${datapointsToAlarm} of ${evaluationPeriods} ${minutes}-minute periods; see 'cdk-ai-gateway reviews list'.`);
    });

    // Any router error or throttle means a client got a 5XX from Lambda instead of an answer.
    alarm('RouterFunctionErrors', this.metricRouterFunctionErrors(), 1,
      `cdk-ai-gateway router function: invocations failed (crash or timeout) in ${datapointsToAlarm} of ${evaluationPeriods} ${minutes}-minute periods.`,
      { comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD });
    alarm('RouterFunctionThrottles', this.metricRouterFunctionThrottles(), 1,
      `cdk-ai-gateway router function: invocations throttled by Lambda (concurrency limit) in ${datapointsToAlarm} of ${evaluationPeriods} ${minutes}-minute periods.`,
      { comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD });

    const throttles = props.bedrockThrottleThreshold ?? 10;
    (props.bedrockModelIds ?? []).forEach((modelId, i) => {
      alarm(`BedrockThrottlesModel${i}`, this.metricBedrockInvocationThrottles(modelId), throttles,
        `Amazon Bedrock model '${modelId}': at least ${throttles} throttled invocations per ${minutes} minutes in ${datapointsToAlarm} of ${evaluationPeriods} periods.`,
        { comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD });
    });

    if (props.api) {
      const api = this.apiMetrics(props.api, props.apiStageName);
      alarm('ApiServerErrorRate', new cloudwatch.MathExpression({
        expression: '100 * errors',
        usingMetrics: { errors: api.serverErrors(cloudwatch.Stats.AVERAGE) },
        label: 'API 5XX rate (%)',
        period: this.period,
      }), errorRate,
      `cdk-ai-gateway API: more than ${errorRate}% of requests answered 5XX in ${datapointsToAlarm} of ${evaluationPeriods} ${minutes}-minute periods.`);
    }

    if (props.budgetUsedPercentMetric) {
      const budget = props.budgetThresholdPercent ?? 80;
      alarm('BudgetUsed', props.budgetUsedPercentMetric, budget,
        `cdk-ai-gateway budget: at least ${budget}% of the budget used.`,
        { comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, evaluationPeriods: 1, datapointsToAlarm: 1 });
    }
    return alarms;
  }

  private apiMetrics(api: apigateway.IRestApi, stageName?: string) {
    const dimensionsMap = { ApiName: api.restApiName, Stage: stageName ?? api.deploymentStage.stageName };
    const m = (metricName: string, statistic: string, label: string) => new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway', metricName, dimensionsMap, statistic, period: this.period, label,
    });
    return {
      count: () => m('Count', cloudwatch.Stats.SUM, 'Requests'),
      clientErrors: (statistic: string) => m('4XXError', statistic, '4XX'),
      serverErrors: (statistic: string) => m('5XXError', statistic, '5XX'),
      latency: (statistic: string) => m('Latency', statistic, `Latency ${statistic}`),
      integrationLatency: (statistic: string) => m('IntegrationLatency', statistic, `Integration latency ${statistic}`),
    };
  }

  private createDashboard(props: GatewayObservabilityProps): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    const perRoute = (f: (route: string) => cloudwatch.IMetric[]) => this.routes.flatMap(f);
    const graph = (title: string, left: cloudwatch.IMetric[], unit?: string) => new cloudwatch.GraphWidget({
      title, left, width: 8, height: 6, period: this.period,
      leftYAxis: unit ? { label: unit, showUnits: false, min: 0 } : { min: 0 },
    });
    const logGroupNames = [props.routerLogGroup.logGroupName];

    dashboard.addWidgets(new cloudwatch.TextWidget({
      markdown: [
        '# cdk-ai-gateway',
        `Metrics: namespace \`${this.metricsNamespace}\`, dimensions \`{Route}\` and \`{Tenant, Route}\`. `
        + 'Per-request detail (workflow, prompt version, request id) is in the router log group: see the saved Logs Insights queries '
        + `under \`${this.queries.folder}/\`.`,
      ].join('\n\n'),
      width: 24, height: 2,
    }));
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }));

    // Routes
    dashboard.addWidgets(
      graph('Requests per route', perRoute((r) => [this.metricRequests(r, { label: r })]), 'requests'),
      graph('Errors and rejections per route', perRoute((r) => [
        this.metricErrors(r, { label: `${r} errors` }),
        this.metricRejections(r, { label: `${r} rejections` }),
      ]), 'requests'),
      graph('Error rate per route (%)', perRoute((r) => [this.metricErrorRate(r)]), '%'),
    );
    dashboard.addWidgets(
      graph('Latency p50 / p99 per route (ms)', perRoute((r) => [
        this.metricLatency(r, { statistic: cloudwatch.Stats.p(50), label: `${r} p50` }),
        this.metricLatency(r, { label: `${r} p99` }),
      ]), 'ms'),
      graph('Time to first token p50 / p99 per route (ms)', perRoute((r) => [
        this.metricTimeToFirstToken(r, { statistic: cloudwatch.Stats.p(50), label: `${r} p50` }),
        this.metricTimeToFirstToken(r, { label: `${r} p99` }),
      ]), 'ms'),
      graph('Fallback rate per route (%)', perRoute((r) => [this.metricFallbackRate(r)]), '%'),
    );
    const validated = props.validatedRoutes ?? [];
    if (validated.length > 0) {
      dashboard.addWidgets(new cloudwatch.GraphWidget({
        title: 'Answers failing response validation per route', width: 24, height: 6, period: this.period,
        left: validated.map((r) => this.metricValidationFailures(r, { label: r })),
        leftYAxis: { label: 'answers', showUnits: false, min: 0 },
      }));
    }

    // The trace chain: where the time goes, what fails validation, what users think of the answers
    const table = (title: string, queryString: string, width: number) => new cloudwatch.LogQueryWidget({
      title, logGroupNames, queryString, view: cloudwatch.LogQueryVisualizationType.TABLE, width, height: 6,
    });
    dashboard.addWidgets(table('Trace chain: latency per stage p50 / p99 per route (ms)', stageLatencyByRouteQuery().toString(), 24));
    dashboard.addWidgets(
      table('Validation-failure rate per route and prompt version', validationFailuresQuery().toString(), 12),
      table('Feedback score per workflow and prompt version', feedbackByWorkflowAndPromptQuery().toString(), 12),
    );

    // Tenants
    dashboard.addWidgets(
      graph('Cost per tenant (USD)', this.tenants.map((t) => this.metricTenantTotal(t, ['CostUsd'])), 'USD'),
      graph('Tokens per tenant', this.tenants.map((t) => this.metricTenantTotal(t, ['InputTokens', 'CacheReadInputTokens', 'CacheWriteInputTokens', 'OutputTokens'])), 'tokens'),
      new cloudwatch.LogQueryWidget({
        title: 'Guardrail interventions by tenant and route',
        logGroupNames, queryString: guardrailInterventionsQuery().toString(),
        view: cloudwatch.LogQueryVisualizationType.TABLE, width: 8, height: 6,
      }),
    );
    dashboard.addWidgets(new cloudwatch.LogQueryWidget({
      title: 'Tokens and cost by tenant and workflow',
      logGroupNames, queryString: tokensAndCostByTenantAndWorkflowQuery().toString(),
      view: cloudwatch.LogQueryVisualizationType.TABLE, width: 24, height: 6,
    }));
    dashboard.addWidgets(new cloudwatch.LogQueryWidget({
      title: 'Waste: cost of failed attempts, cut streams and abandoned answers (USD)',
      logGroupNames, queryString: wasteByTenantAndRouteQuery().toString(),
      view: cloudwatch.LogQueryVisualizationType.TABLE, width: 24, height: 6,
    }));
    dashboard.addWidgets(new cloudwatch.LogQueryWidget({
      title: 'Retrieval by knowledge source and tenant: latency, context tokens, cost, grounding failures',
      logGroupNames, queryString: retrievalBySourceQuery().toString(),
      view: cloudwatch.LogQueryVisualizationType.TABLE, width: 24, height: 6,
    }));

    if (props.budgetUsedPercentMetric) {
      dashboard.addWidgets(new cloudwatch.GraphWidget({
        title: 'Budget used (%)', width: 24, height: 6, period: this.period,
        left: [props.budgetUsedPercentMetric],
        leftYAxis: { label: '%', showUnits: false, min: 0 },
        leftAnnotations: [{ value: props.budgetThresholdPercent ?? 80, label: 'alarm threshold' }],
      }));
    }

    // Router function
    const fn = this.routerFunction;
    dashboard.addWidgets(
      graph('Router invocations, errors, throttles', [
        fn.metricInvocations({ period: this.period, statistic: cloudwatch.Stats.SUM }),
        this.metricRouterFunctionErrors(),
        this.metricRouterFunctionThrottles(),
      ]),
      graph('Router duration p50 / p99 (ms)', [
        fn.metricDuration({ period: this.period, statistic: cloudwatch.Stats.p(50), label: 'p50' }),
        fn.metricDuration({ period: this.period, statistic: cloudwatch.Stats.p(99), label: 'p99' }),
      ], 'ms'),
      graph('Router concurrent executions', [fn.metric('ConcurrentExecutions', { period: this.period, statistic: cloudwatch.Stats.MAXIMUM })]),
    );

    if (props.bedrockModelIds && props.bedrockModelIds.length > 0) {
      dashboard.addWidgets(new cloudwatch.GraphWidget({
        title: 'Amazon Bedrock invocation throttles per model', width: 24, height: 6, period: this.period,
        left: props.bedrockModelIds.map((m) => this.metricBedrockInvocationThrottles(m, { label: m })),
        leftYAxis: { min: 0 },
      }));
    }

    if (props.api) {
      const api = this.apiMetrics(props.api, props.apiStageName);
      dashboard.addWidgets(
        graph('API requests, 4XX, 5XX', [api.count(), api.clientErrors(cloudwatch.Stats.SUM), api.serverErrors(cloudwatch.Stats.SUM)], 'requests'),
        graph('API latency p50 / p99 (ms)', [
          api.latency(cloudwatch.Stats.p(50)), api.latency(cloudwatch.Stats.p(99)),
          api.integrationLatency(cloudwatch.Stats.p(99)),
        ], 'ms'),
      );
    }
    return dashboard;
  }
}

/** Lets CloudWatch alarms of this account and Region publish to the topic. */
function allowCloudWatchAlarmsToPublish(scope: Construct, topic: sns.ITopic): void {
  const stack = Stack.of(scope);
  topic.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowCloudWatchAlarmsToPublish',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: {
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      StringEquals: { 'aws:SourceAccount': stack.account },
    },
  }));
}

function validateProps(scope: Construct, props: GatewayObservabilityProps): void {
  const list = (name: string, values: string[], pattern: string, hint: string) => {
    if (values.length === 0) {
      throw new AiGatewayValidationError(`${name} must name at least one value, received [].`, scope);
    }
    const re = new RegExp(pattern);
    for (const v of values) {
      if (Token.isUnresolved(v)) continue;
      if (!re.test(v)) throw new AiGatewayValidationError(`${name} must hold ${hint}, received '${v}'.`, scope);
    }
    const dup = values.find((v, i) => values.indexOf(v) !== i);
    if (dup !== undefined) throw new AiGatewayValidationError(`${name} must not repeat a value, received '${dup}' twice.`, scope);
  };
  list('routes', props.routes, ALIAS_PATTERN, `route aliases (${ALIAS_PATTERN})`);
  list('tenants', props.tenants, ID_PATTERN, `tenant ids (${ID_PATTERN})`);

  const range = (name: string, value: number | undefined, min: number, max: number, unit: string) => {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new AiGatewayValidationError(`${name} must be between ${min} and ${max} ${unit}, received ${value}.`, scope);
    }
  };
  range('errorRateThresholdPercent', props.errorRateThresholdPercent, 0, 100, 'percent');
  range('fallbackRateThresholdPercent', props.fallbackRateThresholdPercent, 0, 100, 'percent');
  range('budgetThresholdPercent', props.budgetThresholdPercent, 0, 100, 'percent');
  range('latencyP99ThresholdMs', props.latencyP99ThresholdMs, 1, 900_000, 'ms (the router function times out after at most 15 minutes)');
  range('bedrockThrottleThreshold', props.bedrockThrottleThreshold, 1, Number.MAX_SAFE_INTEGER, 'throttles per period');
  range('evaluationPeriods', props.evaluationPeriods, 1, 100, 'periods');
  const evaluationPeriods = props.evaluationPeriods ?? 3;
  range('datapointsToAlarm', props.datapointsToAlarm, 1, evaluationPeriods, `periods (evaluationPeriods is ${evaluationPeriods})`);
  if (props.datapointsToAlarm !== undefined && !Number.isInteger(props.datapointsToAlarm)) {
    throw new AiGatewayValidationError(`datapointsToAlarm must be a whole number, received ${props.datapointsToAlarm}.`, scope);
  }
  if (props.evaluationPeriods !== undefined && !Number.isInteger(props.evaluationPeriods)) {
    throw new AiGatewayValidationError(`evaluationPeriods must be a whole number, received ${props.evaluationPeriods}.`, scope);
  }
  if (props.period && !props.period.isUnresolved()) {
    const seconds = props.period.toSeconds();
    if (seconds < 60 || seconds % 60 !== 0 || seconds > 86_400) {
      throw new AiGatewayValidationError(`period must be a whole number of minutes between 1 minute and 1 day, received ${props.period.toHumanString()}.`, scope);
    }
  }
  if (props.bedrockModelIds) {
    const empty = props.bedrockModelIds.find((m) => !Token.isUnresolved(m) && m.trim() === '');
    if (empty !== undefined) throw new AiGatewayValidationError("bedrockModelIds must not hold an empty model id, received ''.", scope);
  }
  if (props.alarmTopic && props.encryptionKey) {
    throw new AiGatewayValidationError('encryptionKey applies only to the alarm topic this construct creates; do not pass it together with alarmTopic.', scope);
  }
  if (props.apiStageName !== undefined && !props.api) {
    throw new AiGatewayValidationError(`apiStageName applies only with api; received apiStageName '${props.apiStageName}' without api.`, scope);
  }
}
