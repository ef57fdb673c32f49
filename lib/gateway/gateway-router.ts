import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeImportedSubnets, acknowledgeOutsideVpc } from '../private/function-compliance';
import { GatewayConfig, TargetKind } from '../../lambda/shared/config';
import { TRACE_EXPORT_ENV, TraceExport } from '../../lambda/shared/config-tracing';
import { CONFIG_DEFAULTS } from '../../lambda/shared/defaults';
import { ROUTER_FUNCTION_TIMEOUT_ENV, SETTLE_MARGIN_MS } from '../../lambda/shared/usage-table-schema';
import { GatewayConfigValidator } from '../../lambda/shared/validator';
import { BUNDLED_HANDLER, BUNDLED_RUNTIME, bundledHandler } from '../private/assets';
import { AiGatewayValidationError } from '../private/errors';
import { acknowledgeSynchronousFunctionFindings } from '../private/function-compliance';
import { FunctionExecutionRole } from '../private/function-role';
import { httpsOnlySecurityGroup } from '../private/gateway-egress';
import { encryptedLogGroup } from '../private/kms';
import { withTokenPlaceholders } from '../private/token-placeholders';
import { appConfigValidatorSchema } from '../private/validator-schema';

/** Properties of a {@link GatewayRouter}. */
export interface GatewayRouterProps {
  /**
   * The gateway configuration the router serves. It is validated at synth (values that are CDK
   * tokens, such as profile ARNs, are checked at deploy time by AWS AppConfig's JSON Schema
   * validator and again by the router at cold start).
   */
  readonly config: GatewayConfig;

  /**
   * Memory of the router function, in MiB. The router streams and does little CPU work; more
   * memory mostly buys a faster cold start.
   * @default 1024
   */
  readonly memorySize?: number;

  /**
   * The function timeout: the longest generation a client can stream. Match it to the API
   * Gateway integration timeout. It must exceed the configuration's total deadline
   * (`timeouts.totalMs`) plus the time the router needs to settle a request afterwards
   * (`GatewayRouter.SETTLE_MARGIN`), or an invocation could be killed before its usage record and
   * budget settlement are written. A request's in-flight item in the usage table expires at this
   * timeout (the usage sweeper settles it after that).
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;

  /**
   * Reserved concurrency, to protect the account's other functions from a flood (and the gateway
   * from them). Without it, the NIST 800-53 and HIPAA `LambdaConcurrency` findings are
   * acknowledged on the function (API Gateway's stage throttling and usage plans limit the rate).
   * @default - no reserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * Run the router in this VPC (required to reach self-hosted targets). Give it private subnets
   * with VPC endpoints or a NAT for Bedrock, AppConfig, DynamoDB and CloudWatch Logs.
   *
   * Without a VPC and with only Bedrock targets, the router calls only AWS APIs (Bedrock Runtime,
   * AppConfig), over TLS with requests signed by its role, and the compliance findings that ask
   * for a VPC (NIST 800-53, HIPAA and PCI DSS `LambdaInsideVPC`, Control Tower CT.LAMBDA.PR.3) are
   * acknowledged on it with that reason. With a VPC they do not arise; with other targets and no
   * VPC they stay open.
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of `vpc` for the router.
   * @default - the VPC's private subnets with egress, else its isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the router, when it runs in a VPC.
   * @default - a new security group (`securityGroup`) without ingress whose only egress is HTTPS
   * (TCP 443) to any IPv4 address, for the AWS APIs through the VPC's endpoints or a NAT; add what
   * a route needs with `router.connections.allowTo(peer, port)` (a self-hosted model's port, say)
   * or `router.securityGroup.addEgressRule(...)`
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * KMS key for the router's log group (and its AppConfig deployments).
   * @default - a new KMS key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Retention of the router's logs: one line per request, with usage and cost.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Extra environment variables, for example the variables an OpenAI-compatible target's
   * `apiKeyEnv` names. Do not put secrets here in clear; reference them from Secrets Manager.
   * @default - none
   */
  readonly environment?: { [key: string]: string };

  /**
   * X-Ray tracing of the router.
   * @default lambda.Tracing.ACTIVE
   */
  readonly tracing?: lambda.Tracing;

  /**
   * Where the router sends the spans of each request (one per pipeline stage and model call, with
   * the OpenTelemetry GenAI attributes), after the answer was sent. `TraceExport.XRAY` posts them
   * to X-Ray's OTLP endpoint in the function's Region, signed with its role (which gets
   * `xray:PutSpans` and `xray:PutSpansForIndexing`); it needs CloudWatch Transaction Search
   * enabled in the account (`GatewayTransactionSearch`, once per account and Region) — until
   * then exports are refused, the spans are dropped and counted, and the answers are unaffected.
   * `TraceExport.OTLP` needs `OTEL_EXPORTER_OTLP_ENDPOINT` in `environment`.
   * @default TraceExport.XRAY when `tracing` is not DISABLED, else TraceExport.OFF
   */
  readonly traceExport?: TraceExport;

  /**
   * What happens to the log group and key when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The router Lambda function: the pre-bundled handler (minified ESM, arm64, the latest Node.js
 * runtime), its configuration delivered through AWS AppConfig, a KMS-encrypted log group with
 * retention, and least-privilege access to that configuration. Model permissions are granted by
 * the targets (`TenantInferenceProfiles.grantInvoke`, `IGatewayGuardrail.grantApply`).
 *
 * Its execution role has no AWS managed and no inline policy: customer-managed policies allow
 * writing to its own log group, X-Ray writes when traced, the VPC network interface actions when
 * in a VPC, and every grant made to it.
 *
 * The configuration travels through AppConfig because it holds values known only at deploy time
 * (profile ARNs, guardrail versions) and can exceed Lambda's 4 KB environment limit. The hosted
 * configuration version number is in the function's environment, so a configuration change
 * updates the function and every execution environment picks it up.
 *
 * @example
 * const router = new GatewayRouter(this, 'Router', { config });
 * profiles.grantInvoke(router);
 */
/** A function of the router's bundle with another handler (`GatewayRouter.addWorker`). */
export interface RouterWorkerOptions {
  /** The bundle's export, e.g. `index.batchHandler`. */
  readonly handler: string;
  readonly description: string;
  readonly timeout: Duration;
  /** @default - unreserved */
  readonly reservedConcurrentExecutions?: number;
  /** Variables beside the router's. @default - the router's only */
  readonly environment?: { [key: string]: string };
  /** Where failed asynchronous invocations go. @default - none */
  readonly deadLetterQueue?: sqs.IQueue;
}

export class GatewayRouter extends Construct implements iam.IGrantable, ec2.IConnectable {
  /** Time the router needs after its total deadline to write a request's usage record and settle its budget. */
  public static readonly SETTLE_MARGIN = Duration.millis(SETTLE_MARGIN_MS);

  /** The function timeout. */
  public readonly timeout: Duration;
  /** The router function. */
  public readonly function: lambda.Function;
  /** The function's execution role. */
  public readonly role: iam.IRole;
  /** The log group of the router: one JSON line per request, with EMF metrics. */
  public readonly logGroup: logs.ILogGroup;
  /** The AppConfig hosted configuration that holds the gateway configuration. */
  public readonly configuration: appconfig.HostedConfiguration;
  /**
   * The security group this construct created, when it runs in a VPC without `securityGroups`:
   * no ingress, egress only HTTPS to any IPv4 address until you add rules.
   */
  public readonly securityGroup?: ec2.ISecurityGroup;
  public readonly grantPrincipal: iam.IPrincipal;

  private readonly _connections?: ec2.Connections;
  private readonly environment: { [key: string]: string };
  private readonly workerBase: Omit<lambda.FunctionProps, 'handler' | 'timeout' | 'description' | 'environment'>;

  constructor(scope: Construct, id: string, props: GatewayRouterProps) {
    super(scope, id);
    validateRouterProps(this, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.timeout = props.timeout ?? Duration.minutes(15);

    const { logGroup, key } = encryptedLogGroup(this, 'Logs', {
      key: props.encryptionKey,
      keyId: 'Key',
      purpose: 'the gateway router logs and configuration deployments',
      retention: props.logRetention,
      removalPolicy,
    });
    this.logGroup = logGroup;

    const application = new appconfig.Application(this, 'ConfigApp', {
      description: 'cdk-ai-gateway router configuration',
    });
    const environment = new appconfig.Environment(this, 'ConfigEnv', {
      application,
      description: 'The configuration the deployed router reads at cold start',
    });
    this.configuration = new appconfig.HostedConfiguration(this, 'Config', {
      application,
      content: appconfig.ConfigurationContent.fromInlineJson(Stack.of(this).toJsonString(props.config)),
      type: appconfig.ConfigurationType.FREEFORM,
      // Without annotations or whitespace: AppConfig allows a validator of at most 32,768 characters.
      validators: [appconfig.JsonSchemaValidator.fromInline(appConfigValidatorSchema())],
      deployTo: [environment],
      deploymentKey: key,
      // The router reads the configuration only at cold start, and the function is updated with
      // every new version: there is nothing to roll out gradually.
      deploymentStrategy: new appconfig.DeploymentStrategy(this, 'Immediate', {
        rolloutStrategy: appconfig.RolloutStrategy.linear({
          growthFactor: 100,
          deploymentDuration: Duration.minutes(0),
          finalBakeTime: Duration.minutes(0),
        }),
      }),
    });

    if (props.vpc && !props.securityGroups) {
      // Other ports (a self-hosted model's) only where a route needs them: `connections.allowTo`.
      this.securityGroup = httpsOnlySecurityGroup(this, props.vpc, 'router', 'model endpoints and AWS APIs');
    }
    const tracing = props.tracing ?? lambda.Tracing.ACTIVE;
    const traceExport = props.traceExport ?? (tracing === lambda.Tracing.DISABLED ? TraceExport.OFF : TraceExport.XRAY);
    const role = new FunctionExecutionRole(this, 'Role', {
      purpose: `the cdk-ai-gateway router ${this.node.path}`,
      logGroup: this.logGroup,
      tracing: tracing !== lambda.Tracing.DISABLED,
      vpc: props.vpc !== undefined,
      spans: traceExport === TraceExport.XRAY,
    });
    this.environment = {
      ...props.environment,
      GATEWAY_APPCONFIG_APPLICATION: application.applicationId,
      GATEWAY_APPCONFIG_ENVIRONMENT: environment.environmentId,
      GATEWAY_APPCONFIG_PROFILE: this.configuration.configurationProfileId,
      GATEWAY_CONFIG_VERSION: this.configuration.versionNumber ?? '',
      // In-flight items of the usage ledger expire when the invocation cannot be alive any more.
      [ROUTER_FUNCTION_TIMEOUT_ENV]: this.timeout.toMilliseconds().toString(),
      [TRACE_EXPORT_ENV]: traceExport,
    };
    this.function = new lambda.Function(this, 'Function', {
      description: 'cdk-ai-gateway router: OpenAI-compatible requests to Bedrock and self-hosted models',
      runtime: BUNDLED_RUNTIME,
      role,
      architecture: lambda.Architecture.ARM_64,
      code: bundledHandler('router'),
      handler: BUNDLED_HANDLER,
      memorySize: props.memorySize ?? 1024,
      timeout: this.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing,
      logGroup: this.logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
      securityGroups: props.securityGroups ?? (this.securityGroup ? [this.securityGroup] : undefined),
      environment: this.environment,
    });
    this.role = role;
    this.workerBase = {
      runtime: BUNDLED_RUNTIME, role, architecture: lambda.Architecture.ARM_64, code: bundledHandler('router'),
      memorySize: props.memorySize ?? 1024, tracing, logGroup: this.logGroup, vpc: props.vpc, vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
      securityGroups: props.securityGroups ?? (this.securityGroup ? [this.securityGroup] : undefined),
    };
    this.grantPrincipal = this.function.grantPrincipal;
    this._connections = props.vpc ? this.function.connections : undefined;
    acknowledgeSynchronousFunctionFindings(this.function, {
      invocation: 'as the Lambda proxy integration of the gateway REST API (response streaming invocations)',
      awsApis: 'AWS service APIs (Amazon Bedrock Runtime, AWS AppConfig Data, AWS X-Ray)',
      // A target that is not Bedrock is an HTTP endpoint outside AWS's APIs: then the finding stays open.
      acknowledgeOutsideVpc: props.vpc === undefined && props.config.targets.every((t) => t.kind === TargetKind.BEDROCK),
      vpcProp: 'vpc',
      reservedConcurrency: props.reservedConcurrentExecutions !== undefined,
      concurrencyProp: 'reservedConcurrentExecutions',
      loadLimits: 'API Gateway limits the request rate in front of the router with the stage throttling and the usage plan of each tenant tier.',
    });

    // Read this configuration, and nothing else of AppConfig.
    this.function.addToRolePolicy(new iam.PolicyStatement({
      actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
      resources: [Stack.of(this).formatArn({
        service: 'appconfig',
        resource: 'application',
        resourceName: `${application.applicationId}/environment/${environment.environmentId}/configuration/${this.configuration.configurationProfileId}`,
      })],
    }));
    key.grantDecrypt(this.function);
    // A new execution environment must find the new configuration deployed.
    for (const child of this.node.findAll()) {
      if (child instanceof appconfig.CfnDeployment) this.function.node.addDependency(child);
    }
  }

  /**
   * A function that runs the router's code with another handler of its bundle (e.g. the batch
   * worker): the router's role, log group, network, configuration and environment.
   */
  public addWorker(id: string, options: RouterWorkerOptions): lambda.Function {
    const worker = new lambda.Function(this, id, {
      ...this.workerBase,
      description: options.description,
      handler: options.handler,
      timeout: options.timeout,
      reservedConcurrentExecutions: options.reservedConcurrentExecutions,
      deadLetterQueue: options.deadLetterQueue,
      // The usage ledger's in-flight items live as long as this function's invocations.
      environment: { ...this.environment, [ROUTER_FUNCTION_TIMEOUT_ENV]: options.timeout.toMilliseconds().toString(), ...options.environment },
    });
    for (const child of this.node.findAll()) {
      if (child instanceof appconfig.CfnDeployment) worker.node.addDependency(child);
    }
    // In another stack's VPC, like the router: Control Tower cannot see the subnets are private.
    acknowledgeImportedSubnets(worker);
    if (!this.workerBase.vpc) {
      acknowledgeOutsideVpc(worker.node.defaultChild!, `The ${id} function runs outside a VPC like the router it shares its code and role `
        + 'with (the vpc prop is unset): it calls AWS APIs over their TLS endpoints, every request signed with SigV4 and authorized by the '
        + "router's role. Setting vpc places both in private subnets of your VPC.");
    }
    return worker;
  }

  /** Network connections of the router (only when it runs in a VPC). */
  public get connections(): ec2.Connections {
    if (!this._connections) {
      throw new AiGatewayValidationError('The router has no network connections: it does not run in a VPC (set vpc).', this);
    }
    return this._connections;
  }
}

function validateRouterProps(scope: Construct, props: GatewayRouterProps): void {
  const problems = GatewayConfigValidator.check(withTokenPlaceholders(props.config));
  if (problems.length > 0) {
    throw new AiGatewayValidationError(`config is not a valid gateway configuration:\n  - ${problems.join('\n  - ')}`, scope);
  }
  const memory = props.memorySize;
  if (memory !== undefined && !Token.isUnresolved(memory) && (!Number.isInteger(memory) || memory < 256 || memory > 10240)) {
    throw new AiGatewayValidationError(`memorySize must be an integer between 256 and 10240 MiB, received ${memory}.`, scope);
  }
  const timeout = props.timeout;
  if (timeout && !timeout.isUnresolved() && (timeout.toSeconds() < 30 || timeout.toSeconds() > 900)) {
    throw new AiGatewayValidationError(`timeout must be between 30 seconds and 15 minutes, received ${timeout.toHumanString()}.`, scope);
  }
  const totalMs = props.config.timeouts?.totalMs ?? CONFIG_DEFAULTS.timeouts.totalMs;
  const timeoutMs = timeout && !timeout.isUnresolved() ? timeout.toMilliseconds() : (timeout ? undefined : 15 * 60_000);
  if (timeoutMs !== undefined && !Token.isUnresolved(totalMs) && timeoutMs <= totalMs + SETTLE_MARGIN_MS) {
    throw new AiGatewayValidationError(
      `timeout (${timeoutMs / 1000} s) must exceed the configuration's total deadline timeouts.totalMs (${totalMs} ms) plus the `
      + `settle margin (${SETTLE_MARGIN_MS} ms), i.e. be more than ${(totalMs + SETTLE_MARGIN_MS) / 1000} s: otherwise Lambda can kill `
      + 'an invocation before it has written its usage record and settled its budget. Raise timeout or lower timeouts.totalMs.', scope);
  }
  const env = props.environment ?? {};
  if (props.traceExport === TraceExport.OTLP && !env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    throw new AiGatewayValidationError('traceExport OTLP needs OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT in environment.', scope);
  }
  if (props.traceExport === TraceExport.XRAY && props.tracing === lambda.Tracing.DISABLED) {
    throw new AiGatewayValidationError('traceExport XRAY continues the function\'s X-Ray trace: it needs tracing ACTIVE or PASS_THROUGH, received DISABLED.', scope);
  }
  if ((props.vpcSubnets || props.securityGroups) && !props.vpc) {
    throw new AiGatewayValidationError('vpcSubnets and securityGroups need vpc.', scope);
  }
  const reserved = new Set(['GATEWAY_APPCONFIG_APPLICATION', 'GATEWAY_APPCONFIG_ENVIRONMENT', 'GATEWAY_APPCONFIG_PROFILE', 'GATEWAY_CONFIG_VERSION',
    'GATEWAY_CONFIG_PATH', ROUTER_FUNCTION_TIMEOUT_ENV]);
  for (const name of Object.keys(props.environment ?? {})) {
    if (reserved.has(name)) {
      throw new AiGatewayValidationError(`environment may not set ${name}: the router construct owns it.`, scope);
    }
  }
}
