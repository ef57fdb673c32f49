import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import {
  AutoRoutingRule, CircuitBreakerPolicy, GatewayConfig, GuardrailRef, ModelPrice, RequestLimits, RetryPolicy,
  RouteConfig, Sensitivity, TargetConfig, TargetKind, TenantBudget, TenantConfig, TimeoutPolicy,
} from '../../lambda/shared/config';
import { KnowledgeSourceConfig, RouteRetrievalConfig } from '../../lambda/shared/config-retrieval';
import { IKnowledgeSource } from '../retrieval/tenant-knowledge-base';
import { TargetCapabilities } from '../../lambda/shared/config-capabilities';
import { TraceExport } from '../../lambda/shared/config-tracing';
import { bedrockEmbeddingFamily } from '../../lambda/shared/embedding-models';
import { ImageFetchConfig, PromptCachingConfig, ServiceTier } from '../../lambda/shared/config-surface';
import { ResponseValidationConfig } from '../../lambda/shared/config-validation';
import { PromptRegistry } from '../prompts/prompt-registry';
import { GatewayGuardrail, GatewayGuardrailProps, IGatewayGuardrail } from '../bedrock/guardrails/gateway-guardrail';
import { ModelSource } from '../bedrock/inference-profiles/model-source';
import { TenantInferenceProfiles } from '../bedrock/inference-profiles/tenant-inference-profiles';
import { AiGatewayValidationError } from '../private/errors';
import { acknowledgeCrossRegionModelArns } from '../private/function-compliance';
import { GatewayVpc } from '../network/gateway-vpc';
import { restrictGatewayEgress } from '../private/gateway-egress';
import { newKey } from '../private/kms';
import { sameVpc, vpcResourceOf } from '../private/same-vpc';
import { GatewayObservability } from '../observability/gateway-observability';
import { BUDGET_METRIC, METRICS_NAMESPACE } from '../private/telemetry-conventions';
import { ISelfHostedTarget } from '../selfhosted/self-hosted-target';
import { BedrockPrices } from '../usage/bedrock-prices';
import { UsageSweeper } from '../usage/usage-sweeper';
import { BatchRoute } from '../batch/batch-route';
import { UsageTable } from '../usage/usage-table';
import { IncidentControlsTable } from '../incident/incident-controls-table';
import { ApprovalsTable } from '../approvals/approvals-table';
import { ModelInvocationLogging } from '../bedrock/invocation-logging/model-invocation-logging';
import { checkRestrictedRoutes } from './restricted-route';
import { ResponseReviewQueue } from '../validation/response-review-queue';
import { GatewayApi, GatewayEndpointType, GatewayPrivateApiOptions } from './gateway-api';
import { GatewayEgressRule } from './gateway-egress';
import { GatewayRouter } from './gateway-router';
import { GatewayWebAcl, GatewayWebAclProps } from './gateway-web-acl';
import { TenantAuthorizer } from './tenant-keys/tenant-authorizer';
import { TenantKeyTable } from './tenant-keys/tenant-key-table';
import { TenantTier, TenantUsagePlans } from './tenant-keys/tenant-usage-plans';

/** The guardrail id the gateway configuration uses for the gateway's own guardrail. */

/** A tenant of an {@link AiGateway}. */
export interface AiGatewayTenant {
  /** The tenant id: lower-case letters, digits, `-`, `_`, `.`; at most 64 characters. */
  readonly id: string;
  /** Cost center, written as a cost allocation tag on the tenant's inference profiles. */
  readonly costCenter: string;
  /** The tenant's tier: the name of one of `tiers`, whose usage plan throttles the tenant. */
  readonly tier: string;
  /**
   * Route aliases the tenant may call.
   * @default - every route
   */
  readonly allowedAliases?: string[];
  /**
   * The most sensitive data the tenant may send.
   * @default Sensitivity.INTERNAL
   */
  readonly sensitivityClearance?: Sensitivity;
  /**
   * The lowest sensitivity of the tenant's requests: a request may declare a higher one, never a
   * lower one. A key may raise it further (`keys create --sensitivity-floor`).
   * @default Sensitivity.PUBLIC (no floor)
   */
  readonly sensitivityFloor?: Sensitivity;
  /**
   * Extra tags on the tenant's inference profiles (cost allocation).
   * @default - none
   */
  readonly tags?: { [key: string]: string };
  /**
   * The tenant's spending limits, enforced by the router with reservations in the usage table
   * (needs `usageLedger`).
   * @default - no budget
   */
  readonly budget?: TenantBudget;
  /**
   * The prompt ids (of `promptRegistry`) the tenant may use.
   * @default - every prompt
   */
  readonly allowedPrompts?: string[];
  /**
   * The knowledge source ids (`AiGatewayProps.knowledgeSources`) this tenant's requests may search.
   * @default - none
   */
  readonly allowedKnowledgeSources?: string[];
}

/** A knowledge source of an {@link AiGateway}: the router may search it for the tenants granted it. */
export interface AiGatewayKnowledgeSource {
  /** The source id requests, routes and tenants name. */
  readonly id: string;
  /** The knowledge base (`TenantKnowledgeBase`, or `TenantKnowledgeBase.fromKnowledgeBaseId`). */
  readonly source: IKnowledgeSource;
  /**
   * The most passages per request.
   * @default 5
   */
  readonly maxResults?: number;
  /**
   * The most passage tokens in the prompt (lowest-scored passages dropped first).
   * @default 2000
   */
  readonly maxContextTokens?: number;
  /**
   * The least relevance score of a passage (0–1).
   * @default 0
   */
  readonly minScore?: number;
  /**
   * What one search costs in USD, reserved and charged per request.
   * @default 0
   */
  readonly costPerQueryUsd?: number;
}

/** A route of an {@link AiGateway}: an alias applications put in `model`. */
export interface AiGatewayRoute {
  /** The alias, e.g. `support-summary`. */
  readonly alias: string;
  /**
   * The Bedrock model serving the alias; every tenant that may call it gets its own application
   * inference profile of this model.
   * @default - no Bedrock target (then `targets` must name at least one)
   */
  readonly model?: ModelSource;
  /**
   * Ids of `selfHostedTargets` or `additionalTargets` (for example a self-hosted vLLM model)
   * tried before the Bedrock model, in order.
   * @default - none
   */
  readonly targets?: string[];
  /**
   * Other routes whose Bedrock model is tried, in order, when this route's targets fail.
   * @default - none
   */
  readonly fallbackAliases?: string[];
  /**
   * Apply the gateway guardrail on this route.
   * @default true when the gateway has a guardrail
   */
  readonly guardrail?: boolean;
  /**
   * The route may serve restricted data (all of its targets must be cleared for it).
   * @default false
   */
  readonly restrictedAllowed?: boolean;
  /**
   * Retrieval on every request to this route (a knowledge source id of `knowledgeSources`), with an
   * optional grounding check.
   * @default - only requests that ask for retrieval retrieve
   */
  readonly retrieval?: RouteRetrievalConfig;
  /**
   * What the route's Bedrock `model` can do (tool calls, enforced structured output, images,
   * prompt caching, service tiers), overriding the model family's defaults; requests that need a
   * capability skip a target without it. Each service tier it offers needs a price factor
   * (`ModelPrice.tierMultipliers` in `prices`). An embedding model (Titan Text Embeddings V2,
   * Cohere Embed v3) is marked `embeddings` whatever is set here.
   * @default - the model family's defaults (tool use for Claude 3 and later, Nova, Llama 3.1 and later, …; no images, no prompt caching, the default tier only)
   */
  readonly capabilities?: TargetCapabilities;
  /**
   * The service tier of calls that ask for none, on targets that offer it.
   * @default ServiceTier.DEFAULT
   */
  readonly serviceTier?: ServiceTier;
  /**
   * Bedrock prompt-cache points (after the system prompt, the tools, a stable prefix) on targets
   * with the `promptCaching` capability.
   * @default - no cache points
   */
  readonly promptCaching?: PromptCachingConfig;
  /**
   * Hosts whose `https` image URLs the router may fetch for this route. In a VPC, the router also
   * needs an outbound rule to them (`routerEgress`).
   * @default - only base64 data URLs are accepted
   */
  readonly imageFetch?: ImageFetchConfig;
  /**
   * Mask PII in every prompt text with the gateway guardrail's sensitive-information policy
   * (ApplyGuardrail, before any target sees the prompt, Bedrock and self-hosted alike). Entities
   * the policy blocks on input refuse the request instead.
   * @default false
   */
  readonly redact?: boolean;
  /**
   * The checks every answer of this route must pass, and the policy when one fails (retry with a
   * repair instruction, escalate to another alias, reject or flag). A validator function's ARN is
   * granted `lambda:InvokeFunction` to the router, exactly.
   * @default - only the request's own `response_format` is checked (a mismatch is rejected)
   */
  readonly validation?: ResponseValidationConfig;
  /**
   * A description for operators.
   * @default - none
   */
  readonly description?: string;
}

/** Properties of an {@link AiGateway}. */
/** The Batch API of an `AiGateway`. */
export interface AiGatewayBatchOptions {
  /**
   * Batches of one tenant that run at once.
   * @default 2
   */
  readonly maxRunningBatchesPerTenant?: number;
  /**
   * How long batch files and state are kept.
   * @default Duration.days(30)
   */
  readonly retention?: Duration;
}

export interface AiGatewayProps {
  /** The tenants. */
  readonly tenants: AiGatewayTenant[];
  /** The routes (model aliases). */
  readonly routes: AiGatewayRoute[];
  /** The tenant tiers and their usage plans (rate, burst, quota). */
  readonly tiers: TenantTier[];

  /**
   * Targets that are not Bedrock models of a route, for example self-hosted OpenAI-compatible
   * models; routes name them in `targets`. Their prices go in `prices`.
   * @default - none
   */
  readonly additionalTargets?: TargetConfig[];
  /**
   * Self-hosted models (for example `SelfHostedModels.targets`): each becomes a route target with
   * its price, and its private endpoint admits the router's security group on its port. Needs
   * `vpc`, the VPC the models' endpoints are in.
   * @default - none
   */
  readonly selfHostedTargets?: ISelfHostedTarget[];
  /**
   * Prices by model id; they override the library's Bedrock on-demand prices (`BedrockPrices`).
   * @default - `BedrockPrices.onDemand()` for the routes' models
   */
  readonly prices?: { [modelId: string]: ModelPrice };
  /**
   * Rules that pick an alias for `model: "auto"`.
   * @default - `auto` is refused
   */
  readonly autoRouting?: AutoRoutingRule[];
  /** @default - the router's defaults */
  readonly retry?: RetryPolicy;
  /** @default - the router's defaults */
  readonly timeouts?: TimeoutPolicy;
  /** @default - the router's defaults */
  readonly circuitBreaker?: CircuitBreakerPolicy;
  /** @default - the router's defaults */
  readonly limits?: RequestLimits;
  /**
   * Versioned prompts that requests name by id and version or label; their `prompts` section goes
   * into the router's configuration. The registry is read when the gateway is constructed: add
   * its prompts before.
   * @default - no prompts
   */
  readonly promptRegistry?: PromptRegistry;
  /**
   * Knowledge sources the router may search, granted per tenant (`allowedKnowledgeSources`); the
   * router gets `bedrock:Retrieve` on exactly these knowledge bases.
   * @default - none
   */
  readonly knowledgeSources?: AiGatewayKnowledgeSource[];

  /**
   * The guardrail applied on routes with `guardrail` on: an existing one
   * (`GatewayGuardrail.fromGuardrailAttributes`).
   * @default - a new `GatewayGuardrail` with `guardrailProps`
   */
  readonly guardrail?: IGatewayGuardrail;
  /**
   * Properties of the guardrail this construct creates.
   * @default - fintech defaults (see `GatewayGuardrail`)
   */
  readonly guardrailProps?: GatewayGuardrailProps;
  /**
   * Create (or use) a guardrail at all. Without one, no route is guarded.
   * @default true
   */
  readonly guardrailEnabled?: boolean;

  /**
   * The tenant-key table (bring your own).
   * @default - a new `TenantKeyTable`
   */
  readonly tenantKeyTable?: dynamodb.ITable;
  /**
   * Existing tenant inference profiles (for example shared by several gateways) instead of new
   * ones. They must hold a profile for every tenant and every alias with a `model` the tenant can
   * reach, fallbacks included, and the alias's `model` must be the profiles' model.
   * @default - a new `TenantInferenceProfiles` for the tenants and routes
   */
  readonly inferenceProfiles?: TenantInferenceProfiles;
  /**
   * Log group for the API's JSON access logs.
   * @default - a new log group encrypted with `encryptionKey`
   */
  readonly accessLogGroup?: logs.ILogGroup;
  /**
   * An AWS Backup plan for the tenant-key table this construct creates (see `TenantKeyTable`'s
   * `backupPlan`). Not allowed with `tenantKeyTable`: back up your own table yourself.
   * @default - no AWS Backup plan; point-in-time recovery is on
   */
  readonly tenantKeyBackupPlan?: backup.IBackupPlan;
  /**
   * The KMS key for logs, the key table and configuration.
   * @default - a new KMS key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Run the router (and authorizer) in this VPC: required to reach self-hosted targets.
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` for the functions.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Create VPC endpoints for Bedrock Runtime, AppConfig, CloudWatch Logs, X-Ray (interface) and
   * DynamoDB (gateway) in `vpc`, so the functions need no NAT. Turn off when the VPC has them already.
   * The router's and the authorizer's egress is then HTTPS to those endpoints' security group and to
   * DynamoDB's prefix list only. When false with a VPC that is not a `GatewayVpc` with endpoints,
   * the gateway knows no endpoint security group: both keep HTTPS (443) to any IPv4 address, through
   * the VPC's own endpoints or a NAT (still no other port or protocol).
   * @default true when `vpc` is given, unless it is a `GatewayVpc` with its own endpoints
   */
  readonly createVpcEndpoints?: boolean;
  /**
   * The id of the AWS-managed prefix list of DynamoDB in the Region (`com.amazonaws.<region>.dynamodb`,
   * from `aws ec2 describe-managed-prefix-lists`), to which the router's and the authorizer's HTTPS
   * egress to DynamoDB is limited. CloudFormation exposes no attribute for it: without this prop, a
   * custom resource (one per stack: `AwsCustomResource` calling EC2 `DescribeManagedPrefixLists`
   * with a `prefix-list-name` filter, its function with its own encrypted log group and a role that
   * may only read prefix lists in this Region) resolves it at deploy time. Set it to avoid that
   * custom resource. Applies when the router and the authorizer reach the AWS APIs through known
   * endpoints (`createVpcEndpoints`, or a `GatewayVpc` with its endpoints); with the VPC's own
   * endpoints of an unknown security group they keep HTTPS to any IPv4 address, DynamoDB included.
   * @default - looked up at deploy time
   */
  readonly dynamoDbPrefixListId?: string;
  /**
   * Outbound rules for endpoints outside AWS's APIs that a route needs (an external
   * OpenAI-compatible target in `additionalTargets`, say). The router's security group allows
   * nothing else besides the VPC endpoints, DynamoDB and the self-hosted targets' ports.
   * @default - none
   */
  readonly routerEgress?: GatewayEgressRule[];
  /**
   * REGIONAL (on the internet behind the web ACL) or PRIVATE (only through admitted `execute-api`
   * VPC endpoints); the web ACL and the tenant authorizer apply to both.
   * @default GatewayEndpointType.REGIONAL
   */
  readonly endpointType?: GatewayEndpointType;
  /**
   * With `endpointType` PRIVATE: the `execute-api` endpoint and who may call through it (see
   * `GatewayPrivateApiOptions`).
   * @default - a new `execute-api` endpoint in `vpc`, admitting only itself
   */
  readonly privateApi?: GatewayPrivateApiOptions;
  /**
   * The incident controls (kill switch): a small table that `cdk-ai-gateway incident …` writes and
   * the router reads at most every 30 s, to suspend a tenant, a key, a route or a target, or force a
   * route to its fallback without a deploy.
   * @default true
   */
  readonly incidentControls?: boolean;
  /**
   * Approvals of restricted data: a table that `cdk-ai-gateway approvals grant|revoke` writes; a
   * restricted request is admitted only for a tenant × workflow with an approval in force (403
   * `approval_required` otherwise).
   * @default true when a route is `restrictedAllowed`
   */
  readonly approvals?: boolean;
  /**
   * The account's Bedrock model invocation logging. When it delivers text
   * (`textDataDelivered`), a restricted route that reaches Bedrock is refused at synth unless
   * `restrictedTextLoggingReason` says why those logs may hold restricted data.
   * @default - not checked
   */
  readonly invocationLogging?: ModelInvocationLogging;
  /**
   * Why the invocation logs may hold restricted prompts and answers (a reason a reviewer accepts,
   * checked like compliance acknowledgments), when `invocationLogging` delivers text.
   * @default - restricted Bedrock routes are refused while text is delivered
   */
  readonly restrictedTextLoggingReason?: string;

  /**
   * An existing AWS WAF web ACL (regional) to associate with the API stage instead of creating one.
   * @default - a new `GatewayWebAcl` with `webAclProps`
   */
  readonly webAclArn?: string;
  /**
   * Properties of the web ACL this construct creates.
   * @default - see `GatewayWebAcl`; its body limit follows `limits.maxBodyBytes`
   */
  readonly webAclProps?: GatewayWebAclProps;

  /** @default 'prod' */
  readonly stageName?: string;
  /** @default 500 */
  readonly throttlingRateLimit?: number;
  /** @default 1000 */
  readonly throttlingBurstLimit?: number;
  /** @default - no CORS */
  readonly cors?: apigateway.CorsOptions;
  /** @default 1024 */
  readonly routerMemorySize?: number;
  /** @default - none */
  readonly routerReservedConcurrency?: number;
  /**
   * Where the router sends each request's spans (see `GatewayRouterProps.traceExport`; X-Ray
   * needs `GatewayTransactionSearch` once per account and Region).
   * @default TraceExport.XRAY
   */
  readonly traceExport?: TraceExport;
  /** @default RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Record every request in a DynamoDB usage table (raw records with a TTL, aggregates per
   * tenant × month/day, workflow, route, model and prompt version), enforce tenant budgets, and
   * serve `GET /v1/usage` and `POST /v1/feedback` from it.
   * @default true
   */
  readonly usageLedger?: boolean;
  /**
   * Days raw usage records are kept (aggregates are kept).
   * @default - see `UsageTable`
   */
  readonly usageRecordTtlDays?: number;
  /**
   * Distinct workflow and prompt values per tenant and month in the usage aggregates (client
   * chosen; beyond the cap they count as `other`).
   * @default - see `UsageTable.dimensionValueCap` (100)
   */
  readonly usageDimensionValueCap?: number;
  /**
   * Run the usage sweeper (`UsageSweeper`), which settles the reservations of router invocations
   * that died (timeout, out of memory) and writes their `abandoned` usage records. Turning it off
   * leaves such reservations held until their budget period ends, and such requests unrecorded.
   * @default true when `usageLedger` is on
   */
  readonly usageSweeper?: boolean;

  /**
   * Turn on the Batch API (`/v1/files`, `/v1/batches`): a KMS-encrypted batch bucket, the batch
   * state table, the Bedrock batch service role (the tenants' inference profiles only) and the
   * batch worker (`BatchRoute`). Needs the usage ledger (one usage record per line).
   * @default - off: those paths answer 404
   */
  readonly batch?: AiGatewayBatchOptions;
  /**
   * The router function's timeout (see `GatewayRouterProps.timeout`).
   * @default Duration.minutes(15)
   */
  readonly routerTimeout?: Duration;

  /**
   * Create the dashboard, alarms and saved Logs Insights queries (`GatewayObservability`).
   * @default true
   */
  readonly observability?: boolean;
  /**
   * The SNS topic alarms notify.
   * @default - a new KMS-encrypted topic
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Where flagged and rejected answers go for human review (`cdk-ai-gateway reviews list|resolve`).
   * The router may only submit to it.
   * @default - no review queue: validation failures are only in the usage records and metrics
   */
  readonly reviewQueue?: ResponseReviewQueue;
}

/**
 * The whole Bedrock gateway in one construct: per-tenant application inference profiles, the
 * guardrail, the tenant-key table and authorizer, usage plans per tier, the router function with
 * its configuration, the REST API and its web ACL. IAM is derived from what is configured: the
 * router may invoke only the tenants' profiles (streaming included) and apply only the gateway's
 * guardrail.
 *
 * @example
 * const gateway = new AiGateway(this, 'Gateway', {
 *   tiers: [{ name: 'standard', rateLimit: 10, burstLimit: 20 }],
 *   tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard' }],
 *   routes: [{ alias: 'chat', model: ModelSource.crossRegionProfile('us.anthropic.claude-haiku-4-5-20251001-v1:0') }],
 * });
 * // OpenAI base URL: gateway.baseUrl
 */
export class AiGateway extends Construct {
  /** The gateway guardrail's id in the router configuration (e.g. `retrieval.grounding.guardrail` of a route). */
  public static readonly GUARDRAIL_ID = 'gateway';

  /** The OpenAI-compatible base URL (`…/<stage>/v1`). */
  public readonly baseUrl: string;
  /** The REST API. */
  public readonly api: GatewayApi;
  /** The router. */
  public readonly router: GatewayRouter;
  /** The tenant-key table. */
  public readonly tenantKeyTable: dynamodb.ITable;
  /** The authorizer. */
  public readonly authorizer: TenantAuthorizer;
  /** The usage plans per tier. */
  public readonly usagePlans: TenantUsagePlans;
  /** The tenants' inference profiles (absent when no route has a Bedrock model). */
  public readonly profiles?: TenantInferenceProfiles;
  /** The guardrail (absent when disabled). */
  public readonly guardrail?: IGatewayGuardrail;
  /** The web ACL this construct created (absent with `webAclArn`). */
  public readonly webAcl?: GatewayWebAcl;
  /** The configuration the router serves (values may be tokens). */
  public readonly config: GatewayConfig;
  /** The KMS key of the gateway's logs and tables. */
  public readonly encryptionKey: kms.IKey;
  /** The usage table (absent with `usageLedger: false`). */
  public readonly usageTable?: UsageTable;
  /** The batch route (with `batch`). */
  public readonly batch?: BatchRoute;
  /** The usage sweeper (absent without the usage table, or with `usageSweeper: false`). */
  public readonly usageSweeper?: UsageSweeper;
  /** The incident controls (absent with `incidentControls: false`); `cdk-ai-gateway incident --table <its tableName>`. */
  public readonly incidentControls?: IncidentControlsTable;
  /** The approvals of restricted data (see `approvals`); `cdk-ai-gateway approvals --table <its tableName>`. */
  public readonly approvals?: ApprovalsTable;
  /** The dashboard, alarms and queries (absent with `observability: false`). */
  public readonly observability?: GatewayObservability;
  /**
   * The router's security group (with `vpc`): admit it on your self-hosted targets, e.g.
   * `target.connections.allowFrom(gateway.routerSecurityGroup, ec2.Port.tcp(8000))`.
   */
  public readonly routerSecurityGroup?: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: AiGatewayProps) {
    super(scope, id);
    validateGatewayProps(this, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.encryptionKey = props.encryptionKey ?? newKey(this, 'Key', 'Encrypts the AI gateway logs, tenant keys and configuration', removalPolicy);

    const aliasesOf = (t: AiGatewayTenant) => t.allowedAliases ?? props.routes.map((r) => r.alias);
    const routeByAlias = new Map(props.routes.map((r) => [r.alias, r]));
    // A tenant needs a profile for every Bedrock model its routes can reach, fallbacks included.
    const reachable = (t: AiGatewayTenant) => [...new Set(aliasesOf(t).flatMap((a) => [a, ...(routeByAlias.get(a)?.fallbackAliases ?? [])]))]
      .filter((a) => routeByAlias.get(a)?.model);
    const modelRoutes = props.routes.filter((r) => r.model);
    if (props.inferenceProfiles) {
      this.profiles = props.inferenceProfiles;
      checkProfiles(this, props.inferenceProfiles, props.tenants, reachable, routeByAlias);
    } else if (modelRoutes.length > 0) {
      this.profiles = new TenantInferenceProfiles(this, 'Profiles', {
        tenants: props.tenants.filter((t) => reachable(t).length > 0)
          .map((t) => ({ id: t.id, costCenter: t.costCenter, tags: t.tags, aliases: reachable(t) })),
        models: modelRoutes.map((r) => ({ alias: r.alias, source: r.model! })),
      });
    }

    if (props.guardrailEnabled ?? true) {
      this.guardrail = props.guardrail ?? new GatewayGuardrail(this, 'Guardrail', props.guardrailProps ?? {});
    }
    checkRestrictedRoutes(this, props, this.guardrail !== undefined);
    if (props.approvals ?? props.routes.some((r) => r.restrictedAllowed)) {
      this.approvals = new ApprovalsTable(this, 'Approvals', { encryptionKey: this.encryptionKey, removalPolicy });
    }

    this.config = this.buildConfig(props, aliasesOf, reachable);

    const table = props.tenantKeyTable ?? new TenantKeyTable(this, 'TenantKeys', {
      encryptionKey: this.encryptionKey,
      removalPolicy,
      backupPlan: props.tenantKeyBackupPlan,
    }).table;
    this.tenantKeyTable = table;

    const routerSecurityGroup = this.routerSecurityGroup = props.vpc ? new ec2.SecurityGroup(this, 'RouterSecurityGroup', {
      vpc: props.vpc,
      description: 'cdk-ai-gateway router: no ingress; egress to model endpoints and AWS APIs',
      allowAllOutbound: false,
    }) : undefined;
    const authorizerSecurityGroup = props.vpc ? new ec2.SecurityGroup(this, 'AuthorizerSecurityGroup', {
      vpc: props.vpc,
      description: 'cdk-ai-gateway tenant authorizer: no ingress; egress to DynamoDB and the VPC endpoints',
      allowAllOutbound: false,
    }) : undefined;
    if (props.usageLedger ?? true) {
      this.usageTable = new UsageTable(this, 'Usage', {
        encryptionKey: this.encryptionKey,
        recordTtlDays: props.usageRecordTtlDays,
        dimensionValueCap: props.usageDimensionValueCap,
        removalPolicy,
      });
    }
    if (props.incidentControls ?? true) {
      this.incidentControls = new IncidentControlsTable(this, 'IncidentControls', { encryptionKey: this.encryptionKey, removalPolicy });
    }
    this.router = new GatewayRouter(this, 'Router', {
      config: this.config,
      environment: {
        ...this.usageTable?.routerEnvironment(), ...this.incidentControls?.routerEnvironment(), ...this.approvals?.routerEnvironment(),
        ...props.reviewQueue?.routerEnvironment(),
      },
      memorySize: props.routerMemorySize,
      timeout: props.routerTimeout,
      reservedConcurrentExecutions: props.routerReservedConcurrency,
      traceExport: props.traceExport,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: routerSecurityGroup ? [routerSecurityGroup] : undefined,
      encryptionKey: this.encryptionKey,
      logRetention: props.logRetention,
      removalPolicy,
    });
    this.incidentControls?.grantReadControls(this.router);
    this.approvals?.grantReadApprovals(this.router);
    const invoke = this.profiles?.grantInvoke(this.router);
    // Cross-Region profiles need the model ARN in every Region of their geography: acknowledge
    // exactly those ARNs on the router's policy, not wildcards in general.
    if (invoke) acknowledgeCrossRegionModelArns(invoke, this.router);
    this.guardrail?.grantApply(this.router);
    for (const k of props.knowledgeSources ?? []) k.source.grantRetrieve(this.router);

    this.authorizer = new TenantAuthorizer(this, 'Authorizer', {
      tenantKeyTable: table,
      logEncryptionKey: this.encryptionKey,
      logRetention: props.logRetention,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: authorizerSecurityGroup ? [authorizerSecurityGroup] : undefined,
    });
    if (this.incidentControls) {
      // The authorizer denies suspended tenants and keys too (the router is the guarantee: API
      // Gateway may keep an Allow for the authorizer cache TTL).
      this.incidentControls.grantReadControls(this.authorizer.handler);
      for (const [name, value] of Object.entries(this.incidentControls.routerEnvironment())) this.authorizer.handler.addEnvironment(name, value);
    }

    this.api = new GatewayApi(this, 'Api', {
      handler: this.router.function,
      authorizer: this.authorizer.authorizer,
      stageName: props.stageName,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
      cors: props.cors,
      accessLogGroup: props.accessLogGroup,
      encryptionKey: this.encryptionKey,
      logRetention: props.logRetention,
      removalPolicy,
      endpointType: props.endpointType,
      privateApi: props.privateApi ?? (props.endpointType === GatewayEndpointType.PRIVATE && props.vpc ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets } : undefined),
    });
    this.baseUrl = this.api.baseUrl;
    props.reviewQueue?.grantSubmit(this.router);
    const validatorArns = validatorFunctionArns(props.routes, props.promptRegistry);
    if (validatorArns.length > 0) {
      this.router.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: validatorArns }));
    }
    if (this.usageTable) {
      this.usageTable.grantWriteUsage(this.router);
      // A tenant reads its own usage; the router answers from the usage table.
      this.api.addRoute('GET', '/v1/usage');
      if (props.usageSweeper ?? true) {
        this.usageSweeper = new UsageSweeper(this, 'UsageSweeper', {
          usageTable: this.usageTable,
          routerTimeout: this.router.timeout,
          encryptionKey: this.encryptionKey,
          logRetention: props.logRetention,
          removalPolicy,
          vpc: props.vpc,
          vpcSubnets: props.vpcSubnets,
        });
      }
    }

    if (props.batch) {
      if (!this.usageTable) throw new AiGatewayValidationError('batch needs the usage ledger (usageLedger must not be false): every batch line leaves one usage record.', this);
      this.batch = new BatchRoute(this, 'Batch', {
        router: this.router,
        encryptionKey: this.encryptionKey,
        maxRunningBatchesPerTenant: props.batch.maxRunningBatchesPerTenant,
        retention: props.batch.retention,
        removalPolicy,
      });
      if (this.profiles) this.batch.addModels(this.profiles);
      this.batch.addApiRoutes(this.api);
    }

    this.usagePlans = new TenantUsagePlans(this, 'UsagePlans', {
      tenantKeyTable: table,
      tiers: props.tiers,
      tenants: props.tenants.map((t) => ({ tenantId: t.id, tier: t.tier })),
      stages: [{ api: this.api.api, stage: this.api.stage }],
    });

    if (props.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { webAclArn: props.webAclArn, resourceArn: this.api.stage.stageArn });
    } else {
      this.webAcl = new GatewayWebAcl(this, 'WebAcl', {
        maxBodyBytes: props.limits?.maxBodyBytes,
        encryptionKey: this.encryptionKey,
        logRetention: props.logRetention,
        removalPolicy,
        ...props.webAclProps,
      });
      this.webAcl.associate('ApiAssociation', this.api.stage.stageArn);
    }

    // The ingress rules live in the gateway's scope, so a model stack need not know the gateway's
    // (the gateway already depends on the models for their endpoints' URLs).
    (props.selfHostedTargets ?? []).forEach((t, i) => t.connections.securityGroups.forEach((sg, j) => {
      new ec2.CfnSecurityGroupIngress(this, `SelfHostedIngress${i}x${j}`, {
        groupId: sg.securityGroupId,
        sourceSecurityGroupId: routerSecurityGroup!.securityGroupId,
        ipProtocol: 'tcp',
        fromPort: t.port,
        toPort: t.port,
        description: `cdk-ai-gateway router to self-hosted target ${t.target.id}`,
      });
    }));
    if (props.vpc) {
      // The gateway's own interface endpoints, or those of a GatewayVpc that has them: the router
      // and the authorizer may reach the AWS APIs only through them (and DynamoDB's gateway endpoint).
      const endpointSecurityGroup = (props.createVpcEndpoints ?? !hasGatewayEndpoints(props.vpc))
        ? this.addVpcEndpoints(props.vpc, props.vpcSubnets, routerSecurityGroup!, (props.knowledgeSources ?? []).length > 0, props.batch !== undefined)
        : (props.vpc instanceof GatewayVpc ? props.vpc.endpointSecurityGroup : undefined);
      if (endpointSecurityGroup && props.vpc instanceof GatewayVpc && endpointSecurityGroup === props.vpc.endpointSecurityGroup && props.batch) {
        // Nor a Bedrock control-plane endpoint (only the batch route starts and stops jobs): the gateway adds it.
        new ec2.InterfaceVpcEndpoint(this, 'BedrockEndpoint', {
          vpc: props.vpc,
          service: ec2.InterfaceVpcEndpointAwsService.BEDROCK,
          privateDnsEnabled: true,
          subnets: props.vpcSubnets,
          securityGroups: [endpointSecurityGroup],
          open: false,
        });
      }
      if (endpointSecurityGroup && props.vpc instanceof GatewayVpc && endpointSecurityGroup === props.vpc.endpointSecurityGroup
        && (props.knowledgeSources ?? []).length > 0) {
        // A GatewayVpc has no Bedrock Agent Runtime endpoint (only retrieval needs it): the gateway adds
        // it, behind the VPC's endpoint security group, so Retrieve stays inside the VPC.
        new ec2.InterfaceVpcEndpoint(this, 'BedrockAgentRuntimeEndpoint', {
          vpc: props.vpc,
          service: ec2.InterfaceVpcEndpointAwsService.BEDROCK_AGENT_RUNTIME,
          privateDnsEnabled: true,
          subnets: props.vpcSubnets,
          securityGroups: [endpointSecurityGroup],
          open: false,
        });
      }
      restrictGatewayEgress(this, routerSecurityGroup!, authorizerSecurityGroup!, {
        endpointSecurityGroup,
        dynamoDbPrefixListId: props.dynamoDbPrefixListId,
        lookupLogs: { key: this.encryptionKey, retention: props.logRetention, removalPolicy },
        selfHostedTargets: props.selfHostedTargets ?? [],
        external: props.routerEgress ?? [],
        // The batch bucket, through the S3 gateway endpoint.
        s3: props.batch !== undefined,
      });
    }

    if (props.observability ?? true) {
      this.observability = new GatewayObservability(this, 'Observability', {
        routerFunction: this.router.function,
        routerLogGroup: this.router.logGroup,
        routes: props.routes.map((r) => r.alias),
        validatedRoutes: props.routes.filter((r) => r.validation !== undefined).map((r) => r.alias),
        tenants: props.tenants.map((t) => t.id),
        api: this.api.api,
        bedrockModelIds: bedrockModelIds(props.routes),
        alarmTopic: props.alarmTopic,
        encryptionKey: props.alarmTopic ? undefined : this.encryptionKey,
        budgetUsedPercentMetric: this.usageTable ? budgetUseMetric(props.tenants) : undefined,
      });
    }
  }

  private buildConfig(
    props: AiGatewayProps,
    aliasesOf: (t: AiGatewayTenant) => string[],
    reachable: (t: AiGatewayTenant) => string[],
  ): GatewayConfig {
    const bedrockTargetId = (alias: string) => `bedrock-${alias}`;
    const targets: TargetConfig[] = props.routes.filter((r) => r.model).map((r) => {
      const profileArns: { [tenantId: string]: string } = {};
      for (const t of props.tenants) {
        if (reachable(t).includes(r.alias)) profileArns[t.id] = this.profiles!.profileArn(t.id, r.alias);
      }
      // An embedding model (Titan Text Embeddings V2, Cohere Embed v3) serves POST /v1/embeddings only;
      // the route's capabilities override the model family's defaults.
      const embeddings = bedrockEmbeddingFamily(r.model!.modelId) !== undefined;
      const capabilities: TargetCapabilities | undefined = embeddings || r.capabilities
        ? { ...r.capabilities, ...(embeddings ? { embeddings: true } : {}) }
        : undefined;
      return {
        id: bedrockTargetId(r.alias),
        kind: TargetKind.BEDROCK,
        profileArns,
        priceModelId: r.model!.modelId,
        restrictedAllowed: r.restrictedAllowed,
        ...(capabilities ? { capabilities } : {}),
        description: `Bedrock ${r.model!.sourceId} through each tenant's application inference profile`,
      };
    });
    targets.push(...extraTargets(props));

    const modelIds = bedrockModelIds(props.routes);
    const prices: { [modelId: string]: ModelPrice } = {};
    for (const modelId of modelIds) {
      const known = BedrockPrices.of(modelId);
      if (known) prices[modelId] = known;
    }
    for (const t of props.selfHostedTargets ?? []) prices[t.target.priceModelId ?? t.target.model!] = t.price;
    Object.assign(prices, props.prices);

    const guardrails: { [id: string]: GuardrailRef } | undefined = this.guardrail
      ? { [AiGateway.GUARDRAIL_ID]: { identifier: this.guardrail.guardrailId, version: this.guardrail.guardrailVersion } }
      : undefined;

    const routes: RouteConfig[] = props.routes.map((r) => ({
      alias: r.alias,
      targets: [
        ...(r.targets ?? []),
        ...(r.model ? [bedrockTargetId(r.alias)] : []),
        ...(r.fallbackAliases ?? []).map(bedrockTargetId),
      ],
      guardrail: this.guardrail && (r.guardrail ?? true) ? AiGateway.GUARDRAIL_ID : undefined,
      ...(r.redact ? { redactionGuardrail: AiGateway.GUARDRAIL_ID } : {}),
      restrictedAllowed: r.restrictedAllowed,
      ...(r.retrieval ? { retrieval: r.retrieval } : {}),
      ...(r.serviceTier ? { serviceTier: r.serviceTier } : {}),
      ...(r.promptCaching ? { promptCaching: r.promptCaching } : {}),
      ...(r.imageFetch ? { imageFetch: r.imageFetch } : {}),
      ...(r.validation ? { validation: r.validation } : {}),
      description: r.description,
    }));

    const tenants: TenantConfig[] = props.tenants.map((t) => ({
      id: t.id,
      tier: t.tier,
      allowedAliases: aliasesOf(t),
      sensitivityClearance: t.sensitivityClearance,
      ...(t.sensitivityFloor ? { sensitivityFloor: t.sensitivityFloor } : {}),
      ...(t.budget ? { budget: t.budget } : {}),
      ...(t.allowedPrompts ? { allowedPrompts: t.allowedPrompts } : {}),
      ...(t.allowedKnowledgeSources ? { allowedKnowledgeSources: t.allowedKnowledgeSources } : {}),
    }));
    const prompts = props.promptRegistry?._configsFor(this) ?? [];
    const knowledgeSources: KnowledgeSourceConfig[] = (props.knowledgeSources ?? []).map((k) => ({
      ...k.source.knowledgeSourceConfig(k.id),
      ...(k.maxResults !== undefined ? { maxResults: k.maxResults } : {}),
      ...(k.maxContextTokens !== undefined ? { maxContextTokens: k.maxContextTokens } : {}),
      ...(k.minScore !== undefined ? { minScore: k.minScore } : {}),
      ...(k.costPerQueryUsd !== undefined ? { costPerQueryUsd: k.costPerQueryUsd } : {}),
    }));

    return {
      tenants,
      targets,
      routes,
      prices,
      ...(guardrails ? { guardrails } : {}),
      ...(props.autoRouting ? { autoRouting: props.autoRouting } : {}),
      ...(props.retry ? { retry: props.retry } : {}),
      ...(props.timeouts ? { timeouts: props.timeouts } : {}),
      ...(props.circuitBreaker ? { circuitBreaker: props.circuitBreaker } : {}),
      ...(props.limits ? { limits: props.limits } : {}),
      ...(prompts.length > 0 ? { prompts } : {}),
      ...(knowledgeSources.length > 0 ? { knowledgeSources } : {}),
      ...(this.approvals ? { restrictedData: { requireApproval: true } } : {}),
    };
  }

  private addVpcEndpoints(vpc: ec2.IVpc, subnets: ec2.SubnetSelection | undefined, router: ec2.ISecurityGroup, retrieval: boolean, batch: boolean): ec2.ISecurityGroup {
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: 'cdk-ai-gateway VPC endpoints: HTTPS from the gateway functions only',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(router, ec2.Port.tcp(443), 'HTTPS from the gateway router');
    for (const fn of [this.authorizer.handler]) {
      for (const sg of fn.connections.securityGroups) endpointSecurityGroup.addIngressRule(sg, ec2.Port.tcp(443), 'HTTPS from the tenant authorizer');
    }
    const services: Array<[string, ec2.InterfaceVpcEndpointAwsService]> = [
      ['BedrockRuntime', ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME],
      ['AppConfigData', ec2.InterfaceVpcEndpointAwsService.APPCONFIGDATA],
      ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
      ['XRay', ec2.InterfaceVpcEndpointAwsService.XRAY],
      // Retrieve, for gateways with knowledge sources.
      ...(retrieval ? [['BedrockAgentRuntime', ec2.InterfaceVpcEndpointAwsService.BEDROCK_AGENT_RUNTIME] as [string, ec2.InterfaceVpcEndpointAwsService]] : []),
      // CreateModelInvocationJob and StopModelInvocationJob, for the batch route.
      ...(batch ? [['Bedrock', ec2.InterfaceVpcEndpointAwsService.BEDROCK] as [string, ec2.InterfaceVpcEndpointAwsService]] : []),
    ];
    for (const [name, service] of services) {
      // In this construct's scope (not the VPC's), so an imported VPC from another stack works.
      new ec2.InterfaceVpcEndpoint(this, `${name}Endpoint`, {
        vpc,
        service,
        subnets,
        securityGroups: [endpointSecurityGroup],
        privateDnsEnabled: true,
        open: false,
      });
    }
    new ec2.GatewayVpcEndpoint(this, 'DynamoDbEndpoint', {
      vpc,
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: subnets ? [subnets] : undefined,
    });
    // The batch bucket's objects (the router's egress allows S3's prefix list).
    if (batch) new ec2.GatewayVpcEndpoint(this, 'S3Endpoint', { vpc, service: ec2.GatewayVpcEndpointAwsService.S3, subnets: subnets ? [subnets] : undefined });
    return endpointSecurityGroup;
  }
}

/** Existing profiles must serve every (tenant, reachable alias) with the route's model. */
function checkProfiles(
  scope: Construct,
  profiles: TenantInferenceProfiles,
  tenants: AiGatewayTenant[],
  reachable: (t: AiGatewayTenant) => string[],
  routeByAlias: Map<string, AiGatewayRoute>,
): void {
  for (const t of tenants) {
    for (const alias of reachable(t)) {
      let modelId: string;
      try {
        modelId = profiles.modelId(t.id, alias);
      } catch (error) {
        throw new AiGatewayValidationError(`inferenceProfiles has no profile for tenant '${t.id}' and alias '${alias}', which the tenant can reach: ${(error as Error).message}`, scope);
      }
      const expected = routeByAlias.get(alias)!.model!.modelId;
      if (modelId !== expected) {
        throw new AiGatewayValidationError(`inferenceProfiles: the profile of tenant '${t.id}' for alias '${alias}' routes to '${modelId}', but the route's model is '${expected}'.`, scope);
      }
    }
  }
}

/** The distinct foundation model ids behind the routes' Bedrock models. */
function bedrockModelIds(routes: AiGatewayRoute[]): string[] {
  return [...new Set(routes.filter((r) => r.model).map((r) => r.model!.modelId))];
}

/**
 * The largest budget use of any budgeted tenant: the router's `BudgetUsedPercent` metric
 * (dimensions Tenant and BudgetPeriod), at most the 10 metrics a CloudWatch alarm expression may
 * hold. With more budgeted tenants there is no single alarmable metric; build your own per tenant.
 */
function budgetUseMetric(tenants: AiGatewayTenant[]): cloudwatch.IMetric | undefined {
  const series = tenants.flatMap((t) => [
    ...(t.budget ? [[t.id, 'monthly']] : []),
    ...(t.budget?.dailyUsd !== undefined ? [[t.id, 'daily']] : []),
  ]);
  if (series.length === 0 || series.length > 10) return undefined;
  const usingMetrics: { [id: string]: cloudwatch.IMetric } = {};
  series.forEach(([tenant, period], i) => {
    usingMetrics[`budget${i}`] = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: BUDGET_METRIC,
      dimensionsMap: { Tenant: tenant, BudgetPeriod: period },
      statistic: cloudwatch.Stats.MAXIMUM,
    });
  });
  return new cloudwatch.MathExpression({
    expression: `MAX([${Object.keys(usingMetrics).join(', ')}])`,
    usingMetrics,
    label: 'Largest budget use (%)',
  });
}

/** The targets that are not a route's Bedrock model: self-hosted first, then the additional ones. */
function extraTargets(props: AiGatewayProps): TargetConfig[] {
  return [...(props.selfHostedTargets ?? []).map((t) => t.target), ...(props.additionalTargets ?? [])];
}

/**
 * The router reaches a self-hosted target only inside the target's own VPC. Refused at synth:
 *
 * - a target in another VPC: the ingress rule from the router's security group to the target's
 *   could never match (security groups are referenced only within a VPC or across a peering);
 * - `vpc` owned by the gateway's stack while the targets come from another stack: that stack
 *   would depend on the gateway's (for the VPC) and the gateway's on it (for the targets' URLs and
 *   security groups), a dependency cycle.
 *
 * When synth cannot tell whether two VPCs are the same (a looked-up id against a VPC the app
 * creates), a warning says what must hold.
 */
function checkSelfHostedVpcs(scope: Construct, vpc: ec2.IVpc, targets: ISelfHostedTarget[]): void {
  const gatewayStack = Stack.of(scope);
  for (const t of targets) {
    if (!t.vpc) continue;
    const same = sameVpc(vpc, t.vpc);
    if (same === false) {
      throw new AiGatewayValidationError(`selfHostedTargets: target '${t.target.id}' is in VPC ${t.vpc.node.path}, but vpc (the router's) `
        + `is ${vpc.node.path}; the router reaches a self-hosted model only inside the model's own VPC. Give the gateway the models' VPC `
        + '(vpc: selfHosted.vpc), or build both in one VPC: create it in a network stack (GatewayVpc) and pass it to SelfHostedModels '
        + '(clusterProps.vpc) and to AiGateway (vpc).', scope);
    }
    if (same === undefined) {
      Annotations.of(scope).addWarningV2('cdk-ai-gateway:selfHostedTargetVpcUnknown', `selfHostedTargets: synth cannot tell whether `
        + `target '${t.target.id}' (VPC ${t.vpc.node.path}) is in vpc (${vpc.node.path}); the router reaches it only if both are the same VPC.`);
    }
    const targetStack = t.connections.securityGroups.map((sg) => Stack.of(sg)).find((s) => s !== gatewayStack);
    const vpcResource = vpcResourceOf(vpc);
    if (targetStack && vpcResource && Stack.of(vpcResource) === gatewayStack) {
      throw new AiGatewayValidationError(`vpc is created in the gateway's stack ${gatewayStack.stackName}, and selfHostedTargets come from `
        + `stack ${targetStack.stackName}: that stack would depend on this one for the VPC, and this one on it for the targets, a `
        + 'dependency cycle. Create the VPC in a network stack of its own (new GatewayVpc(networkStack, ...)) and pass it to both '
        + 'stacks, or create it in the models\' stack (SelfHostedModels builds one by default) and pass selfHosted.vpc to the gateway.', scope);
    }
  }
}

/** The VPC is a `GatewayVpc` that has the endpoints the gateway's functions call. */
function hasGatewayEndpoints(vpc: ec2.IVpc): boolean {
  return vpc instanceof GatewayVpc && vpc.hasGatewayEndpoints;
}

function validateGatewayProps(scope: Construct, props: AiGatewayProps): void {
  const fail = (message: string) => { throw new AiGatewayValidationError(message, scope); };
  if (props.routes.length === 0) fail('routes must name at least one route.');
  if (props.tenants.length === 0) fail('tenants must name at least one tenant.');
  if (props.usageLedger === false) {
    const budgeted = props.tenants.filter((t) => t.budget).map((t) => t.id);
    if (budgeted.length) fail(`tenants ${budgeted.join(', ')} have a budget, which needs usageLedger (it is false).`);
    if (props.usageSweeper === true) fail('usageSweeper is true, but usageLedger is false: the sweeper settles requests in the usage table.');
  }
  if (props.alarmTopic && props.observability === false) fail('alarmTopic is set, but observability is false.');
  const aliases = new Set<string>();
  for (const r of props.routes) {
    if (aliases.has(r.alias)) fail(`routes: alias '${r.alias}' appears twice; aliases must be unique.`);
    aliases.add(r.alias);
    if (!r.model && !(r.targets ?? []).length) fail(`routes['${r.alias}'] has neither model nor targets; give it a Bedrock model, targets, or both.`);
  }
  if (props.selfHostedTargets?.length && !props.vpc) {
    fail('selfHostedTargets need vpc: the router reaches self-hosted models only inside the VPC of their private endpoints.');
  }
  if (props.vpc) checkSelfHostedVpcs(scope, props.vpc, props.selfHostedTargets ?? []);
  const unpriced = props.routes.filter((r) => r.model && !Token.isUnresolved(r.model.modelId)
    && !BedrockPrices.of(r.model.modelId) && !props.prices?.[r.model.modelId]);
  if (unpriced.length) {
    const models = [...new Set(unpriced.map((r) => r.model!.modelId))];
    fail(`prices: no price for the Bedrock model${models.length > 1 ? 's' : ''} ${models.map((m) => `'${m}'`).join(', ')} of `
      + `${unpriced.map((r) => `routes['${r.alias}']`).join(', ')}; the library knows on-demand prices only for the models of BedrockPrices.onDemand(). `
      + `Give each its price in USD per 1,000 tokens: prices: { '${models[0]}': { inputUsdPer1K: 0.001, outputUsdPer1K: 0.005 } }.`);
  }
  const targetIds = new Set<string>();
  for (const t of extraTargets(props)) {
    if (targetIds.has(t.id)) fail(`target id '${t.id}' appears twice in selfHostedTargets and additionalTargets; target ids must be unique.`);
    targetIds.add(t.id);
  }
  for (const r of props.routes) {
    for (const t of r.targets ?? []) {
      if (!targetIds.has(t)) fail(`routes['${r.alias}'].targets: unknown target '${t}'; selfHostedTargets and additionalTargets are: ${[...targetIds].join(', ') || '(none)'}.`);
    }
    for (const f of r.fallbackAliases ?? []) {
      const target = props.routes.find((x) => x.alias === f);
      if (!target) fail(`routes['${r.alias}'].fallbackAliases: unknown alias '${f}'; aliases are: ${[...aliases].join(', ')}.`);
      else if (!target.model) fail(`routes['${r.alias}'].fallbackAliases: route '${f}' has no Bedrock model to fall back to.`);
      if (f === r.alias) fail(`routes['${r.alias}'].fallbackAliases may not name the route itself.`);
    }
  }
  const tiers = new Set(props.tiers.map((t) => t.name));
  for (const t of props.tenants) {
    if (!tiers.has(t.tier)) fail(`tenants['${t.id}'].tier: unknown tier '${t.tier}'; tiers are: ${[...tiers].join(', ')}.`);
    for (const a of t.allowedAliases ?? []) {
      if (!aliases.has(a)) fail(`tenants['${t.id}'].allowedAliases: unknown alias '${a}'; aliases are: ${[...aliases].join(', ')}.`);
    }
  }
  if (props.guardrail && props.guardrailProps) fail('guardrail and guardrailProps are exclusive: guardrailProps configures the guardrail this construct creates.');
  if (props.guardrailEnabled === false && (props.guardrail || props.guardrailProps)) fail('guardrailEnabled is false, but guardrail or guardrailProps is set.');
  if (props.webAclArn && props.webAclProps) fail('webAclArn and webAclProps are exclusive: webAclProps configures the web ACL this construct creates.');
  if ((props.vpcSubnets || props.createVpcEndpoints !== undefined) && !props.vpc) fail('vpcSubnets and createVpcEndpoints need vpc.');
  if (props.createVpcEndpoints && props.vpc && hasGatewayEndpoints(props.vpc)) {
    fail(`createVpcEndpoints is true, but vpc (${props.vpc.node.path}) is a GatewayVpc that has the endpoints already: two interface `
      + 'endpoints of one service with private DNS cannot share a VPC. Remove createVpcEndpoints, or create the GatewayVpc with gatewayEndpoints: false.');
  }
  if (props.tenantKeyBackupPlan && props.tenantKeyTable) {
    fail('tenantKeyBackupPlan applies only to the tenant-key table this construct creates, and tenantKeyTable was given: add your table to a backup plan yourself, or remove tenantKeyTable.');
  }
}

/** The validator function ARNs of the routes (and prompt versions), each once. */
function validatorFunctionArns(routes: readonly AiGatewayRoute[], prompts: PromptRegistry | undefined): string[] {
  const arns = routes.map((r) => r.validation?.validatorFunction?.functionArn);
  for (const p of prompts?.promptConfigs() ?? []) for (const v of p.versions) arns.push(v.validation?.validatorFunction?.functionArn);
  return [...new Set(arns.filter((a): a is string => a !== undefined))];
}
