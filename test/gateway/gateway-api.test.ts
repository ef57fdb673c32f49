import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { GatewayCompliance } from '../../lib/compliance/gateway-compliance';
import { GatewayApi, GatewayApiProps } from '../../lib/gateway/gateway-api';

type Extra = Omit<GatewayApiProps, 'handler' | 'authorizer'>;

const ACCOUNT_ENV = { account: '111122223333', region: 'us-east-1' };

function build(extra: Extra = {}, env: { account?: string; region: string } = ACCOUNT_ENV): { stack: Stack; api: GatewayApi } {
  const stack = new Stack(new App(), 'Stack', { env });
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

  test('serves the five routes, each behind the authorizer with a usage identifier required', () => {
    const { stack, api } = build();
    const template = Template.fromStack(stack);
    expect(Object.keys(api.methods).sort()).toEqual(['GET /v1/models', 'GET /v1/models/{model}', 'POST /v1/chat/completions', 'POST /v1/embeddings', 'POST /v1/feedback']);
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(5);
    for (const m of methods) {
      expect(m.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', ApiKeyRequired: true, AuthorizerId: { Ref: expect.stringMatching(/Authorizer/) } });
    }
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER', EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'completions' });
  });

  test('POST /v1/embeddings checks its body against the EmbeddingsRequest model (model and input required)', () => {
    const template = synth();
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'EmbeddingsRequest',
      Schema: Match.objectLike({ required: ['model', 'input'] }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'embeddings' });
  });

  test('validates request bodies against models, and request parameters, before the router runs (AwsSolutions-APIG2)', () => {
    const template = synth();
    template.resourceCountIs('AWS::ApiGateway::RequestValidator', 1);
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'ChatCompletionRequest',
      Schema: Match.objectLike({ required: ['model', 'messages'], properties: Match.objectLike({ messages: { type: 'array', minItems: 1 } }) }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestValidatorId: { Ref: Match.stringLikeRegexp('RequestValidator') },
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

  test('the execution log group API Gateway writes to exists before the stage: named for the API and stage, KMS, retention, kept', () => {
    const { stack, api } = build({ stageName: 'live' });
    const template = Template.fromStack(stack);
    const apiId = stack.getLogicalId(api.api.node.defaultChild as never);
    const groupId = stack.getLogicalId(api.executionLogGroup!.node.defaultChild as never);
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: apiId }, '/live']] },
        RetentionInDays: 365,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('GatewayLogKey'), 'Arn'] },
      },
      DeletionPolicy: 'Retain',
    });
    template.hasResource('AWS::ApiGateway::Stage', { DependsOn: Match.arrayWith([groupId]) });
  });

  test('execution log group: the given key and retention, also with an access log group of your own; none when execution logging is off', () => {
    const stack = new Stack(new App(), 'Keyed', { env: ACCOUNT_ENV });
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    const authorizer = new apigateway.RequestAuthorizer(stack, 'Authorizer', { handler: fn, identitySources: [apigateway.IdentitySource.header('Authorization')] });
    const key = new kms.Key(stack, 'MyKey');
    new GatewayApi(stack, 'Gateway', {
      handler: fn, authorizer, encryptionKey: key, logRetention: logs.RetentionDays.THREE_MONTHS,
      accessLogGroup: new logs.LogGroup(stack, 'MyAccessLogs'),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', Match.arrayWith(['API-Gateway-Execution-Logs_'])] },
      RetentionInDays: 90,
      KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as never), 'Arn'] },
    });
    const off = build({ executionLoggingLevel: apigateway.MethodLoggingLevel.OFF });
    expect(off.api.executionLogGroup).toBeUndefined();
    expect(JSON.stringify(Template.fromStack(off.stack).toJSON())).not.toContain('API-Gateway-Execution-Logs_');
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
    expect(() => api.addRoute('GET', '/v1/{Bad-Param}')).toThrow(/path parameters such as \{model\}/);
  });

  test('GET /v1/models/{model} (the openai SDK\'s models.retrieve) is a path-parameter resource under /v1/models', () => {
    const template = synth();
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{model}', ParentId: { Ref: Match.stringLikeRegexp('Apiv1models') } });
  });

  test.each([
    [{ stageName: 'prod-1' }, /stageName may contain only letters, digits and underscores/],
    [{ throttlingRateLimit: -1 }, /throttlingRateLimit must be a non-negative number, received -1/],
    [{ integrationTimeout: Duration.minutes(16) }, /integrationTimeout must be between 50 ms and 900 seconds with streaming/],
  ])('rejects %p', (props, message) => {
    expect(() => synth(props as Extra)).toThrow(message);
  });
});

describe('GatewayApi compliance', () => {
  /** Finding ids acknowledged on constructs whose path ends with `suffix`, by path. */
  function acknowledged(stack: Stack): Record<string, string[]> {
    const byPath: Record<string, string[]> = {};
    for (const a of GatewayCompliance.reviewAcknowledgments(stack)) {
      expect(a.problem).toBeUndefined();
      (byPath[a.constructPath.replace(`${stack.node.path}/`, '')] ??= []).push(a.findingId);
    }
    for (const ids of Object.values(byPath)) ids.sort();
    return byPath;
  }

  test('every method behind the Lambda authorizer acknowledges AwsSolutions-COG4, routes added later included', () => {
    const { stack, api } = build();
    api.addRoute('GET', '/v1/usage');
    const acks = acknowledged(stack);
    for (const path of ['v1/chat/completions/POST', 'v1/embeddings/POST', 'v1/models/GET', 'v1/models/{model}/GET', 'v1/feedback/POST', 'v1/usage/GET']) {
      expect(acks[`Gateway/Api/Default/${path}/Resource`]).toEqual(['AwsSolutions-COG4']);
    }
  });

  test('a Cognito authorizer needs no COG4 acknowledgment', () => {
    const stack = new Stack(new App(), 'Stack', { env: ACCOUNT_ENV });
    const pool = new cognito.UserPool(stack, 'Pool');
    const authorizer = new apigateway.CognitoUserPoolsAuthorizer(stack, 'Authorizer', { cognitoUserPools: [pool] });
    const handler = new lambda.Function(stack, 'Router', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    new GatewayApi(stack, 'Gateway', { handler, authorizer });
    expect(GatewayCompliance.reviewAcknowledgments(stack).filter((a) => a.findingId === 'AwsSolutions-COG4')).toEqual([]);
  });

  test('the stage acknowledges caching and backend client certificates for NIST 800-53, HIPAA and PCI DSS, with reasons', () => {
    const { stack } = build();
    expect(acknowledged(stack)['Gateway/Api/DeploymentStage.prod/Resource']).toEqual([
      'HIPAA.Security-APIGWCacheEnabledAndEncrypted', 'HIPAA.Security-APIGWSSLEnabled',
      'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted', 'NIST.800.53.R5-APIGWSSLEnabled',
      'PCI.DSS.321-APIGWCacheEnabledAndEncrypted', 'PCI.DSS.321-APIGWSSLEnabled',
    ]);
    const reasons = GatewayCompliance.reviewAcknowledgments(stack);
    expect(reasons.find((a) => a.findingId === 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted')!.reason).toMatch(/response streaming cannot be cached/);
    expect(reasons.find((a) => a.findingId === 'NIST.800.53.R5-APIGWSSLEnabled')!.reason).toMatch(/AWS_PROXY/);
    // The stage has no cache and no client certificate: the acknowledgments describe the template.
    const [stage] = Object.values(Template.fromStack(stack).findResources('AWS::ApiGateway::Stage'));
    expect(stage.Properties.CacheClusterEnabled).toBeUndefined();
    expect(stage.Properties.ClientCertificateId).toBeUndefined();
  });

  test('without streaming the caching reason does not claim streaming', () => {
    const { stack } = build({ streaming: false });
    const cache = GatewayCompliance.reviewAcknowledgments(stack).find((a) => a.findingId === 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted')!;
    expect(cache.reason).not.toMatch(/streaming/);
  });

  test('the account-wide CloudWatch role acknowledges its AWS managed policy, and only when this construct creates it', () => {
    const id = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]';
    const { stack } = build();
    expect(acknowledged(stack)['Gateway/Api/CloudWatchRole']).toEqual([id]);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']] }],
    });
    const { stack: without } = build({ cloudWatchRole: false });
    expect(GatewayCompliance.reviewAcknowledgments(without).map((a) => a.findingId)).not.toContain(id);
    Template.fromStack(without).resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  test('CT.LAMBDA.PR.2: with a known account the router permission also names SourceAccount; without one it is acknowledged', () => {
    const { stack } = build();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Router'), 'Arn'] },
      SourceAccount: '111122223333',
      SourceArn: { 'Fn::Join': ['', Match.arrayWith(['/*/*/*'])] },
    });
    expect(GatewayCompliance.reviewAcknowledgments(stack).map((a) => a.findingId)).not.toContain('CT.LAMBDA.PR.2');

    const { stack: noAccount } = build({}, { region: 'us-east-1' });
    const permissions = Template.fromStack(noAccount).findResources('AWS::Lambda::Permission');
    expect(Object.values(permissions).map((p) => p.Properties.SourceAccount)).toEqual([undefined]);
    const acks = GatewayCompliance.reviewAcknowledgments(noAccount).filter((a) => a.findingId === 'CT.LAMBDA.PR.2');
    expect(acks.map((a) => a.constructPath)).toEqual([expect.stringMatching(/^Stack\/Gateway\/Api\/ApiPermission\.ApiScoped\./)]);
  });
});
