import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { AiGatewayValidationError } from '../private/errors';
import { restrictApiGatewayInvokePermissions } from '../private/function-compliance';
import { encryptedLogGroup } from '../private/kms';

/** Who can reach the gateway's REST API. */
export enum GatewayEndpointType {
  /** A regional endpoint on the internet, behind the web ACL and the tenant authorizer. */
  REGIONAL = 'REGIONAL',
  /**
   * A private endpoint, reachable only through `execute-api` interface VPC endpoints that the API's
   * resource policy admits; the web ACL and the tenant authorizer apply as before.
   */
  PRIVATE = 'PRIVATE',
}

/** Where a PRIVATE gateway API may be called from. */
export interface GatewayPrivateApiOptions {
  /**
   * An existing `execute-api` interface endpoint to use instead of creating one (for a VPC that has
   * one with private DNS already: a second one with private DNS cannot be created there).
   * @default - a new endpoint in `vpc`
   */
  readonly vpcEndpoint?: ec2.IInterfaceVpcEndpoint;
  /**
   * The VPC of the new `execute-api` endpoint (private DNS on; HTTPS admitted from the VPC's CIDR).
   * Required unless `vpcEndpoint` is given.
   * @default - none
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` for the new endpoint.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * More VPCs (of this or other accounts) whose own `execute-api` endpoints may call the API
   * (`aws:SourceVpc`). The API authorizes tenants with bearer keys, not SigV4, so admission by
   * calling account cannot be expressed in the resource policy: name the accounts' VPCs or endpoints.
   * @default - none
   */
  readonly allowedVpcIds?: string[];
  /**
   * More `execute-api` endpoints (for example in other accounts) that may call the API (`aws:SourceVpce`).
   * @default - none
   */
  readonly allowedVpcEndpointIds?: string[];
}

/** Properties of a {@link GatewayApi}. */
export interface GatewayApiProps {
  /** The router function that serves every route. */
  readonly handler: lambda.IFunction;

  /** The authorizer that turns a tenant key into the tenant's identity (see `TenantAuthorizer`). */
  readonly authorizer: apigateway.IAuthorizer;

  /**
   * Name of the stage; the OpenAI base URL of the gateway is `<api url>/<stageName>/v1`.
   * @default 'prod'
   */
  readonly stageName?: string;

  /**
   * Stream responses from the router (Lambda response streaming through API Gateway). Without
   * streaming API Gateway cuts every answer at 29 seconds and `stream: true` cannot work.
   * @default true
   */
  readonly streaming?: boolean;

  /**
   * How long API Gateway waits for the router: up to 15 minutes with streaming, up to 29 seconds
   * without.
   * @default Duration.minutes(15) when streaming, Duration.seconds(29) otherwise
   */
  readonly integrationTimeout?: Duration;

  /**
   * Require an API Gateway usage identifier on every method. The tenant authorizer returns the
   * tenant's usage identifier, so the tenant's tier usage plan (rate, burst, quota) throttles it.
   * @default true
   */
  readonly usagePlansEnforced?: boolean;

  /**
   * Default steady-state request rate for the stage, per second, across all tenants.
   * @default 500
   */
  readonly throttlingRateLimit?: number;

  /**
   * Default burst for the stage, across all tenants.
   * @default 1000
   */
  readonly throttlingBurstLimit?: number;

  /**
   * CORS for browser clients. Off unless given: a gateway for server-side callers needs none.
   * @default - no CORS
   */
  readonly cors?: apigateway.CorsOptions;

  /**
   * Log group for the JSON access logs.
   * @default - a new log group encrypted with `encryptionKey`, kept for `logRetention`
   */
  readonly accessLogGroup?: logs.ILogGroup;

  /**
   * KMS key for the log groups this construct creates: the access log group (unless
   * `accessLogGroup` is given) and the execution log group.
   * @default - a new KMS key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Retention of the access and execution logs this construct creates.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Execution logging level. Request and response bodies (data trace) are never logged: they
   * carry prompts, which may be restricted data. Unless the level is `OFF`, this construct creates
   * the execution log group API Gateway writes to, `API-Gateway-Execution-Logs_<rest api id>/<stage>`,
   * before the stage (KMS-encrypted, with `logRetention` and `removalPolicy`), so API Gateway does not
   * create it on first use without retention or a customer key.
   * @default MethodLoggingLevel.ERROR
   */
  readonly executionLoggingLevel?: apigateway.MethodLoggingLevel;

  /**
   * Set up the account-wide role API Gateway uses to write execution and access logs
   * (`AWS::ApiGateway::Account`). It is one setting per account and Region: turn this off when
   * another stack already manages it. The role uses the AWS managed policy
   * `AmazonAPIGatewayPushToCloudWatchLogs` that API Gateway prescribes (every REST API of the
   * account and Region logs through it); AwsSolutions-IAM4 is acknowledged on it with that reason.
   * @default true
   */
  readonly cloudWatchRole?: boolean;

  /**
   * X-Ray tracing on the stage.
   * @default true
   */
  readonly tracingEnabled?: boolean;

  /**
   * What happens to the log groups and key when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * REGIONAL (on the internet behind the web ACL) or PRIVATE (only through admitted `execute-api`
   * VPC endpoints; set `privateApi`).
   * @default GatewayEndpointType.REGIONAL
   */
  readonly endpointType?: GatewayEndpointType;

  /**
   * With `endpointType` PRIVATE: the `execute-api` endpoint (created in a VPC, or yours) and the
   * VPCs and endpoints the resource policy admits; it denies every other caller.
   * @default - none (required with PRIVATE)
   */
  readonly privateApi?: GatewayPrivateApiOptions;
}

/** API Gateway responses rewritten to the OpenAI error envelope, so SDK clients handle them. */
const GATEWAY_ERRORS: ReadonlyArray<{ type: apigateway.ResponseType; status: string; errorType: string; code: string; message: string }> = [
  { type: apigateway.ResponseType.UNAUTHORIZED, status: '401', errorType: 'authentication_error', code: 'invalid_api_key', message: 'Missing or invalid tenant key.' },
  { type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN, status: '404', errorType: 'invalid_request_error', code: 'not_found', message: 'No such route.' },
  { type: apigateway.ResponseType.ACCESS_DENIED, status: '403', errorType: 'permission_error', code: 'access_denied', message: 'The tenant key is revoked, expired or suspended, or may not call this route.' },
  { type: apigateway.ResponseType.INVALID_API_KEY, status: '403', errorType: 'permission_error', code: 'no_usage_plan', message: 'The tenant has no usage plan.' },
  { type: apigateway.ResponseType.THROTTLED, status: '429', errorType: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Rate limit of the tenant tier exceeded; retry later.' },
  { type: apigateway.ResponseType.QUOTA_EXCEEDED, status: '429', errorType: 'rate_limit_error', code: 'quota_exceeded', message: 'Request quota of the tenant tier exhausted for this period.' },
  { type: apigateway.ResponseType.BAD_REQUEST_BODY, status: '400', errorType: 'invalid_request_error', code: 'invalid_request', message: 'The request body failed validation: model (a string) and messages (a non-empty array) are required.' },
  { type: apigateway.ResponseType.REQUEST_TOO_LARGE, status: '413', errorType: 'invalid_request_error', code: 'request_too_large', message: 'Request body too large.' },
  { type: apigateway.ResponseType.UNSUPPORTED_MEDIA_TYPE, status: '415', errorType: 'invalid_request_error', code: 'unsupported_media_type', message: 'Send application/json.' },
  { type: apigateway.ResponseType.WAF_FILTERED, status: '403', errorType: 'permission_error', code: 'request_blocked', message: 'Request blocked by the web application firewall.' },
  { type: apigateway.ResponseType.INTEGRATION_TIMEOUT, status: '504', errorType: 'api_error', code: 'gateway_timeout', message: 'The gateway timed out.' },
  { type: apigateway.ResponseType.DEFAULT_4XX, status: '400', errorType: 'invalid_request_error', code: 'bad_request', message: 'Bad request.' },
  { type: apigateway.ResponseType.DEFAULT_5XX, status: '502', errorType: 'api_error', code: 'bad_gateway', message: 'The gateway could not complete the request.' },
];

/**
 * The gateway's REST API (regional, or private behind an `execute-api` VPC endpoint): `POST /v1/chat/completions` (streamed through Lambda response
 * streaming), `POST /v1/embeddings`, `GET /v1/models`, `GET /v1/models/{model}`, `POST /v1/feedback`, all behind the tenant authorizer, with
 * request validation, JSON access logs in a KMS-encrypted log group, execution logs without
 * bodies, X-Ray tracing, stage throttling and OpenAI-shaped error responses.
 *
 * @example
 * const api = new GatewayApi(this, 'Api', { handler: router, authorizer: tenantAuthorizer.authorizer });
 * // OpenAI base URL: api.baseUrl
 */
export class GatewayApi extends Construct {
  /** The REST API. */
  public readonly api: apigateway.RestApi;
  /** The deployed stage. */
  public readonly stage: apigateway.Stage;
  /** The OpenAI-compatible base URL: `https://<id>.execute-api.<region>.amazonaws.com/<stage>/v1`. */
  public readonly baseUrl: string;
  /** The access log group. */
  public readonly accessLogGroup: logs.ILogGroup;
  /**
   * The execution log group, `API-Gateway-Execution-Logs_<rest api id>/<stage>`, unless execution
   * logging is `OFF`.
   */
  public readonly executionLogGroup?: logs.ILogGroup;
  /** The endpoint type of the API. */
  public readonly endpointType: GatewayEndpointType;
  /** The `execute-api` interface endpoint of a PRIVATE API (created or given). */
  public readonly vpcEndpoint?: ec2.IInterfaceVpcEndpoint;
  /** The methods of the API, by `METHOD /path`. */
  public readonly methods: { [route: string]: apigateway.Method } = {};
  private readonly usagePlansEnforced: boolean;
  private readonly integration: apigateway.LambdaIntegration;
  private readonly handler: lambda.IFunction;
  private readonly authorizer: apigateway.IAuthorizer;
  private readonly validator: apigateway.RequestValidator;

  constructor(scope: Construct, id: string, props: GatewayApiProps) {
    super(scope, id);
    const streaming = props.streaming ?? true;
    const timeout = props.integrationTimeout ?? (streaming ? Duration.minutes(15) : Duration.seconds(29));
    validateProps(this, props, streaming, timeout);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    let logKey = props.encryptionKey;
    if (props.accessLogGroup) {
      this.accessLogGroup = props.accessLogGroup;
    } else {
      const access = encryptedLogGroup(this, 'AccessLogs', {
        key: logKey,
        keyId: 'LogKey',
        purpose: 'the gateway API access and execution logs',
        retention: props.logRetention,
        removalPolicy,
      });
      this.accessLogGroup = access.logGroup;
      logKey = access.key;
    }
    const stageName = props.stageName ?? 'prod';
    const executionLoggingLevel = props.executionLoggingLevel ?? apigateway.MethodLoggingLevel.ERROR;
    const usagePlansEnforced = props.usagePlansEnforced ?? true;
    this.usagePlansEnforced = usagePlansEnforced;

    this.endpointType = props.endpointType ?? GatewayEndpointType.REGIONAL;
    const isPrivate = this.endpointType === GatewayEndpointType.PRIVATE;
    this.vpcEndpoint = isPrivate ? props.privateApi?.vpcEndpoint ?? new ec2.InterfaceVpcEndpoint(this, 'ExecuteApiEndpoint', {
      vpc: props.privateApi!.vpc!,
      service: ec2.InterfaceVpcEndpointAwsService.APIGATEWAY,
      subnets: props.privateApi!.vpcSubnets,
      privateDnsEnabled: true,
      // HTTPS from the VPC's CIDR: the applications of the VPC are the API's callers.
      open: true,
    }) : undefined;

    this.api = new apigateway.RestApi(this, 'Api', {
      description: 'cdk-ai-gateway: OpenAI-compatible entry point for model calls',
      endpointConfiguration: isPrivate
        ? { types: [apigateway.EndpointType.PRIVATE], vpcEndpoints: [this.vpcEndpoint!] }
        : { types: [apigateway.EndpointType.REGIONAL] },
      policy: isPrivate ? privateApiPolicy(this.vpcEndpoint!, props.privateApi!) : undefined,
      apiKeySourceType: usagePlansEnforced ? apigateway.ApiKeySourceType.AUTHORIZER : undefined,
      cloudWatchRole: props.cloudWatchRole ?? true,
      // aws-cdk-lib refuses a removal policy for a role it does not create.
      cloudWatchRoleRemovalPolicy: (props.cloudWatchRole ?? true) ? removalPolicy : undefined,
      defaultCorsPreflightOptions: props.cors,
      disableExecuteApiEndpoint: false,
      deployOptions: {
        stageName,
        tracingEnabled: props.tracingEnabled ?? true,
        loggingLevel: executionLoggingLevel,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? 500,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 1000,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    this.stage = this.api.deploymentStage;
    if (executionLoggingLevel !== apigateway.MethodLoggingLevel.OFF) {
      // API Gateway writes execution logs to a group it names after the API and the stage, and
      // creates it on first use without retention or a customer key unless it exists: create it
      // here, before the stage.
      const execution = encryptedLogGroup(this, 'ExecutionLogs', {
        key: logKey,
        keyId: 'LogKey',
        purpose: 'the gateway API access and execution logs',
        retention: props.logRetention,
        removalPolicy,
        logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${stageName}`,
      });
      this.executionLogGroup = execution.logGroup;
      this.stage.node.addDependency(execution.logGroup);
    }

    for (const e of GATEWAY_ERRORS) {
      this.api.addGatewayResponse(`Error${e.type.responseType}`, {
        type: e.type,
        statusCode: e.status,
        responseHeaders: {
          'Content-Type': "'application/json'",
          ...(e.status === '429' ? { 'Retry-After': "'1'" } : {}),
        },
        templates: {
          'application/json': `{"error":{"message":"${e.message}","type":"${e.errorType}","code":"${e.code}","param":null}}`,
        },
      });
    }

    this.integration = new apigateway.LambdaIntegration(props.handler, {
      proxy: true,
      timeout,
      responseTransferMode: streaming ? apigateway.ResponseTransferMode.STREAM : apigateway.ResponseTransferMode.BUFFERED,
      // One permission for the whole API instead of two per method keeps the function policy small.
      scopePermissionToMethod: false,
    });
    this.authorizer = props.authorizer;
    this.handler = props.handler;
    // Bodies are checked against the route's model; parameters too (the routes declare none as
    // required, so it refuses nothing today and holds for routes that will).
    this.validator = this.api.addRequestValidator('RequestValidator', { validateRequestBody: true, validateRequestParameters: true });

    const chatModel = this.bodyModel('ChatCompletionRequest', ['model', 'messages'], {
      model: { type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength: 256 },
      messages: { type: apigateway.JsonSchemaType.ARRAY, minItems: 1 },
      stream: { type: apigateway.JsonSchemaType.BOOLEAN },
    }, 'The shape API Gateway checks before the router validates the request in full');
    const feedbackModel = this.bodyModel('FeedbackRequest', ['request_id', 'score'], {
      request_id: { type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength: 128 },
      score: { type: apigateway.JsonSchemaType.NUMBER },
      comment: { type: apigateway.JsonSchemaType.STRING, maxLength: 4000 },
    });
    const embeddingsModel = this.bodyModel('EmbeddingsRequest', ['model', 'input'], {
      model: { type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength: 256 },
    }, 'The shape API Gateway checks before the router validates the embeddings request in full');
    this.addRoute('POST', '/v1/chat/completions', chatModel);
    this.addRoute('POST', '/v1/embeddings', embeddingsModel);
    this.addRoute('GET', '/v1/models');
    this.addRoute('GET', '/v1/models/{model}');
    this.addRoute('POST', '/v1/feedback', feedbackModel);

    this.baseUrl = `${this.api.url}v1`;
    this.acknowledgeStageFindings(streaming);
    this.acknowledgeCloudWatchRole();
  }

  /** A JSON body model (draft 4) API Gateway checks a route's body against. */
  private bodyModel(
    name: string, required: string[], properties: { [name: string]: apigateway.JsonSchema }, description?: string,
  ): apigateway.Model {
    return this.api.addModel(name, {
      contentType: 'application/json',
      modelName: name,
      ...(description ? { description } : {}),
      schema: { schema: apigateway.JsonSchemaVersion.DRAFT4, type: apigateway.JsonSchemaType.OBJECT, required, properties },
    });
  }

  /**
   * Adds a route served by the router (for example `GET /v1/usage`), with the same authorizer,
   * usage plan enforcement and integration as the built-in routes.
   *
   * @param httpMethod `GET`, `POST`, ...
   * @param path `/v1/<segment>[/<segment>...]`, a segment may be a path parameter (`{model}`)
   * @param requestModel a model API Gateway validates the JSON body against before the router sees it
   */
  public addRoute(httpMethod: string, path: string, requestModel?: apigateway.IModel): apigateway.Method {
    if (!/^\/v1(\/([a-z0-9_-]+|\{[a-z][A-Za-z0-9_]{0,63}\}))+$/.test(path)) {
      throw new AiGatewayValidationError(
        `path must look like /v1/<segment>[/<segment>...] with lower-case segments or path parameters such as {model}, received '${path}'.`, this);
    }
    let resource: apigateway.IResource = this.api.root;
    for (const part of path.split('/').filter(Boolean)) {
      resource = resource.getResource(part) ?? resource.addResource(part);
    }
    const method = resource.addMethod(httpMethod, this.integration, {
      authorizer: this.authorizer,
      apiKeyRequired: this.usagePlansEnforced,
      ...(requestModel ? { requestValidator: this.validator, requestModels: { 'application/json': requestModel } } : {}),
    });
    this.methods[`${httpMethod} ${path}`] = method;
    restrictApiGatewayInvokePermissions(this.api, this.handler, 'the methods of this REST API');
    if (this.authorizer.authorizationType === apigateway.AuthorizationType.CUSTOM) {
      GatewayCompliance.acknowledge(method.node.defaultChild!, 'AwsSolutions-COG4',
        'The method requires the Lambda authorizer of the gateway (in AiGateway the tenant-key REQUEST authorizer): tenants are '
        + 'machine clients that send a gateway key as an OpenAI-style bearer token, checked against SHA-256 hashes in a '
        + 'KMS-encrypted DynamoDB table with revocation and expiry. Cognito user pools authenticate human users through '
        + 'sign-in flows, which these API clients do not have.');
    }
    return method;
  }

  /**
   * The stage's findings that do not fit a gateway of model completions behind a Lambda proxy
   * integration, acknowledged on the stage: response caching, and client certificates for the backend.
   */
  private acknowledgeStageFindings(streaming: boolean): void {
    const stage = this.stage.node.defaultChild!;
    const cache = 'The stage serves model completions: each answer is generated for one tenant and one request body and may '
      + 'hold restricted data, while an API Gateway cache is keyed on the path and chosen request parameters, never on the '
      + 'body, so different prompts would share one cached answer. No cache cluster means no cached response data at rest to encrypt.'
      + (streaming ? ' Methods with response streaming cannot be cached by API Gateway at all.' : '');
    const ssl = 'The only backend of the stage is the router Lambda function, which API Gateway invokes through the Lambda '
      + 'service API (AWS_PROXY integration) over TLS with SigV4-signed requests. A stage client certificate authenticates '
      + 'API Gateway to an HTTP backend, and there is none; clients reach the execute-api endpoint over HTTPS only.';
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
      GatewayCompliance.acknowledge(stage, `${pack}-APIGWCacheEnabledAndEncrypted`, cache);
      GatewayCompliance.acknowledge(stage, `${pack}-APIGWSSLEnabled`, ssl);
    }
  }

  /** The account-wide CloudWatch Logs role of API Gateway, when this construct creates it. */
  private acknowledgeCloudWatchRole(): void {
    const role = this.api.node.tryFindChild('CloudWatchRole');
    if (!role) return;
    GatewayCompliance.acknowledge(role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'This is the CloudWatch Logs role of AWS::ApiGateway::Account: one per account and Region, used by every REST API '
      + 'there to write execution and access logs to log groups that API Gateway names per API and stage. API Gateway '
      + 'prescribes the AmazonAPIGatewayPushToCloudWatchLogs policy, which AWS maintains for it; a policy scoped to this API '
      + 'would break the logging of the other APIs. Set cloudWatchRole to false where another stack manages it.');
  }
}

/** Access log fields: who called what, how it ended, how long it took; never bodies or keys. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integration.latency',
  integrationStatus: '$context.integration.status',
  tenantId: '$context.authorizer.tenantId',
  tier: '$context.authorizer.tier',
  authorizerError: '$context.authorizer.error',
  authorizerLatency: '$context.authorizer.latency',
  wafStatus: '$context.waf.status',
  errorMessage: '$context.error.message',
  errorType: '$context.error.responseType',
  xrayTraceId: '$context.xrayTraceId',
};

/**
 * The resource policy of a PRIVATE API: invoke allowed to all, then denied unless the request comes
 * through the gateway's endpoint, another admitted endpoint or an admitted VPC (both keys in one
 * Deny statement: it applies only when neither matches).
 */
function privateApiPolicy(endpoint: ec2.IInterfaceVpcEndpoint, options: GatewayPrivateApiOptions): iam.PolicyDocument {
  const endpoints = [endpoint.vpcEndpointId, ...(options.allowedVpcEndpointIds ?? [])];
  const notFrom: { [key: string]: string[] } = { 'aws:SourceVpce': endpoints };
  if (options.allowedVpcIds?.length) notFrom['aws:SourceVpc'] = options.allowedVpcIds;
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'AllowInvokeThroughAdmittedEndpoints',
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
      }),
      new iam.PolicyStatement({
        sid: 'DenyInvokeFromAnywhereElse',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
        conditions: { StringNotEquals: notFrom },
      }),
    ],
  });
}

function validateProps(scope: Construct, props: GatewayApiProps, streaming: boolean, timeout: Duration): void {
  const endpointType = props.endpointType ?? GatewayEndpointType.REGIONAL;
  if (!Object.values(GatewayEndpointType).includes(endpointType)) {
    throw new AiGatewayValidationError(`endpointType must be one of ${Object.values(GatewayEndpointType).join(', ')}, received '${endpointType}'.`, scope);
  }
  if (endpointType === GatewayEndpointType.PRIVATE && !props.privateApi?.vpc && !props.privateApi?.vpcEndpoint) {
    throw new AiGatewayValidationError('endpointType PRIVATE needs privateApi.vpc (to create an execute-api VPC endpoint) or privateApi.vpcEndpoint (yours).', scope);
  }
  if (endpointType !== GatewayEndpointType.PRIVATE && props.privateApi) {
    throw new AiGatewayValidationError(`privateApi applies only with endpointType PRIVATE, received endpointType ${endpointType}.`, scope);
  }
  if (props.privateApi?.vpc && props.privateApi.vpcEndpoint) {
    throw new AiGatewayValidationError('privateApi: give either vpc (a new execute-api endpoint) or vpcEndpoint (yours), not both.', scope);
  }
  if (props.privateApi?.vpcSubnets && !props.privateApi.vpc) {
    throw new AiGatewayValidationError('privateApi.vpcSubnets needs privateApi.vpc.', scope);
  }
  for (const id of props.privateApi?.allowedVpcIds ?? []) {
    if (!Token.isUnresolved(id) && !/^vpc-[0-9a-f]{8,17}$/.test(id)) {
      throw new AiGatewayValidationError(`privateApi.allowedVpcIds: '${id}' is not a VPC id (vpc- and 8 or 17 hex digits).`, scope);
    }
  }
  for (const id of props.privateApi?.allowedVpcEndpointIds ?? []) {
    if (!Token.isUnresolved(id) && !/^vpce-[0-9a-f]{8,17}$/.test(id)) {
      throw new AiGatewayValidationError(`privateApi.allowedVpcEndpointIds: '${id}' is not a VPC endpoint id (vpce- and 8 or 17 hex digits).`, scope);
    }
  }
  const maxSeconds = streaming ? 900 : 29;
  if (!timeout.isUnresolved() && (timeout.toMilliseconds() < 50 || timeout.toSeconds() > maxSeconds)) {
    throw new AiGatewayValidationError(
      `integrationTimeout must be between 50 ms and ${maxSeconds} seconds ${streaming ? 'with' : 'without'} streaming, received ${timeout.toHumanString()}.`, scope);
  }
  for (const [name, value] of [['throttlingRateLimit', props.throttlingRateLimit], ['throttlingBurstLimit', props.throttlingBurstLimit]] as const) {
    if (value !== undefined && !Token.isUnresolved(value) && (!Number.isFinite(value) || value < 0)) {
      throw new AiGatewayValidationError(`${name} must be a non-negative number, received ${value}.`, scope);
    }
  }
  if (props.stageName !== undefined && !/^[a-zA-Z0-9_]{1,128}$/.test(props.stageName)) {
    throw new AiGatewayValidationError(`stageName may contain only letters, digits and underscores (1-128), received '${props.stageName}'.`, scope);
  }
}
