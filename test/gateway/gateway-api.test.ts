import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { GatewayApi, GatewayApiProps } from '../../lib/gateway/gateway-api';

type Extra = Omit<GatewayApiProps, 'handler' | 'authorizer'>;

function build(extra: Extra = {}): { stack: Stack; api: GatewayApi } {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'us-east-1' } });
  const fn = (id: string) => new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  const authorizer = new apigateway.RequestAuthorizer(stack, 'Authorizer', {
    handler: fn('AuthFn'), identitySources: [apigateway.IdentitySource.header('Authorization')],
  });
  const api = new GatewayApi(stack, 'Gateway', { handler: fn('Router'), authorizer, ...extra });
  return { stack, api };
}
const synth = (extra?: Extra) => Template.fromStack(build(extra).stack);

describe('GatewayApi', () => {
  test('streams chat completions through the response-streaming invocation URI with a 15 minute timeout', () => {
    const template = synth();
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      Integration: {
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        ResponseTransferMode: 'STREAM',
        TimeoutInMillis: 900000,
        Uri: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('lambda:path/2021-11-15/functions/'), '/response-streaming-invocations'])] },
      },
    });
  });

  test('without streaming the integration is buffered and capped at 29 seconds', () => {
    const template = synth({ streaming: false });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      Integration: { ResponseTransferMode: 'BUFFERED', TimeoutInMillis: 29000 },
    });
    expect(() => synth({ streaming: false, integrationTimeout: Duration.seconds(60) })).toThrow(/integrationTimeout must be between 50 ms and 29 seconds without streaming, received 1 minute/);
  });

  test('serves the three routes, each behind the authorizer with a usage identifier required', () => {
    const { stack, api } = build();
    const template = Template.fromStack(stack);
    expect(Object.keys(api.methods).sort()).toEqual(['GET /v1/models', 'POST /v1/chat/completions', 'POST /v1/feedback']);
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(3);
    for (const m of methods) {
      expect(m.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', ApiKeyRequired: true, AuthorizerId: { Ref: expect.stringMatching(/Authorizer/) } });
    }
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER', EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'completions' });
  });

  test('validates request bodies against models before the router runs', () => {
    const template = synth();
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: false });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'ChatCompletionRequest',
      Schema: Match.objectLike({ required: ['model', 'messages'], properties: Match.objectLike({ messages: { type: 'array', minItems: 1 } }) }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestValidatorId: { Ref: Match.stringLikeRegexp('BodyValidator') },
      RequestModels: { 'application/json': { Ref: Match.stringLikeRegexp('ChatCompletionRequest') } },
    });
  });

  test('stage: X-Ray, error-level execution logs without bodies, throttling, JSON access logs', () => {
    const template = synth({ throttlingRateLimit: 50, throttlingBurstLimit: 80 });
    const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage'));
    expect(stage.Properties).toMatchObject({
      StageName: 'prod',
      TracingEnabled: true,
      MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR', DataTraceEnabled: false, MetricsEnabled: true, ThrottlingRateLimit: 50, ThrottlingBurstLimit: 80 }],
    });
    const format = JSON.parse(stage.Properties.AccessLogSetting.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', tenantId: '$context.authorizer.tenantId', status: '$context.status' });
    expect(JSON.stringify(format)).not.toMatch(/requestBody|authorization/i);
  });

  test('access logs go to a KMS-encrypted log group with retention, kept on delete', () => {
    const template = synth();
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('GatewayLogKey'), 'Arn'] } },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('API Gateway errors use the OpenAI error envelope, 429s carry Retry-After', () => {
    const template = synth();
    const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse'));
    expect(responses.length).toBeGreaterThanOrEqual(10);
    for (const r of responses) {
      const body = JSON.parse(r.Properties.ResponseTemplates['application/json']);
      expect(body).toEqual({ error: { message: expect.any(String), type: expect.any(String), code: expect.any(String), param: null } });
    }
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED', StatusCode: '429',
      ResponseParameters: { 'gatewayresponse.header.Retry-After': "'1'", 'gatewayresponse.header.Content-Type': "'application/json'" },
    });
  });

  test('CORS is off unless asked', () => {
    const without = synth();
    expect(Object.values(without.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties.HttpMethod)).not.toContain('OPTIONS');
    const withCors = synth({ cors: { allowOrigins: ['https://app.example.com'] } });
    withCors.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'OPTIONS' });
  });

  test('the base URL ends in /v1 so OpenAI SDKs can use it', () => {
    const { stack, api } = build();
    expect(stack.resolve(api.baseUrl)['Fn::Join'][1].slice(-1)[0]).toMatch(/\/v1$/);
  });

  test('addRoute adds an authorized route and rejects bad paths', () => {
    const { stack, api } = build();
    api.addRoute('GET', '/v1/usage');
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'usage' });
    expect(() => api.addRoute('GET', '/usage')).toThrow(/path must look like \/v1\/<segment>/);
  });

  test.each([
    [{ stageName: 'prod-1' }, /stageName may contain only letters, digits and underscores/],
    [{ throttlingRateLimit: -1 }, /throttlingRateLimit must be a non-negative number, received -1/],
    [{ integrationTimeout: Duration.minutes(16) }, /integrationTimeout must be between 50 ms and 900 seconds with streaming/],
  ])('rejects %p', (props, message) => {
    expect(() => synth(props as Extra)).toThrow(message);
  });
});
