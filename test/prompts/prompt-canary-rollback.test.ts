import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { PromptCanaryRollback } from '../../lib/prompts/prompt-canary-rollback';
import { rollbackParts, rollbackStack } from './canary-rollback-fixtures';

const metric = (id: string, name: string) => ({
  Id: id,
  ReturnData: false,
  MetricStat: {
    Metric: { Namespace: 'CdkAiGateway', MetricName: name, Dimensions: Match.arrayWith([{ Name: 'Prompt', Value: 'support-reply' }, { Name: 'PromptVersion', Value: '3' }]) },
    Period: 300,
    Stat: 'Sum',
  },
});

describe('PromptCanaryRollback', () => {
  const { stack, rollback } = rollbackStack();
  const template = Template.fromStack(stack);

  test('the canary of a weighted label is its highest version; it rolls back to the next one down', () => {
    expect(rollback.canaryAlarms).toEqual([expect.objectContaining({ promptId: 'support-reply', label: 'canary', canaryVersion: 3, rollbackVersion: 2 })]);
    expect(rollback.canaryAlarms[0].alarms).toHaveLength(3);
  });

  test.each([
    ['error rate', 'IF(requests >= 20, 100 * part / requests, 0)', 'Errors', 5],
    ['validation-failure rate', 'IF(requests >= 20, 100 * part / requests, 0)', 'PromptValidationFailures', 10],
    ['cost per request', 'IF(requests >= 20, part / requests, 0)', 'CostUsd', 0.02],
  ])('an alarm on the canary version\'s %s (metric math over its Prompt/PromptVersion metrics)', (_what, expression, part, threshold) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: threshold,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: expression, ReturnData: true }),
        metric('requests', 'Requests'),
        metric('part', part),
      ]),
    });
  });

  test('no cost alarm without maxCostPerRequestUsd; thresholds and the request floor follow the props', () => {
    const { stack: s } = rollbackStack({ canaries: [{ promptId: 'support-reply', label: 'beta', maxErrorRatePercent: 2, minRequests: 50 }] });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 2, Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(requests >= 50, 100 * part / requests, 0)' })]),
    });
  });

  test('an EventBridge rule sends the alarms\' ALARM state changes to the function, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        'resources': Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('ErrorRate'), 'Arn'] }]),
        'detail': { state: { value: ['ALARM'] } },
      },
      Targets: [Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('CanaryRollbackHandler'), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
      })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' });
  });

  test('the function: the bundled handler, the table and its alarms in the environment, one at a time, dead letters encrypted', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      ReservedConcurrentExecutions: 1,
      TracingConfig: { Mode: 'Active' },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } },
      Environment: { Variables: Match.objectLike({ GATEWAY_USAGE_TABLE: Match.anyValue(), PROMPT_ROLLBACK_ALARMS: Match.anyValue() }) },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
    // The specs, with each alarm name (a Ref) replaced by its logical id.
    const env = stack.resolve((rollback.handler.node.defaultChild as { environment?: unknown }).environment) as {
      variables: { PROMPT_ROLLBACK_ALARMS: { 'Fn::Join': [string, (string | { Ref: string })[]] } };
    };
    const text = env.variables.PROMPT_ROLLBACK_ALARMS['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : p.Ref)).join('');
    expect(JSON.parse(text)).toEqual([
      { alarmName: expect.stringMatching(/ErrorRate/), promptId: 'support-reply', label: 'canary', canaryVersion: 3, rollbackVersion: 2, metric: 'errorRatePercent', threshold: 5 },
      { alarmName: expect.stringMatching(/ValidationFailureRate/), promptId: 'support-reply', label: 'canary', canaryVersion: 3, rollbackVersion: 2, metric: 'validationFailureRatePercent', threshold: 10 },
      { alarmName: expect.stringMatching(/CostPerRequest/), promptId: 'support-reply', label: 'canary', canaryVersion: 3, rollbackVersion: 2, metric: 'costPerRequestUsd', threshold: 0.02 },
    ]);
  });

  test('the role may read and put only the label partitions of the usage table (no tenant data) and use its key', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Sid: 'SendFailedEventsToDeadLetterQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: Match.anyValue() },
          { Sid: 'EncryptDeadLetters', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: Match.anyValue() },
          {
            Sid: 'MovePromptLabels', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('UsageTable'), 'Arn'] },
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PROMPT#*'] } },
          },
          Match.objectLike({ Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('UsageKey'), 'Arn'] } }),
        ]),
      },
    });
    const policies = JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(policies).not.toContain('dynamodb:Query');
    expect(policies).not.toContain('dynamodb:*');
  });

  test('with alarmTopic, the alarms also notify it on ALARM and OK', () => {
    const s = new Stack();
    const topic = new sns.Topic(s, 'Topic');
    new PromptCanaryRollback(s, 'R', { ...rollbackParts(s), alarmTopic: topic, canaries: [{ promptId: 'support-reply', label: 'beta' }] });
    Template.fromStack(s).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Topic') }], OKActions: [{ Ref: Match.stringLikeRegexp('Topic') }],
    });
  });

  test.each([
    [{ promptId: 'nope', label: 'canary' }, /canaries\[0\]\.promptId: 'nope' is not a prompt of the registry \(support-reply\)/],
    [{ promptId: 'support-reply', label: 'gamma' }, /canaries\[0\]\.label: prompt 'support-reply' has no label 'gamma' \(labels: prod, canary, beta\)/],
    [{ promptId: 'support-reply', label: 'canary', rollbackVersion: 3 }, /canaries\[0\]\.rollbackVersion must be a version of 'support-reply' other than the canary 3 \(1, 2, 3\), received 3/],
    [{ promptId: 'support-reply', label: 'canary', maxErrorRatePercent: 0 }, /canaries\[0\]\.maxErrorRatePercent must be a number above 0 and at most 100, received 0/],
    [{ promptId: 'support-reply', label: 'canary', maxCostPerRequestUsd: -1 }, /canaries\[0\]\.maxCostPerRequestUsd must be a number above 0, received -1/],
  ])('refuses %j naming the prop', (canary, message) => {
    const s = new Stack();
    expect(() => new PromptCanaryRollback(s, 'R', { ...rollbackParts(s), canaries: [canary] })).toThrow(message);
  });

  test('refuses a label watched twice and an empty list', () => {
    const s = new Stack();
    const parts = rollbackParts(s);
    expect(() => new PromptCanaryRollback(s, 'A', { ...parts, canaries: [] })).toThrow(/canaries must name at least one canary label/);
    expect(() => new PromptCanaryRollback(s, 'B', { ...parts, canaries: [{ promptId: 'support-reply', label: 'beta' }, { promptId: 'support-reply', label: 'beta' }] }))
      .toThrow(/canaries\[1\]: label 'beta' of 'support-reply' is watched twice/);
  });

  test('a one-version label rolls back to the highest version below it', () => {
    const { rollback: r } = rollbackStack({ canaries: [{ promptId: 'support-reply', label: 'beta' }] });
    expect(r.canaryAlarms[0]).toMatchObject({ canaryVersion: 3, rollbackVersion: 2 });
  });
});
