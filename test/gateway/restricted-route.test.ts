import { App, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ModelInvocationLogging } from '../../lib/bedrock/invocation-logging/model-invocation-logging';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { AiGateway, AiGatewayProps } from '../../lib/gateway/ai-gateway';
import { APPROVALS_ENV } from '../../lambda/shared/approvals-schema';
import { Sensitivity } from '../../lambda/shared/config';

const ENV = { account: '111122223333', region: 'us-east-1' };
const REASON = 'The invocation log bucket is in the restricted-data account, KMS key limited to the risk team, retained 7 years per the MiFID II record-keeping policy';

const BASE: AiGatewayProps = {
  tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10, quota: { limit: 1000, period: apigateway.Period.DAY } }],
  tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard', sensitivityClearance: Sensitivity.RESTRICTED, sensitivityFloor: Sensitivity.INTERNAL }],
  routes: [
    { alias: 'kyc', model: ModelSource.foundationModel('amazon.nova-pro-v1:0'), restrictedAllowed: true, redact: true },
    { alias: 'chat', model: ModelSource.foundationModel('amazon.nova-micro-v1:0') },
  ],
};

function build(props: Partial<AiGatewayProps> = {}, logging?: { textDataDelivery: boolean }) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const invocationLogging = logging ? new ModelInvocationLogging(stack, 'Logging', logging) : undefined;
  const gateway = new AiGateway(stack, 'Gateway', { ...BASE, ...(invocationLogging ? { invocationLogging } : {}), ...props });
  return { stack, gateway };
}

let built: ReturnType<typeof build> | undefined;
const defaults = () => (built ??= build());

describe('AiGateway, the restricted route', () => {
  test('the configuration carries the tenant floor, the route redaction and the approval requirement', () => {
    const { gateway } = defaults();
    expect(gateway.config.tenants[0].sensitivityFloor).toBe(Sensitivity.INTERNAL);
    expect(gateway.config.routes.find((r) => r.alias === 'kyc')!.redactionGuardrail).toBe(gateway.config.routes.find((r) => r.alias === 'kyc')!.guardrail);
    expect(gateway.config.restrictedData).toEqual({ requireApproval: true });
  });

  test('a restricted route creates the approvals table, encrypted with the gateway key, PITR and deletion protection on', () => {
    const { stack, gateway } = defaults();
    expect(gateway.approvals).toBeDefined();
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() }),
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      TableName: Match.absent(),
    });
  });

  test('the router gets the approvals table in its environment', () => {
    const { stack, gateway } = defaults();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [APPROVALS_ENV.tableName]: stack.resolve(gateway.approvals!.tableName) }) },
    });
  });

  test('the router may only Query the APPROVAL partition of the approvals table', () => {
    const { stack, gateway } = defaults();
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([{
        Action: 'dynamodb:Query', Effect: 'Allow',
        Resource: stack.resolve(gateway.approvals!.table.tableArn),
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['APPROVAL'] } },
      }]) },
    });
  });

  test('no restricted route: no approvals table, no approval requirement', () => {
    const { gateway } = build({ routes: [BASE.routes[1]], tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard' }] });
    expect([gateway.approvals, gateway.config.restrictedData]).toEqual([undefined, undefined]);
  });

  test('refuses a restricted Bedrock route while the invocation logging delivers text, naming the route and the fix', () => {
    expect(() => build({}, { textDataDelivery: true })).toThrow(
      /routes kyc are restrictedAllowed and reach Bedrock, but invocationLogging delivers text.*textDataDelivery: false.*restrictedTextLoggingReason/);
  });

  test('accepts it with text delivery off', () => {
    expect(() => build({}, { textDataDelivery: false })).not.toThrow();
  });

  test('accepts it acknowledged with a reason a reviewer accepts', () => {
    expect(() => build({ restrictedTextLoggingReason: REASON }, { textDataDelivery: true })).not.toThrow();
  });

  test('refuses a weak acknowledgment reason', () => {
    expect(() => build({ restrictedTextLoggingReason: 'accepted risk' }, { textDataDelivery: true })).toThrow(/restrictedTextLoggingReason/);
  });

  test('ModelInvocationLogging exposes whether text is delivered (default: true)', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    expect([new ModelInvocationLogging(stack, 'A').textDataDelivered, new ModelInvocationLogging(stack, 'B', { textDataDelivery: false }).textDataDelivered])
      .toEqual([true, false]);
  });

  test('refuses redact without the gateway guardrail', () => {
    expect(() => build({ guardrailEnabled: false })).toThrow(/routes kyc have redact: true, which needs the gateway guardrail/);
  });

  test('refuses, at synth, a restricted route with a plain-HTTP self-hosted target', () => {
    expect(() => build({
      additionalTargets: [{ id: 'vllm', kind: 'openai-compatible' as never, baseUrl: 'http://vllm.internal:8000/v1', model: 'qwen', restrictedAllowed: true }],
      prices: { qwen: { inputUsdPer1K: 0.0001, outputUsdPer1K: 0.0002 } },
      routes: [{ alias: 'kyc', targets: ['vllm'], restrictedAllowed: true }],
    })).toThrow(/route 'kyc' is restrictedAllowed, so its targets must be reached over TLS, but target 'vllm' has baseUrl 'http:\/\/vllm\.internal:8000\/v1'/);
  });
});
