/** AiGateway with response validation: the configuration, the exact invoke grant, the review queue wiring, the alarm. */
import { App, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { AiGateway, AiGatewayProps } from '../../lib/gateway/ai-gateway';
import { ResponseReviewQueue } from '../../lib/validation/response-review-queue';
import { ValidationFinalAction } from '../../lambda/shared/config-validation';
import { actionsOf, resourcesOf, statementsOfRole } from '../helpers/iam-statements';

const ENV = { account: '111122223333', region: 'us-east-1' };
const CHECKER = 'arn:aws:lambda:us-east-1:111122223333:function:claims-checker:live';

const props = (stack: Stack): AiGatewayProps => ({
  tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10, quota: { limit: 1000, period: apigateway.Period.DAY } }],
  tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard' }],
  routes: [
    {
      alias: 'extract', model: ModelSource.foundationModel('amazon.nova-micro-v1:0'),
      validation: {
        jsonSchema: '{"type":"object","required":["amount"]}', retries: 1, escalateTo: 'extract-strong', onFailure: ValidationFinalAction.REJECT,
        validatorFunction: { functionArn: CHECKER },
      },
    },
    { alias: 'extract-strong', model: ModelSource.foundationModel('amazon.nova-pro-v1:0') },
  ],
  reviewQueue: new ResponseReviewQueue(stack, 'Reviews'),
});

describe('AiGateway with response validation', () => {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const gateway = new AiGateway(stack, 'Gateway', props(stack));
  const template = Template.fromStack(stack);
  const statements = statementsOfRole(template, stack.getLogicalId(gateway.router.role.node.defaultChild as never));

  test('the route\'s validation block is in the router configuration', () => {
    expect(gateway.config.routes[0].validation).toMatchObject({ retries: 1, escalateTo: 'extract-strong', validatorFunction: { functionArn: CHECKER } });
  });

  test('the router may invoke exactly the validator function ARN, and no other function', () => {
    const invoke = statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(resourcesOf(invoke[0])).toEqual([CHECKER]);
  });

  test('the router may submit reviews (PutItem, SendMessage, PutObject under quarantine/) and read none', () => {
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'sqs:SendMessage', 's3:PutObject']));
    expect(actions).not.toContain('sqs:ReceiveMessage');
    expect(actions).not.toContain('s3:GetObject');
  });

  test('the router environment names the review table, queue and bucket', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ GATEWAY_REVIEW_TABLE: Match.anyValue(), GATEWAY_REVIEW_QUEUE_URL: Match.anyValue(), GATEWAY_REVIEW_BUCKET: Match.anyValue() }) },
    });
  });

  test('a validation-failure-rate alarm watches the validated route only', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => String(a.Properties.AlarmDescription)).filter((d) => d.includes('response validation'));
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatch(/route 'extract'/);
  });

  test('a pattern outside the linear-time subset fails synth naming the field and why', () => {
    const s = new Stack(new App(), 'Bad', { env: ENV });
    const bad = props(s);
    expect(() => new AiGateway(s, 'Gateway', {
      ...bad, routes: [{ ...bad.routes[0], validation: { forbiddenPatterns: ['(a)\\1'] } }, bad.routes[1]],
    })).toThrow(/routes\[0\]\.validation\.forbiddenPatterns\[0\]: back-references are not allowed/);
  });
});
