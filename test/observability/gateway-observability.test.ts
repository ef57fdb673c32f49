import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { GatewayObservabilityProps } from '../../lib';
import { FUNCTION_NAME, LOG_GROUP_NAME, observabilityStack } from './fixtures';

type Json = Record<string, unknown>;

/** The dashboard body as JSON, with every CloudFormation token inside it replaced by `TOKEN`. */
function dashboardBody(template: Template): { widgets: Json[] } {
  const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
  const [dashboard] = Object.values(dashboards);
  const body = (dashboard.Properties as Json).DashboardBody as { 'Fn::Join': [string, unknown[]] } | string;
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text) as { widgets: Json[] };
}

function widget(body: { widgets: Json[] }, title: string): Json {
  const found = body.widgets.find((w) => (w.properties as Json).title === title);
  if (!found) throw new Error(`no widget '${title}' in ${body.widgets.map((w) => (w.properties as Json).title).join(', ')}`);
  return found.properties as Json;
}

function alarmsWithDescription(template: Template, pattern: RegExp): Json[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm'))
    .map((r) => r.Properties as Json)
    .filter((p) => pattern.test(String(p.AlarmDescription)));
}

function synth(props: Partial<GatewayObservabilityProps> = {}) {
  const fixture = observabilityStack(props);
  return { ...fixture, template: Template.fromStack(fixture.stack) };
}

const routeMetric = (metricName: string, route: string, stat: string) => ({
  MetricStat: {
    Metric: { Namespace: 'CdkAiGateway', MetricName: metricName, Dimensions: [{ Name: 'Route', Value: route }] },
    Period: 300,
    Stat: stat,
  },
  ReturnData: false,
});

describe('alarm topic', () => {
  test('a new topic encrypted with a new rotating KMS key, TLS-only publishing', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ObservabilityAlarmTopicKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Sid: 'AllowPublishThroughSSLOnly',
          Effect: 'Deny',
          Principal: '*',
          Action: 'sns:Publish',
          Resource: { Ref: Match.stringLikeRegexp('^ObservabilityAlarmTopic') },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }]),
      },
    });
  });

  test('CloudWatch alarms of this account and Region may publish, and use the key', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Sid: 'AllowCloudWatchAlarmsToPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: { Ref: Match.stringLikeRegexp('^ObservabilityAlarmTopic') },
          Condition: {
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:111111111111:alarm:*']] } },
            StringEquals: { 'aws:SourceAccount': '111111111111' },
          },
        }]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'DenyGrantsExceptForAwsServices', Effect: 'Deny', Action: 'kms:CreateGrant' }),
          {
            Sid: 'AllowCloudWatchAlarmsToUseTheKey',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            // Only alarms of this account and Region (the confused deputy).
            Condition: {
              ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:111111111111:alarm:*']] } },
              StringEquals: { 'aws:SourceAccount': '111111111111' },
            },
          },
        ]),
      },
    });
  });

  test('encryptionKey encrypts the new topic instead of a new key', () => {
    const { template } = (() => {
      const f = observabilityStack({}, new App(), (s) => ({ encryptionKey: new kms.Key(s, 'OwnKey') }));
      return { template: Template.fromStack(f.stack) };
    })();
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OwnKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowCloudWatchAlarmsToUseTheKey' })]) },
    });
  });

  test('a given alarmTopic is used: no topic or key is created, every alarm notifies it', () => {
    let given: sns.Topic | undefined;
    const f = observabilityStack({}, new App(), (s) => {
      given = new sns.Topic(s, 'OpsTopic', { masterKey: new kms.Key(s, 'OpsKey') });
      return { alarmTopic: given };
    });
    const template = Template.fromStack(f.stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(f.observability.alarmTopic).toBe(given);
    expect(f.observability.alarmTopicKey).toBeUndefined();
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect((alarm.Properties as Json).AlarmActions).toEqual([{ Ref: expect.stringMatching(/^OpsTopic/) }]);
      expect((alarm.Properties as Json).OKActions).toEqual([{ Ref: expect.stringMatching(/^OpsTopic/) }]);
    }
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^OpsTopic') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowCloudWatchAlarmsToPublish' })]) },
    });
  });
});

describe('alarms', () => {
  test('defaults: three per route, router errors and throttles; nothing for Bedrock, API or budget', () => {
    const { template, observability } = synth();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 * 3 + 2);
    expect(observability.alarms).toHaveLength(8);
    expect(alarmsWithDescription(template, /Bedrock|API|budget/)).toEqual([]);
  });

  test('error rate per route: Errors / Requests in percent, above 5 % in 2 of 3 five-minute periods', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [
        { Id: 'expr_1', Expression: 'IF(requests_r1 > 0, 100 * errors_r1 / requests_r1, 0)', Label: 'Error rate classify (%)', ReturnData: true },
        { Id: 'errors_r1', ...routeMetric('Errors', 'classify', 'Sum') },
        { Id: 'requests_r1', ...routeMetric('Requests', 'classify', 'Sum') },
      ],
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^ObservabilityAlarmTopic') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^ObservabilityAlarmTopic') }],
    });
  });

  test('p99 latency per route above 60 s', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CdkAiGateway',
      MetricName: 'LatencyMs',
      Dimensions: [{ Name: 'Route', Value: 'support-summary' }],
      ExtendedStatistic: 'p99',
      Statistic: Match.absent(),
      Period: 300,
      Threshold: 60000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  test('fallback rate per route above 20 %', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [
        Match.objectLike({ Expression: 'IF(requests_r0 > 0, 100 * fallbacks_r0 / requests_r0, 0)' }),
        { Id: 'fallbacks_r0', ...routeMetric('Fallbacks', 'support-summary', 'Sum') },
        { Id: 'requests_r0', ...routeMetric('Requests', 'support-summary', 'Sum') },
      ],
      Threshold: 20,
    });
  });

  test('router function errors and throttles: any at all', () => {
    const { template } = synth();
    for (const metricName of ['Errors', 'Throttles']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: FUNCTION_NAME }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  test('Bedrock InvocationThrottles per model id, at least 10 per period', () => {
    const { template } = synth({ bedrockModelIds: ['anthropic.claude-3-5-haiku-20241022-v1:0', 'amazon.nova-lite-v1:0'] });
    for (const modelId of ['anthropic.claude-3-5-haiku-20241022-v1:0', 'amazon.nova-lite-v1:0']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Bedrock',
        MetricName: 'InvocationThrottles',
        Dimensions: [{ Name: 'ModelId', Value: modelId }],
        Statistic: 'Sum',
        Threshold: 10,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8 + 2);
  });

  test('API Gateway 5XX rate of the stage, with the error-rate threshold', () => {
    const app = new App();
    const f = observabilityStack({ errorRateThresholdPercent: 2 }, app, (s: Stack) => {
      const api = new apigateway.RestApi(s, 'Api', { restApiName: 'gateway-api', deployOptions: { stageName: 'v1' } });
      api.root.addMethod('GET', new apigateway.MockIntegration());
      return { api };
    });
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [
        { Id: 'expr_1', Expression: '100 * errors', Label: 'API 5XX rate (%)', ReturnData: true },
        {
          Id: 'errors',
          Label: '5XX',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApiGateway', MetricName: '5XXError',
              // the API's deployment stage (its name, v1, resolved at deploy time)
              Dimensions: [{ Name: 'ApiName', Value: 'gateway-api' }, { Name: 'Stage', Value: { Ref: Match.stringLikeRegexp('^ApiDeploymentStagev1') } }],
            },
            Period: 300,
            Stat: 'Average',
          },
          ReturnData: false,
        },
      ],
      Threshold: 2,
    });
  });

  test('apiStageName selects another stage', () => {
    const f = observabilityStack({ apiStageName: 'canary' }, new App(), (s: Stack) => {
      const api = new apigateway.RestApi(s, 'Api', { restApiName: 'gateway-api' });
      api.root.addMethod('GET', new apigateway.MockIntegration());
      return { api };
    });
    Template.fromStack(f.stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({
        MetricStat: Match.objectLike({ Metric: Match.objectLike({ Dimensions: [{ Name: 'ApiName', Value: 'gateway-api' }, { Name: 'Stage', Value: 'canary' }] }) }),
      })]),
    });
  });

  test('budget: alarm at 80 % of the given metric by default, on the first breaching period', () => {
    const budget = new cloudwatch.Metric({ namespace: 'Budgets', metricName: 'UsedPercent', statistic: 'Maximum' });
    const { template } = synth({ budgetUsedPercentMetric: budget });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Budgets',
      MetricName: 'UsedPercent',
      Statistic: 'Maximum',
      Threshold: 80,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
    });
  });

  test('thresholds, period and evaluation settings from props', () => {
    const { template } = synth({
      errorRateThresholdPercent: 1,
      latencyP99ThresholdMs: 20_000,
      fallbackRateThresholdPercent: 50,
      bedrockModelIds: ['amazon.nova-lite-v1:0'],
      bedrockThrottleThreshold: 3,
      budgetUsedPercentMetric: new cloudwatch.Metric({ namespace: 'Budgets', metricName: 'UsedPercent' }),
      budgetThresholdPercent: 95,
      period: Duration.minutes(1),
      evaluationPeriods: 5,
      datapointsToAlarm: 4,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(requests_r0 > 0, 100 * errors_r0 / requests_r0, 0)' })]),
      Threshold: 1, EvaluationPeriods: 5, DatapointsToAlarm: 4,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'LatencyMs', Threshold: 20000, Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 4 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(requests_r0 > 0, 100 * fallbacks_r0 / requests_r0, 0)' })]),
      Threshold: 50,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'InvocationThrottles', Threshold: 3, Period: 60 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'UsedPercent', Threshold: 95 });
  });
});

describe('saved Logs Insights queries', () => {
  const queries: [string, string][] = [
    ['Cost by tenant', 'filter ispresent(`gateway.cost_usd`)\n| stats sum(`gateway.cost_usd`) as cost_usd, sum(`gen_ai.usage.input_tokens`) as input_tokens, sum(`gen_ai.usage.output_tokens`) as output_tokens, count(*) as requests by gateway.tenant.id\n| sort cost_usd desc'],
    ['Cost by tenant and workflow', 'filter ispresent(`gateway.cost_usd`)\n| stats sum(`gateway.cost_usd`) as cost_usd, sum(`gen_ai.usage.input_tokens`) as input_tokens, sum(`gen_ai.usage.output_tokens`) as output_tokens, count(*) as requests by gateway.tenant.id, gateway.workflow\n| sort cost_usd desc\n| limit 100'],
    ['Cost by prompt version', 'filter ispresent(gateway.prompt.id)\n| stats sum(`gateway.cost_usd`) as cost_usd, sum(`gen_ai.usage.input_tokens`) as input_tokens, sum(`gen_ai.usage.output_tokens`) as output_tokens, count(*) as requests by gateway.prompt.id, gateway.prompt.version\n| sort cost_usd desc\n| limit 100'],
    ['Slowest workflows', 'filter ispresent(`gateway.latency_ms`) and gateway.outcome != "rejected"\n| stats count(*) as requests, pct(`gateway.latency_ms`, 50) as p50_ms, pct(`gateway.latency_ms`, 99) as p99_ms, max(`gateway.latency_ms`) as max_ms, pct(`gateway.ttft_ms`, 99) as ttft_p99_ms by gateway.workflow, gateway.route\n| sort p99_ms desc\n| limit 25'],
    ['Fallbacks by reason', 'filter Fallbacks > 0\n| stats count(*) as fallbacks by gateway.route, gateway.attempts.detail.0.targetId, gateway.attempts.detail.0.result, gateway.target.id, error.type\n| sort fallbacks desc\n| limit 100'],
    ['Guardrail interventions', 'filter gateway.guardrail.action = "INTERVENED"\n| stats count(*) as interventions by gateway.tenant.id, gateway.route\n| sort interventions desc'],
    ['Validation failures', 'filter ispresent(gateway.validation.failed)\n| stats count(*) as requests, sum(gateway.validation.failed) as validation_failures, 100 * sum(gateway.validation.failed) / count(*) as validation_failure_pct by gateway.route, gateway.prompt.id, gateway.prompt.version\n| sort validation_failure_pct desc\n| limit 100'],
    ['Feedback scores', 'filter ispresent(gateway.feedback.score)\n| stats count(*) as feedback, avg(gateway.feedback.score) as mean_score by gateway.workflow, gateway.prompt.id, gateway.prompt.version\n| sort feedback desc\n| limit 100'],
  ];

  test.each(queries)('%s, on the router log group, in the construct folder', (name, queryString) => {
    const { template, observability } = synth({ queryFolder: 'gateway/prod' });
    expect(observability.queries.folder).toBe('gateway/prod');
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: `gateway/prod/${name}`,
      QueryString: queryString,
      LogGroupNames: [LOG_GROUP_NAME],
    });
  });

  test('Latency per stage: p50 and p99 of every stage of traced requests, per route', () => {
    const { template } = synth({ queryFolder: 'gateway/prod' });
    const definitions = template.findResources('AWS::Logs::QueryDefinition', { Properties: { Name: 'gateway/prod/Latency per stage' } });
    const query = (Object.values(definitions)[0].Properties as { QueryString: string }).QueryString;
    expect(query).toMatch(/^filter ispresent\(`gateway.trace_id`\) and ispresent\(gateway.route\)\n\| stats count\(\*\) as requests, /);
    expect(query).toContain('pct(`gateway.stage_ms.route`, 50) as route_p50, pct(`gateway.stage_ms.route`, 99) as route_p99');
    expect(query).toContain('pct(`gateway.stage_ms.guardrail.input`, 99) as guardrail_input_p99');
    expect(query).toMatch(/ by gateway.route\n\| sort requests desc\n\| limit 100$/);
  });

  test('nine queries; the default folder is unique to the construct', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::Logs::QueryDefinition', 9);
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: Match.stringLikeRegexp('^cdk-ai-gateway/Observed-Observability-[A-Z0-9]{8}/Cost by tenant$'),
    });
  });
});

describe('dashboard', () => {
  test('the trace chain: per-stage latency per route, validation-failure rate, feedback score per workflow and prompt version', () => {
    const body = dashboardBody(synth().template);
    expect(widget(body, 'Trace chain: latency per stage p50 / p99 per route (ms)').query).toContain('pct(`gateway.stage_ms.target`, 99) as target_p99');
    expect(widget(body, 'Validation-failure rate per route and prompt version').query).toContain('as validation_failure_pct by gateway.route, gateway.prompt.id, gateway.prompt.version');
    expect(widget(body, 'Feedback score per workflow and prompt version').query).toContain('avg(gateway.feedback.score) as mean_score by gateway.workflow, gateway.prompt.id, gateway.prompt.version');
  });

  test('no physical name unless dashboardName is given', () => {
    synth().template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: Match.absent() });
    synth({ dashboardName: 'ai-gateway' }).template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'ai-gateway' });
  });

  test('requests, errors and error rate per route', () => {
    const body = dashboardBody(synth().template);
    expect(widget(body, 'Requests per route').metrics).toEqual([
      ['CdkAiGateway', 'Requests', 'Route', 'support-summary', { label: 'support-summary', stat: 'Sum' }],
      ['CdkAiGateway', 'Requests', 'Route', 'classify', { label: 'classify', stat: 'Sum' }],
    ]);
    expect(widget(body, 'Errors and rejections per route').metrics).toEqual(expect.arrayContaining([
      ['CdkAiGateway', 'Errors', 'Route', 'classify', { label: 'classify errors', stat: 'Sum' }],
      ['CdkAiGateway', 'Rejections', 'Route', 'classify', { label: 'classify rejections', stat: 'Sum' }],
    ]));
    expect(widget(body, 'Error rate per route (%)').metrics).toEqual(expect.arrayContaining([
      [{ expression: 'IF(requests_r0 > 0, 100 * errors_r0 / requests_r0, 0)', label: 'Error rate support-summary (%)' }],
      ['CdkAiGateway', 'Errors', 'Route', 'support-summary', { stat: 'Sum', visible: false, id: 'errors_r0' }],
    ]));
  });

  test('p50 and p99 of latency and time to first token per route', () => {
    const body = dashboardBody(synth().template);
    expect(widget(body, 'Latency p50 / p99 per route (ms)').metrics).toEqual(expect.arrayContaining([
      ['CdkAiGateway', 'LatencyMs', 'Route', 'classify', { label: 'classify p50', stat: 'p50' }],
      ['CdkAiGateway', 'LatencyMs', 'Route', 'classify', { label: 'classify p99', stat: 'p99' }],
    ]));
    expect(widget(body, 'Time to first token p50 / p99 per route (ms)').metrics).toEqual(expect.arrayContaining([
      ['CdkAiGateway', 'TimeToFirstTokenMs', 'Route', 'support-summary', { label: 'support-summary p50', stat: 'p50' }],
      ['CdkAiGateway', 'TimeToFirstTokenMs', 'Route', 'support-summary', { label: 'support-summary p99', stat: 'p99' }],
    ]));
    expect(widget(body, 'Fallback rate per route (%)').metrics).toEqual(expect.arrayContaining([
      [{ expression: 'IF(requests_r1 > 0, 100 * fallbacks_r1 / requests_r1, 0)', label: 'Fallback rate classify (%)' }],
    ]));
  });

  test('cost and tokens per tenant, summed over the routes of the {Tenant, Route} series', () => {
    const body = dashboardBody(synth().template);
    expect(widget(body, 'Cost per tenant (USD)').metrics).toEqual([
      [{ expression: 'SUM(SEARCH(\'{CdkAiGateway,Route,Tenant} Tenant="acme" (MetricName="CostUsd")\', \'Sum\', 300))', label: 'acme' }],
      [{ expression: 'SUM(SEARCH(\'{CdkAiGateway,Route,Tenant} Tenant="globex" (MetricName="CostUsd")\', \'Sum\', 300))', label: 'globex' }],
    ]);
    expect(widget(body, 'Tokens per tenant').metrics).toEqual(expect.arrayContaining([[{
      expression: 'SUM(SEARCH(\'{CdkAiGateway,Route,Tenant} Tenant="acme" (MetricName="InputTokens" OR MetricName="CacheReadInputTokens" OR MetricName="CacheWriteInputTokens" OR MetricName="OutputTokens")\', \'Sum\', 300))',
      label: 'acme',
    }]]));
  });

  test('tokens and cost per tenant and workflow, and guardrail interventions, from the logs', () => {
    const body = dashboardBody(synth().template);
    const workflows = widget(body, 'Tokens and cost by tenant and workflow');
    expect(workflows.query).toBe(`SOURCE '${LOG_GROUP_NAME}' | filter ispresent(\`gateway.cost_usd\`)\n| stats sum(\`gateway.cost_usd\`) as cost_usd, sum(\`gen_ai.usage.input_tokens\`) as input_tokens, sum(\`gen_ai.usage.output_tokens\`) as output_tokens, count(*) as requests by gateway.tenant.id, gateway.workflow\n| sort cost_usd desc\n| limit 100`);
    expect(workflows.view).toBe('table');
    expect(widget(body, 'Guardrail interventions by tenant and route').query)
      .toBe(`SOURCE '${LOG_GROUP_NAME}' | filter gateway.guardrail.action = "INTERVENED"\n| stats count(*) as interventions by gateway.tenant.id, gateway.route\n| sort interventions desc`);
  });

  test('waste: the cost that bought no answer, by tenant, route and outcome', () => {
    const body = dashboardBody(synth().template);
    const waste = widget(body, 'Waste: cost of failed attempts, cut streams and abandoned answers (USD)');
    expect(waste.query).toBe(`SOURCE '${LOG_GROUP_NAME}' | filter \`gateway.waste_usd\` > 0\n| stats sum(\`gateway.waste_usd\`) as waste_usd, `
      + 'sum(`gateway.cost_usd`) as cost_usd, count(*) as requests by gateway.tenant.id, gateway.route, gateway.outcome\n| sort waste_usd desc\n| limit 100');
    expect(waste.view).toBe('table');
  });

  test('retrieval: searches, latency, context tokens, cost, refused passages and grounding failures by source and tenant', () => {
    const body = dashboardBody(synth().template);
    const retrieval = widget(body, 'Retrieval by knowledge source and tenant: latency, context tokens, cost, grounding failures');
    expect(retrieval.query).toContain('filter ispresent(gateway.retrieval.source)');
    expect(retrieval.query).toContain('by gateway.retrieval.source, gateway.tenant.id');
    expect(retrieval.query).toContain('sum(GroundingFailures) as grounding_failures');
    expect(retrieval.view).toBe('table');
  });

  test('router function invocations, errors, throttles, duration and concurrency', () => {
    const body = dashboardBody(synth().template);
    expect(widget(body, 'Router invocations, errors, throttles').metrics).toEqual([
      ['AWS/Lambda', 'Invocations', 'FunctionName', FUNCTION_NAME, { stat: 'Sum' }],
      ['AWS/Lambda', 'Errors', 'FunctionName', FUNCTION_NAME, { stat: 'Sum' }],
      ['AWS/Lambda', 'Throttles', 'FunctionName', FUNCTION_NAME, { stat: 'Sum' }],
    ]);
    expect(widget(body, 'Router duration p50 / p99 (ms)').metrics).toEqual([
      ['AWS/Lambda', 'Duration', 'FunctionName', FUNCTION_NAME, { label: 'p50', stat: 'p50' }],
      ['AWS/Lambda', 'Duration', 'FunctionName', FUNCTION_NAME, { label: 'p99', stat: 'p99' }],
    ]);
  });

  test('an alarm status widget lists every alarm', () => {
    const { template } = synth();
    const body = dashboardBody(template);
    expect(widget(body, 'Alarms').alarms).toHaveLength(8);
  });

  test('Bedrock, API and budget widgets only when configured', () => {
    const bare = dashboardBody(synth().template);
    const titles = bare.widgets.map((w) => (w.properties as Json).title);
    expect(titles).not.toContain('Amazon Bedrock invocation throttles per model');
    expect(titles).not.toContain('API requests, 4XX, 5XX');
    expect(titles).not.toContain('Budget used (%)');

    const budget = new cloudwatch.Metric({ namespace: 'Budgets', metricName: 'UsedPercent', statistic: 'Maximum' });
    const f = observabilityStack({ bedrockModelIds: ['amazon.nova-lite-v1:0'], budgetUsedPercentMetric: budget }, new App(), (s: Stack) => {
      const api = new apigateway.RestApi(s, 'Api', { restApiName: 'gateway-api', deployOptions: { stageName: 'v1' } });
      api.root.addMethod('GET', new apigateway.MockIntegration());
      return { api };
    });
    const full = dashboardBody(Template.fromStack(f.stack));
    expect(widget(full, 'Amazon Bedrock invocation throttles per model').metrics).toEqual([
      ['AWS/Bedrock', 'InvocationThrottles', 'ModelId', 'amazon.nova-lite-v1:0', { label: 'amazon.nova-lite-v1:0', stat: 'Sum' }],
    ]);
    expect(widget(full, 'API requests, 4XX, 5XX').metrics).toEqual([
      ['AWS/ApiGateway', 'Count', 'ApiName', 'gateway-api', 'Stage', 'TOKEN', { label: 'Requests', stat: 'Sum' }],
      ['AWS/ApiGateway', '4XXError', 'ApiName', 'gateway-api', 'Stage', 'TOKEN', { label: '4XX', stat: 'Sum' }],
      ['AWS/ApiGateway', '5XXError', 'ApiName', 'gateway-api', 'Stage', 'TOKEN', { label: '5XX', stat: 'Sum' }],
    ]);
    const budgetWidget = widget(full, 'Budget used (%)');
    expect(budgetWidget.metrics).toEqual([['Budgets', 'UsedPercent', { stat: 'Maximum' }]]);
    expect(budgetWidget.annotations).toEqual({ horizontal: [{ value: 80, label: 'alarm threshold', yAxis: 'left' }] });
  });
});

describe('metric methods', () => {
  test('named metrics with their documented default statistic, per route or per tenant on a route', () => {
    const { observability: o } = synth();
    const render = (m: cloudwatch.Metric) => ({ namespace: m.namespace, name: m.metricName, stat: m.statistic, dims: m.dimensions, period: m.period.toSeconds() });
    expect(render(o.metricRequests('classify'))).toEqual({ namespace: 'CdkAiGateway', name: 'Requests', stat: 'Sum', dims: { Route: 'classify' }, period: 300 });
    expect(render(o.metricCostUsd('classify', { tenant: 'acme' }))).toEqual({ namespace: 'CdkAiGateway', name: 'CostUsd', stat: 'Sum', dims: { Tenant: 'acme', Route: 'classify' }, period: 300 });
    expect(render(o.metricLatency('classify'))).toMatchObject({ name: 'LatencyMs', stat: 'p99' });
    expect(render(o.metricTimeToFirstToken('classify'))).toMatchObject({ name: 'TimeToFirstTokenMs', stat: 'p99' });
    expect(render(o.metricErrors('classify'))).toMatchObject({ name: 'Errors', stat: 'Sum' });
    expect(render(o.metricRejections('none'))).toMatchObject({ name: 'Rejections', stat: 'Sum', dims: { Route: 'none' } });
    expect(render(o.metricFallbacks('classify'))).toMatchObject({ name: 'Fallbacks', stat: 'Sum' });
    expect(render(o.metricInputTokens('classify'))).toMatchObject({ name: 'InputTokens', stat: 'Sum' });
    expect(render(o.metricOutputTokens('classify'))).toMatchObject({ name: 'OutputTokens', stat: 'Sum' });
    expect(render(o.metric('Attempts', 'classify'))).toMatchObject({ name: 'Attempts', stat: 'Average' });
    expect(render(o.metric('Attempts', 'classify', { statistic: 'Maximum', period: Duration.minutes(1) }))).toMatchObject({ stat: 'Maximum', period: 60 });
    expect(render(o.metricBedrockInvocationThrottles('amazon.nova-lite-v1:0'))).toEqual({
      namespace: 'AWS/Bedrock', name: 'InvocationThrottles', stat: 'Sum', dims: { ModelId: 'amazon.nova-lite-v1:0' }, period: 300,
    });
  });

  test('per-tenant error rate has its own metric ids', () => {
    const { observability: o } = synth();
    expect(o.metricErrorRate('classify', { tenant: 'globex' }).expression).toBe('IF(requests_r1_t1 > 0, 100 * errors_r1_t1 / requests_r1_t1, 0)');
  });

  test('metricsNamespace follows the router\'s GATEWAY_METRICS_NAMESPACE', () => {
    const { template, observability } = synth({ metricsNamespace: 'Acme/Gateway' });
    expect(observability.metricRequests('classify').namespace).toBe('Acme/Gateway');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Acme/Gateway', MetricName: 'LatencyMs' });
  });

  test('unknown metric names, routes and tenants are refused', () => {
    const { observability: o } = synth();
    expect(() => o.metric('Latency', 'classify')).toThrow(/metricName must be one of .*received 'Latency'/);
    expect(() => o.metricRequests('summarise')).toThrow(/route must be one of the routes .*received 'summarise'/);
    expect(() => o.metricRequests('classify', { tenant: 'initech' })).toThrow(/tenant must be one of the tenants .*received 'initech'/);
    expect(() => o.metricTenantTotal('initech', ['CostUsd'])).toThrow(/tenant must be one of/);
    expect(() => o.metricTenantTotal('acme', [])).toThrow(/metricNames must name one or more/);
    expect(() => o.metricTenantTotal('acme', ['Cost'])).toThrow(/metricNames .*received \[Cost\]/);
  });
});

describe('validation', () => {
  const cases: [string, Partial<GatewayObservabilityProps>, RegExp][] = [
    ['no routes', { routes: [] }, /routes must name at least one value, received \[\]/],
    ['a route that is no alias', { routes: ['Support Summary'] }, /routes must hold route aliases .*received 'Support Summary'/],
    ['a repeated route', { routes: ['classify', 'classify'] }, /routes must not repeat a value, received 'classify'/],
    ['no tenants', { tenants: [] }, /tenants must name at least one value/],
    ['a tenant id with a quote', { tenants: ['acme"'] }, /tenants must hold tenant ids .*received 'acme"'/],
    ['a repeated tenant', { tenants: ['acme', 'acme'] }, /tenants must not repeat a value/],
    ['error rate above 100', { errorRateThresholdPercent: 150 }, /errorRateThresholdPercent must be between 0 and 100 percent, received 150/],
    ['negative fallback rate', { fallbackRateThresholdPercent: -1 }, /fallbackRateThresholdPercent must be between 0 and 100/],
    ['budget above 100', { budgetThresholdPercent: 101 }, /budgetThresholdPercent must be between 0 and 100/],
    ['latency beyond the Lambda timeout', { latencyP99ThresholdMs: 1_000_000 }, /latencyP99ThresholdMs must be between 1 and 900000 ms/],
    ['zero Bedrock throttles', { bedrockThrottleThreshold: 0 }, /bedrockThrottleThreshold must be between 1/],
    ['zero evaluation periods', { evaluationPeriods: 0 }, /evaluationPeriods must be between 1 and 100/],
    ['fractional evaluation periods', { evaluationPeriods: 2.5 }, /evaluationPeriods must be a whole number, received 2.5/],
    ['more datapoints than periods', { evaluationPeriods: 3, datapointsToAlarm: 4 }, /datapointsToAlarm must be between 1 and 3 periods \(evaluationPeriods is 3\), received 4/],
    ['a 30-second period', { period: Duration.seconds(30) }, /period must be a whole number of minutes between 1 minute and 1 day, received 30 seconds/],
    ['an empty model id', { bedrockModelIds: [''] }, /bedrockModelIds must not hold an empty model id/],
    ['apiStageName without api', { apiStageName: 'v1' }, /apiStageName applies only with api; received apiStageName 'v1'/],
    ['a query folder with a colon', { queryFolder: 'gateway:prod' }, /queryFolder.*received 'gateway:prod'/],
    ['a query folder with a trailing slash', { queryFolder: 'gateway/' }, /queryFolder.*received 'gateway\/'/],
  ];

  test.each(cases)('%s', (_name, props, message) => {
    expect(() => observabilityStack(props)).toThrow(message);
  });

  test('encryptionKey together with alarmTopic', () => {
    expect(() => observabilityStack({}, new App(), (s) => ({
      alarmTopic: new sns.Topic(s, 'T'),
      encryptionKey: new kms.Key(s, 'K'),
    }))).toThrow(/encryptionKey applies only to the alarm topic this construct creates/);
  });

  test('the error is the library\'s own, with the construct path', () => {
    expect(() => observabilityStack({ routes: [] })).toThrow(expect.objectContaining({
      name: 'AiGatewayValidationError',
      message: expect.stringContaining('(in Observed/Observability)'),
    }));
  });
});
