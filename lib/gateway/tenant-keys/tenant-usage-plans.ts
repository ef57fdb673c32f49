import { Annotations, Stack, Tags, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TENANT_API_KEY_TAGS, TENANT_ID_PATTERN, TIER_NAME_PATTERN } from '../../../lambda/shared/tenant-key-schema';
import { AiGatewayValidationError } from '../../private/errors';

/**
 * A request quota of a tier.
 */
export interface TenantTierQuota {
  /** Requests a tenant of the tier may make per `period` (a positive integer). */
  readonly limit: number;
  /** The period the limit applies to. */
  readonly period: apigateway.Period;
}

/**
 * A tenant tier: one API Gateway usage plan whose limits apply to each tenant of the tier
 * separately (usage plans throttle per API key, and each tenant has its own).
 */
export interface TenantTier {
  /** The tier's name: lower-case letters, digits, `-`, `_` and `.`, starting with a letter or digit, at most 64 characters. */
  readonly name: string;
  /** Steady-state requests per second per tenant (greater than 0). */
  readonly rateLimit: number;
  /** Burst capacity per tenant, in requests (a positive integer). */
  readonly burstLimit: number;
  /**
   * Requests per day, week or month per tenant.
   * @default - no quota
   */
  readonly quota?: TenantTierQuota;
  /**
   * A description of the usage plan.
   * @default - "cdk-ai-gateway tenant tier <name>"
   */
  readonly description?: string;
}

/**
 * A tenant and its tier.
 */
export interface TenantUsage {
  /** The tenant id: lower-case letters, digits, `-`, `_` and `.`, starting with a letter or digit, at most 64 characters. */
  readonly tenantId: string;
  /** The name of one of the tiers. */
  readonly tier: string;
}

/**
 * A REST API stage the usage plans apply to.
 */
export interface TenantUsagePlanStage {
  /** The REST API; it must take API keys from the authorizer (`apiKeySourceType: AUTHORIZER`). */
  readonly api: apigateway.IRestApi;
  /** A deployed stage of `api`. */
  readonly stage: apigateway.Stage;
}

/**
 * Properties of `TenantUsagePlans`.
 */
export interface TenantUsagePlansProps {
  /** The tiers; at least one, with distinct names. */
  readonly tiers: TenantTier[];
  /**
   * The tenants, each in one tier. More can be added with `addTenant()`.
   * @default - none
   */
  readonly tenants?: TenantUsage[];
  /**
   * The tenant-key table whose key records carry these API keys' values. Each API key is tagged
   * with its name, so `cdk-ai-gateway keys create --table <name>` finds the tenant's API key.
   */
  readonly tenantKeyTable: dynamodb.ITable;
  /**
   * The stages the usage plans apply to. More can be attached with `attachToStage()`.
   * @default - none; attach at least one before synthesis
   */
  readonly stages?: TenantUsagePlanStage[];
}

/**
 * Per-tier API Gateway usage plans and one API key per tenant, so API Gateway itself throttles
 * and meters each tenant by its tier.
 *
 * The API keys are not secrets: the REST API must take keys from the authorizer
 * (`apiKeySourceType: ApiKeySourceType.AUTHORIZER`), so an `x-api-key` header is ignored and only
 * the `TenantAuthorizer` (after checking the tenant key) names the API key, through
 * `usageIdentifierKey`. API Gateway generates each key's value; `cdk-ai-gateway keys create`
 * reads it once and stores it in the tenant's key records.
 *
 * @example
 * const plans = new TenantUsagePlans(this, 'Plans', {
 *   tenantKeyTable: keys.table,
 *   tiers: [
 *     { name: 'standard', rateLimit: 5, burstLimit: 10, quota: { limit: 100_000, period: apigateway.Period.MONTH } },
 *     { name: 'premium', rateLimit: 50, burstLimit: 100 },
 *   ],
 *   tenants: [{ tenantId: 'acme', tier: 'premium' }],
 * });
 * plans.attachToStage(api, api.deploymentStage);
 */
export class TenantUsagePlans extends Construct {
  private readonly table: dynamodb.ITable;
  private readonly plans = new Map<string, apigateway.UsagePlan>();
  private readonly keys = new Map<string, apigateway.ApiKey>();
  private readonly tenantTiers = new Map<string, string>();
  private readonly stages: TenantUsagePlanStage[] = [];

  constructor(scope: Construct, id: string, props: TenantUsagePlansProps) {
    super(scope, id);
    this.table = props.tenantKeyTable;
    if (props.tiers.length === 0) {
      throw new AiGatewayValidationError('tiers must name at least one tier, received an empty list.', this);
    }
    for (const tier of props.tiers) this.addTier(tier);
    for (const tenant of props.tenants ?? []) this.addTenant(tenant);
    for (const stage of props.stages ?? []) this.attachToStage(stage.api, stage.stage);
    this.node.addValidation({ validate: () => this.validate() });
  }

  /** The tier names, in the order they were added. */
  public get tierNames(): string[] {
    return [...this.plans.keys()];
  }

  /** The tenant ids, in the order they were added. */
  public get tenantIds(): string[] {
    return [...this.keys.keys()];
  }

  /**
   * Adds a tier: a usage plan with its throttle and quota, applied to every attached stage.
   */
  public addTier(tier: TenantTier): apigateway.UsagePlan {
    const allowed = 'lower-case letters, digits, -, _ and ., starting with a letter or digit, at most 64 characters';
    if (!new RegExp(TIER_NAME_PATTERN).test(tier.name)) {
      throw new AiGatewayValidationError(`tiers: name must be ${allowed}, received ${JSON.stringify(tier.name)}.`, this);
    }
    if (this.plans.has(tier.name)) {
      throw new AiGatewayValidationError(`tiers: name ${JSON.stringify(tier.name)} is used twice; tier names must be unique (existing: ${this.tierNames.join(', ')}).`, this);
    }
    if (!Token.isUnresolved(tier.rateLimit) && (!Number.isFinite(tier.rateLimit) || tier.rateLimit <= 0)) {
      throw new AiGatewayValidationError(`tiers[${tier.name}].rateLimit must be a number of requests per second greater than 0, received ${tier.rateLimit}.`, this);
    }
    if (!Token.isUnresolved(tier.burstLimit) && (!Number.isInteger(tier.burstLimit) || tier.burstLimit < 1)) {
      throw new AiGatewayValidationError(`tiers[${tier.name}].burstLimit must be a positive integer number of requests, received ${tier.burstLimit}.`, this);
    }
    if (tier.quota !== undefined && !Token.isUnresolved(tier.quota.limit) && (!Number.isInteger(tier.quota.limit) || tier.quota.limit < 1)) {
      throw new AiGatewayValidationError(`tiers[${tier.name}].quota.limit must be a positive integer number of requests, received ${tier.quota.limit}.`, this);
    }
    const plan = new apigateway.UsagePlan(this, `Tier-${tier.name}`, {
      description: tier.description ?? `cdk-ai-gateway tenant tier ${tier.name}`,
      throttle: { rateLimit: tier.rateLimit, burstLimit: tier.burstLimit },
      quota: tier.quota !== undefined ? { limit: tier.quota.limit, period: tier.quota.period } : undefined,
    });
    Tags.of(plan).add(TENANT_API_KEY_TAGS.tier, tier.name);
    for (const { api, stage } of this.stages) plan.addApiStage({ api, stage });
    this.plans.set(tier.name, plan);
    return plan;
  }

  /**
   * Adds a tenant: an API key (value generated by API Gateway), tagged with the tenant, its tier
   * and the tenant-key table, and attached to its tier's usage plan.
   */
  public addTenant(tenant: TenantUsage): apigateway.IApiKey {
    if (!new RegExp(TENANT_ID_PATTERN).test(tenant.tenantId)) {
      throw new AiGatewayValidationError(
        `tenants: tenantId must be lower-case letters, digits, -, _ and ., starting with a letter or digit, at most 64 characters, received ${JSON.stringify(tenant.tenantId)}.`, this,
      );
    }
    if (this.keys.has(tenant.tenantId)) {
      throw new AiGatewayValidationError(`tenants: tenantId ${JSON.stringify(tenant.tenantId)} is listed twice; a tenant belongs to one tier.`, this);
    }
    const plan = this.plans.get(tenant.tier);
    if (plan === undefined) {
      throw new AiGatewayValidationError(
        `tenants[${tenant.tenantId}].tier must be one of the tiers (${this.tierNames.join(', ')}), received ${JSON.stringify(tenant.tier)}.`, this,
      );
    }
    // The key's construct id depends on the tenant only, so moving a tenant to another tier keeps
    // its key (and the value stored in its key records) and only moves the usage-plan association.
    const key = new apigateway.ApiKey(this, `Tenant-${tenant.tenantId}`, {
      description: `cdk-ai-gateway usage identifier of tenant ${tenant.tenantId} (not a credential: the API takes keys from its authorizer)`,
      enabled: true,
    });
    Tags.of(key).add(TENANT_API_KEY_TAGS.tenant, tenant.tenantId);
    Tags.of(key).add(TENANT_API_KEY_TAGS.tier, tenant.tier);
    Tags.of(key).add(TENANT_API_KEY_TAGS.table, this.table.tableName);
    plan.addApiKey(key);
    this.keys.set(tenant.tenantId, key);
    this.tenantTiers.set(tenant.tenantId, tenant.tier);
    return key;
  }

  /**
   * Applies every tier's usage plan to a stage of a REST API. The API must take API keys from the
   * authorizer (`apiKeySourceType: ApiKeySourceType.AUTHORIZER`) and its methods must require
   * API keys (`apiKeyRequired: true`), or the plans limit nothing.
   */
  public attachToStage(api: apigateway.IRestApi, stage: apigateway.Stage): void {
    if (this.stages.some((s) => s.stage === stage)) {
      throw new AiGatewayValidationError(`stages: stage ${stage.node.path} is attached twice.`, this);
    }
    this.stages.push({ api, stage });
    for (const plan of this.plans.values()) plan.addApiStage({ api, stage });
  }

  /** The usage plan of a tier. */
  public usagePlanOf(tierName: string): apigateway.IUsagePlan {
    const plan = this.plans.get(tierName);
    if (plan === undefined) {
      throw new AiGatewayValidationError(`tierName must be one of the tiers (${this.tierNames.join(', ')}), received ${JSON.stringify(tierName)}.`, this);
    }
    return plan;
  }

  /** The API key of a tenant. */
  public apiKeyOf(tenantId: string): apigateway.IApiKey {
    const key = this.keys.get(tenantId);
    if (key === undefined) {
      throw new AiGatewayValidationError(`tenantId must be one of the tenants (${this.tenantIds.join(', ')}), received ${JSON.stringify(tenantId)}.`, this);
    }
    return key;
  }

  /** The tier of a tenant. */
  public tierOf(tenantId: string): string {
    const tier = this.tenantTiers.get(tenantId);
    if (tier === undefined) {
      throw new AiGatewayValidationError(`tenantId must be one of the tenants (${this.tenantIds.join(', ')}), received ${JSON.stringify(tenantId)}.`, this);
    }
    return tier;
  }

  /**
   * Grants `apigateway:GET` on the Region's API keys: what `cdk-ai-gateway keys create` and
   * `keys sync` need to find a tenant's API key by its tags and read its value. (API Gateway
   * lists API keys only account-wide, so this cannot be narrowed to these tenants' keys.)
   */
  public grantReadApiKeys(grantee: iam.IGrantable): iam.Grant {
    const { partition, region } = Stack.of(this);
    const base = `arn:${partition}:apigateway:${region}::/apikeys`;
    return iam.Grant.addToPrincipal({ grantee, actions: ['apigateway:GET'], resourceArns: [base, `${base}/*`] });
  }

  private validate(): string[] {
    const errors: string[] = [];
    if (this.stages.length === 0) {
      errors.push('TenantUsagePlans is attached to no stage: pass stages or call attachToStage(api, stage), or the usage plans limit nothing.');
    }
    for (const { api } of this.stages) {
      const cfn = api.node.defaultChild;
      if (cfn instanceof apigateway.CfnRestApi) {
        const source = cfn.apiKeySourceType;
        if (source !== apigateway.ApiKeySourceType.AUTHORIZER && !(typeof source === 'string' && Token.isUnresolved(source))) {
          errors.push(
            `The REST API ${api.node.path} takes API keys from ${source ?? 'HEADER (the default)'}: set apiKeySourceType to ApiKeySourceType.AUTHORIZER, ` +
            'so only the tenant authorizer names the usage plan and an x-api-key header cannot.',
          );
        }
      }
      if (api instanceof apigateway.RestApi && api.methods.length > 0 && !api.methods.some((m) => requiresApiKey(m))) {
        Annotations.of(this).addWarningV2('cdk-ai-gateway:usagePlansWithoutApiKeyRequired',
          `No method of ${api.node.path} sets apiKeyRequired: the tier usage plans throttle nothing there.`);
      }
    }
    return errors;
  }
}

function requiresApiKey(method: apigateway.Method): boolean {
  const cfn = method.node.defaultChild;
  return cfn instanceof apigateway.CfnMethod && cfn.apiKeyRequired === true;
}
