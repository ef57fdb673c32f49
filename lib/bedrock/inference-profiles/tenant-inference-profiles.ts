import { ArnFormat, Names, Stack, Token } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ApplicationInferenceProfile, IBedrockInvokable } from '@aws-cdk/aws-bedrock-alpha';
import { Construct } from 'constructs';
import { ALIAS_PATTERN, ID_PATTERN } from '../../../lambda/shared/schema';
import { AiGatewayValidationError } from '../../private/errors';
import { ModelSource, ModelSourceKind } from './model-source';

/** A tenant that gets its own application inference profiles, tagged for cost allocation. */
export interface TenantSpec {
  /**
   * The tenant's id, as in the gateway configuration: lower-case letters, digits, `-`, `_` and
   * `.`, starting with a letter or digit, at most 64 characters. It becomes part of the profile
   * names and the value of the tenant tag.
   */
  readonly id: string;

  /**
   * The cost center Bedrock spend of this tenant is charged to; the value of the cost-center
   * tag (at most 256 characters of letters, digits, spaces and `_ . : / = + - @`).
   */
  readonly costCenter: string;

  /**
   * More tags for this tenant's profiles (for example `{ team: 'payments' }`). They may not use
   * the keys of the tenant, cost-center or model-alias tags, nor start with `aws:`.
   * @default - no extra tags
   */
  readonly tags?: { [key: string]: string };

  /**
   * The model aliases this tenant gets a profile for; each must be the `alias` of one of
   * `models`.
   * @default - every alias in `models`
   */
  readonly aliases?: string[];
}

/** A model the gateway offers under an alias. */
export interface ModelSourceSpec {
  /**
   * The alias, as in the gateway configuration: lower-case letters, digits, `-`, `_`, `.` and
   * `:`, starting with a letter or digit, at most 64 characters, not `auto`.
   */
  readonly alias: string;

  /** The foundation model or cross-Region inference profile the tenants' profiles copy. */
  readonly source: ModelSource;
}

/** Properties of `TenantInferenceProfiles`. */
export interface TenantInferenceProfilesProps {
  /** The tenants; at least one, with distinct ids. */
  readonly tenants: TenantSpec[];

  /** The models, by alias; at least one, with distinct aliases. */
  readonly models: ModelSourceSpec[];

  /**
   * The first part of every profile name, `<prefix>-<tenant id>-<alias>` (with `.` and `:` of ids
   * replaced by `-`: CloudFormation allows only letters, digits and single ` `, `_`, `-` between
   * them, at most 64 characters). Profile names are unique per account and Region, so two
   * deployments in one account need different prefixes.
   * Changing it replaces every profile (new ARNs; the tags, and so the cost split, stay).
   * @default - a name unique to this construct, derived from its path (at most 24 characters)
   */
  readonly profileNamePrefix?: string;

  /**
   * The tag key that carries the tenant id (activate it as a cost allocation tag).
   * @default "ai-gateway:tenant"
   */
  readonly tenantTagKey?: string;

  /**
   * The tag key that carries the tenant's cost center (activate it as a cost allocation tag).
   * @default "ai-gateway:cost-center"
   */
  readonly costCenterTagKey?: string;

  /**
   * The tag key that carries the model alias, so spend can also be split per model.
   * @default "ai-gateway:model-alias"
   */
  readonly modelAliasTagKey?: string;
}

/** One application inference profile: a (tenant, alias) pair. */
export interface TenantProfileEntry {
  /** The tenant id. */
  readonly tenantId: string;
  /** The model alias. */
  readonly alias: string;
  /** The tenant's cost center. */
  readonly costCenter: string;
  /** The profile's name. */
  readonly profileName: string;
  /** The profile's ARN: pass it to Converse as `modelId`. */
  readonly profileArn: string;
  /** The profile's id. */
  readonly profileId: string;
  /** The underlying foundation model id (for prices and capabilities). */
  readonly modelId: string;
  /** What the profile copies: the foundation model id or the cross-Region profile id. */
  readonly sourceId: string;
  /** Whether the profile copies a foundation model or a cross-Region inference profile. */
  readonly sourceKind: ModelSourceKind;
}

/** The actions Converse (`bedrock:InvokeModel`) and ConverseStream (`…WithResponseStream`) need. */
const INVOKE_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];

// Ids as the gateway configuration defines them (lambda/shared/schema.ts).
const TENANT_ID_PATTERN = new RegExp(ID_PATTERN);
const TENANT_ID_RULE = "lower-case letters, digits, '-', '_' and '.', starting with a letter or digit, at most 64 characters";
const ALIAS_REGEXP = new RegExp(ALIAS_PATTERN);
const ALIAS_RULE = "lower-case letters, digits, '-', '_', '.' and ':', starting with a letter or digit, at most 64 characters, not 'auto'";

// The rules of AWS::Bedrock::ApplicationInferenceProfile. CloudFormation's resource schema is
// stricter for the name than the CreateInferenceProfile API (which also allows ':' and '.'):
// checked with the CloudFormation Validate rules bundled in aws-cdk-lib (F3031).
const PROFILE_NAME_PATTERN = /^([0-9a-zA-Z][ _-]?)+$/;
const PROFILE_NAME_MAX = 64;
const PROFILE_NAME_RULE = `at most ${PROFILE_NAME_MAX} characters matching ^([0-9a-zA-Z][ _-]?)+$ (letters and digits, each followed by at most one ' ', '_' or '-')`;
const DESCRIPTION_PATTERN = /^([0-9a-zA-Z:.][ _-]?)+$/;
const DESCRIPTION_MAX = 200;
/** The default prefix leaves 39 of the name's 64 characters to the tenant id and the alias. */
const DEFAULT_PREFIX_MAX = 24;

// Bedrock's tag rules (TagResource): keys 1-128, values 0-256 characters of this set.
const TAG_PATTERN = /^[a-zA-Z0-9\s._:/=+@-]*$/;
const TAG_KEY_MAX = 128;
const TAG_VALUE_MAX = 256;
const TAG_RULE = "letters, digits, white space and '_ . : / = + - @'";
/** Bedrock allows 50 tags per resource; three are the attribution tags. */
const MAX_EXTRA_TAGS = 47;

/**
 * Priority of the tenant, cost-center and model-alias tags: above `Tags.of(...).add()` (100), so
 * an app-wide tag with the same key cannot overwrite the attribution of a tenant's spend.
 */
const ATTRIBUTION_TAG_PRIORITY = 1000;
/** Priority of a tenant's own tags: above app-wide tags with the same key, which are less specific. */
const TENANT_TAG_PRIORITY = 200;

/**
 * One Amazon Bedrock application inference profile per (tenant, model alias), tagged with the
 * tenant id, its cost center and the model alias, so AWS Cost Explorer splits Bedrock spend per
 * tenant once those tags are activated as cost allocation tags.
 *
 * The gateway's router calls Converse with a profile's ARN as `modelId`; `entries` lists every
 * profile with its underlying model id (profile ARNs are opaque, prices and capabilities need the
 * model), and `grantInvoke*` grant exactly what Converse and ConverseStream need.
 *
 * @example
 * const profiles = new TenantInferenceProfiles(this, 'Profiles', {
 *   tenants: [
 *     { id: 'acme', costCenter: 'cc-1001', tags: { team: 'payments' } },
 *     { id: 'globex', costCenter: 'cc-2002', aliases: ['chat'] },
 *   ],
 *   models: [
 *     { alias: 'chat', source: ModelSource.crossRegionProfile('us.anthropic.claude-sonnet-4-5-20250929-v1:0') },
 *     { alias: 'classify', source: ModelSource.foundationModel('amazon.nova-micro-v1:0') },
 *   ],
 * });
 * profiles.grantInvoke(routerFunction);
 */
export class TenantInferenceProfiles extends Construct {
  /** The default tag key of the tenant id. */
  public static readonly DEFAULT_TENANT_TAG_KEY = 'ai-gateway:tenant';
  /** The default tag key of the cost center. */
  public static readonly DEFAULT_COST_CENTER_TAG_KEY = 'ai-gateway:cost-center';
  /** The default tag key of the model alias. */
  public static readonly DEFAULT_MODEL_ALIAS_TAG_KEY = 'ai-gateway:model-alias';

  /** Every profile, tenant by tenant in the order of `tenants`, then alias by alias in the order of `models`. */
  public get entries(): TenantProfileEntry[] {
    return [...this._entries];
  }

  /** The tenant ids, in the order given. */
  public get tenantIds(): string[] {
    return [...this._tenantIds];
  }

  /** The model aliases, in the order given. */
  public get aliases(): string[] {
    return [...this._aliases];
  }

  /** The tag key of the tenant id. */
  public readonly tenantTagKey: string;

  /** The tag key of the cost center. */
  public readonly costCenterTagKey: string;

  /** The tag key of the model alias. */
  public readonly modelAliasTagKey: string;

  private readonly _entries: TenantProfileEntry[] = [];
  private readonly _tenantIds: string[];
  private readonly _aliases: string[];
  private readonly profiles = new Map<string, ApplicationInferenceProfile>();
  private readonly entryByKey = new Map<string, TenantProfileEntry>();
  /** The resources behind each source id that an invocation through a profile touches. */
  private readonly underlyingArns = new Map<string, string[]>();

  constructor(scope: Construct, id: string, props: TenantInferenceProfilesProps) {
    super(scope, id);

    this.tenantTagKey = props.tenantTagKey ?? TenantInferenceProfiles.DEFAULT_TENANT_TAG_KEY;
    this.costCenterTagKey = props.costCenterTagKey ?? TenantInferenceProfiles.DEFAULT_COST_CENTER_TAG_KEY;
    this.modelAliasTagKey = props.modelAliasTagKey ?? TenantInferenceProfiles.DEFAULT_MODEL_ALIAS_TAG_KEY;
    this.validateTagKeys();
    this.validateModels(props.models);
    this.validateTenants(props.tenants, props.models);

    const prefix = props.profileNamePrefix ?? defaultPrefix(this);
    this.validatePrefix(prefix);

    this._tenantIds = props.tenants.map((t) => t.id);
    this._aliases = props.models.map((m) => m.alias);
    const sourceByAlias = new Map(props.models.map((m) => [m.alias, m.source]));
    for (const model of props.models) this.underlyingArns.set(model.source.sourceId, this.arnsBehind(model.source));

    const names = new Map<string, string>();
    for (const tenant of props.tenants) {
      const aliases = tenant.aliases ?? this._aliases;
      const tenantScope = new Construct(this, tenant.id);
      // Profiles in the order of `models`, whatever the order of the tenant's subset.
      for (const alias of this._aliases.filter((a) => aliases.includes(a))) {
        const source = sourceByAlias.get(alias)!;
        // '.' and ':' are valid in tenant ids and aliases but not in profile names.
        const profileName = [prefix, tenant.id, alias].filter((p) => p !== '').join('-').replace(/[.:]/g, '-');
        this.validateProfileName(profileName, tenant.id, alias);
        const clash = names.get(profileName);
        if (clash !== undefined) {
          throw new AiGatewayValidationError(
            `The inference profile name '${profileName}' of tenant '${tenant.id}', alias '${alias}' is also the name of ${clash}; ` +
            'profile names must be unique: rename a tenant or an alias.', this);
        }
        names.set(profileName, `tenant '${tenant.id}', alias '${alias}'`);
        const description = `Tenant ${tenant.id} model alias ${alias}`;
        this.validateDescription(description, tenant.id, alias);

        const profile = new ApplicationInferenceProfile(tenantScope, alias, {
          applicationInferenceProfileName: profileName,
          description,
          modelSource: new SourceInvokable(this.copyFromArn(source), this.underlyingArns.get(source.sourceId)!),
        });
        this.tag(profile, tenant, alias);

        const entry: TenantProfileEntry = {
          tenantId: tenant.id,
          alias,
          costCenter: tenant.costCenter,
          profileName,
          profileArn: profile.inferenceProfileArn,
          profileId: profile.inferenceProfileId,
          modelId: source.modelId,
          sourceId: source.sourceId,
          sourceKind: source.kind,
        };
        this._entries.push(entry);
        this.entryByKey.set(key(tenant.id, alias), entry);
        this.profiles.set(key(tenant.id, alias), profile);
      }
    }
  }

  /**
   * The ARN of a tenant's profile for an alias; pass it to Converse as `modelId`.
   * @param tenantId a tenant id of `tenants`
   * @param alias one of that tenant's aliases
   */
  public profileArn(tenantId: string, alias: string): string {
    return this.entry(tenantId, alias).profileArn;
  }

  /**
   * The underlying foundation model id of a tenant's profile for an alias, e.g.
   * `anthropic.claude-sonnet-4-5-20250929-v1:0` (also for a `us.…` cross-Region source).
   * @param tenantId a tenant id of `tenants`
   * @param alias one of that tenant's aliases
   */
  public modelId(tenantId: string, alias: string): string {
    return this.entry(tenantId, alias).modelId;
  }

  /**
   * A tenant's profile for an alias.
   *
   * To let a principal invoke it, use `grantInvokeProfile`: the alpha's own `grantInvoke` and
   * `grantProfileUsage` do not grant `bedrock:InvokeModelWithResponseStream` on the profile,
   * which ConverseStream needs.
   * @param tenantId a tenant id of `tenants`
   * @param alias one of that tenant's aliases
   */
  public profile(tenantId: string, alias: string): ApplicationInferenceProfile {
    this.entry(tenantId, alias);
    return this.profiles.get(key(tenantId, alias))!;
  }

  /**
   * A tenant's profile for an alias, with its ARN, name and underlying model.
   * @param tenantId a tenant id of `tenants`
   * @param alias one of that tenant's aliases
   */
  public entry(tenantId: string, alias: string): TenantProfileEntry {
    const found = this.entryByKey.get(key(tenantId, alias));
    if (found) return found;
    if (!this._tenantIds.includes(tenantId)) {
      throw new AiGatewayValidationError(
        `Unknown tenant '${tenantId}': the tenants of TenantInferenceProfiles are ${list(this._tenantIds)}.`, this);
    }
    const aliases = this._entries.filter((e) => e.tenantId === tenantId).map((e) => e.alias);
    throw new AiGatewayValidationError(
      `Tenant '${tenantId}' has no inference profile for alias '${alias}': its aliases are ${list(aliases)}.`, this);
  }

  /**
   * The profiles of one tenant, in the order of `models`.
   * @param tenantId a tenant id of `tenants`
   */
  public entriesOf(tenantId: string): TenantProfileEntry[] {
    if (!this._tenantIds.includes(tenantId)) {
      throw new AiGatewayValidationError(
        `Unknown tenant '${tenantId}': the tenants of TenantInferenceProfiles are ${list(this._tenantIds)}.`, this);
    }
    return this._entries.filter((e) => e.tenantId === tenantId);
  }

  /**
   * Lets the principal call Converse and ConverseStream through every profile: `bedrock:InvokeModel`
   * and `bedrock:InvokeModelWithResponseStream` on the profiles and what they route to (the
   * foundation model in the stack's Region; for a cross-Region source the system-defined profile
   * and the foundation model in every Region of the geography), and `bedrock:GetInferenceProfile`
   * on the profiles. No wildcard actions, no `*` resource.
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.grantEntries(grantee, this._entries);
  }

  /**
   * Like `grantInvoke`, for the profiles of one tenant only.
   * @param tenantId a tenant id of `tenants`
   */
  public grantInvokeTenant(grantee: iam.IGrantable, tenantId: string): iam.Grant {
    return this.grantEntries(grantee, this.entriesOf(tenantId));
  }

  /**
   * Like `grantInvoke`, for one profile only.
   * @param tenantId a tenant id of `tenants`
   * @param alias one of that tenant's aliases
   */
  public grantInvokeProfile(grantee: iam.IGrantable, tenantId: string, alias: string): iam.Grant {
    return this.grantEntries(grantee, [this.entry(tenantId, alias)]);
  }

  /**
   * Lets the principal start Bedrock batch inference jobs (`bedrock:CreateModelInvocationJob`) on
   * every profile: the action is authorized against the job's ARN, whose id Bedrock generates at
   * creation (`model-invocation-job/*` in the stack's account and Region), and against the model
   * the job calls, so the one statement names the job ARNs and exactly the profiles and what they
   * route to, as `grantInvoke` does. The jobs themselves run as a service role that needs
   * `grantInvoke`.
   */
  public grantCreateBatchJobs(grantee: iam.IGrantable): iam.Grant {
    const jobs = Stack.of(this).formatArn({ service: 'bedrock', resource: 'model-invocation-job', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    return iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:CreateModelInvocationJob'], resourceArns: [jobs, ...this.modelArns(this._entries)] });
  }

  /** The profiles of `entries` and what they route to. */
  private modelArns(entries: TenantProfileEntry[]): string[] {
    return [...unique(entries.map((e) => e.profileArn)), ...unique(entries.flatMap((e) => this.underlyingArns.get(e.sourceId)!))];
  }

  private grantEntries(grantee: iam.IGrantable, entries: TenantProfileEntry[]): iam.Grant {
    const profileArns = unique(entries.map((e) => e.profileArn));
    const invoke = iam.Grant.addToPrincipal({ grantee, actions: INVOKE_ACTIONS, resourceArns: this.modelArns(entries) });
    const describe = iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:GetInferenceProfile'], resourceArns: profileArns });
    return invoke.combine(describe);
  }

  /** The ARN an application inference profile copies (`modelSource.copyFrom`). */
  private copyFromArn(source: ModelSource): string {
    const stack = Stack.of(this);
    if (source.kind === ModelSourceKind.FOUNDATION_MODEL) {
      return stack.formatArn({ service: 'bedrock', account: '', resource: 'foundation-model', resourceName: source.modelId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    }
    return stack.formatArn({ service: 'bedrock', resource: 'inference-profile', resourceName: source.sourceId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  }

  /**
   * What an invocation through a profile copying `source` is authorized against, besides the
   * profile itself: the foundation model in the stack's Region; or, for a cross-Region profile,
   * that profile and the foundation model in every Region it may route to (`*`, scoped to the
   * model id), plus the Region-less model ARN that global profiles route to.
   */
  private arnsBehind(source: ModelSource): string[] {
    if (source.kind === ModelSourceKind.FOUNDATION_MODEL) return [this.copyFromArn(source)];
    const stack = Stack.of(this);
    const modelIn = (region: string) => stack.formatArn({
      service: 'bedrock', region, account: '', resource: 'foundation-model', resourceName: source.modelId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const arns = [this.copyFromArn(source), modelIn('*')];
    if (source.geography === 'global') arns.push(modelIn(''));
    return arns;
  }

  private tag(profile: ApplicationInferenceProfile, tenant: TenantSpec, alias: string): void {
    const tags = (profile.node.defaultChild as bedrock.CfnApplicationInferenceProfile).cdkTagManager;
    for (const [k, v] of Object.entries(tenant.tags ?? {})) tags.setTag(k, v, TENANT_TAG_PRIORITY);
    tags.setTag(this.tenantTagKey, tenant.id, ATTRIBUTION_TAG_PRIORITY);
    tags.setTag(this.costCenterTagKey, tenant.costCenter, ATTRIBUTION_TAG_PRIORITY);
    tags.setTag(this.modelAliasTagKey, alias, ATTRIBUTION_TAG_PRIORITY);
  }

  private validateTagKeys(): void {
    const keys: Array<[string, string]> = [
      ['tenantTagKey', this.tenantTagKey], ['costCenterTagKey', this.costCenterTagKey], ['modelAliasTagKey', this.modelAliasTagKey],
    ];
    for (const [prop, k] of keys) this.validateTagKey(k, prop);
    const distinct = new Set(keys.map(([, k]) => k));
    if (distinct.size !== keys.length) {
      throw new AiGatewayValidationError(
        `tenantTagKey ('${this.tenantTagKey}'), costCenterTagKey ('${this.costCenterTagKey}') and modelAliasTagKey ('${this.modelAliasTagKey}') must be three different tag keys.`, this);
    }
  }

  private validateModels(models: ModelSourceSpec[]): void {
    if (!models || models.length === 0) {
      throw new AiGatewayValidationError('models is empty: give at least one { alias, source } for the tenants\' profiles.', this);
    }
    const seen = new Set<string>();
    models.forEach((m, i) => {
      if (Token.isUnresolved(m.alias) || !ALIAS_REGEXP.test(m.alias) || m.alias === 'auto') {
        throw new AiGatewayValidationError(`models[${i}].alias '${m.alias}' is invalid: aliases are ${ALIAS_RULE}.`, this);
      }
      if (seen.has(m.alias)) {
        throw new AiGatewayValidationError(`models[${i}].alias '${m.alias}' is a duplicate: every model alias must be unique.`, this);
      }
      seen.add(m.alias);
      if (!(m.source instanceof ModelSource)) {
        throw new AiGatewayValidationError(`models[${i}].source (alias '${m.alias}') must be a ModelSource (ModelSource.foundationModel or ModelSource.crossRegionProfile).`, this);
      }
    });
  }

  private validateTenants(tenants: TenantSpec[], models: ModelSourceSpec[]): void {
    if (!tenants || tenants.length === 0) {
      throw new AiGatewayValidationError('tenants is empty: give at least one { id, costCenter } to create inference profiles for.', this);
    }
    const known = models.map((m) => m.alias);
    const reserved = [this.tenantTagKey, this.costCenterTagKey, this.modelAliasTagKey];
    const seen = new Set<string>();
    tenants.forEach((t, i) => {
      const at = `tenants[${i}]`;
      if (Token.isUnresolved(t.id) || !TENANT_ID_PATTERN.test(t.id)) {
        throw new AiGatewayValidationError(`${at}.id '${t.id}' is invalid: tenant ids are ${TENANT_ID_RULE}.`, this);
      }
      if (seen.has(t.id)) {
        throw new AiGatewayValidationError(`${at}.id '${t.id}' is a duplicate: every tenant id must be unique.`, this);
      }
      seen.add(t.id);
      if (!Token.isUnresolved(t.costCenter)) {
        if (!t.costCenter) {
          throw new AiGatewayValidationError(`${at}.costCenter of tenant '${t.id}' is empty: it is the value of the '${this.costCenterTagKey}' tag and must not be empty.`, this);
        }
        this.validateTagValue(t.costCenter, `${at}.costCenter of tenant '${t.id}'`);
      }
      const extra = Object.entries(t.tags ?? {});
      if (extra.length > MAX_EXTRA_TAGS) {
        throw new AiGatewayValidationError(`${at}.tags of tenant '${t.id}' has ${extra.length} tags; at most ${MAX_EXTRA_TAGS} are allowed (Bedrock allows 50 per resource, 3 are the attribution tags).`, this);
      }
      for (const [k, v] of extra) {
        this.validateTagKey(k, `${at}.tags key of tenant '${t.id}'`);
        if (reserved.includes(k)) {
          throw new AiGatewayValidationError(`${at}.tags of tenant '${t.id}' uses the key '${k}', which the construct sets itself (tenant, cost center and model alias tags are ${list(reserved)}).`, this);
        }
        if (!Token.isUnresolved(v)) this.validateTagValue(v, `${at}.tags['${k}'] of tenant '${t.id}'`);
      }
      if (t.aliases !== undefined) {
        if (t.aliases.length === 0) {
          throw new AiGatewayValidationError(`${at}.aliases of tenant '${t.id}' is empty: omit it to give the tenant every model, or name at least one of ${list(known)}.`, this);
        }
        const mine = new Set<string>();
        for (const a of t.aliases) {
          if (!known.includes(a)) {
            throw new AiGatewayValidationError(`${at}.aliases of tenant '${t.id}' names the unknown alias '${a}': the aliases of models are ${list(known)}.`, this);
          }
          if (mine.has(a)) {
            throw new AiGatewayValidationError(`${at}.aliases of tenant '${t.id}' names the alias '${a}' twice.`, this);
          }
          mine.add(a);
        }
      }
    });
  }

  private validatePrefix(prefix: string): void {
    if (Token.isUnresolved(prefix)) {
      throw new AiGatewayValidationError('profileNamePrefix must be a literal string, received an unresolved token: profile names are checked against Bedrock\'s rules at synth.', this);
    }
    if (prefix !== '' && !PROFILE_NAME_PATTERN.test(`${prefix}-x`)) {
      throw new AiGatewayValidationError(
        `profileNamePrefix '${prefix}' is invalid: profile names '<prefix>-<tenant id>-<alias>' must be ${PROFILE_NAME_RULE}.`, this);
    }
  }

  private validateProfileName(name: string, tenantId: string, alias: string): void {
    if (name.length > PROFILE_NAME_MAX) {
      throw new AiGatewayValidationError(
        `The inference profile name '${name}' of tenant '${tenantId}', alias '${alias}' is ${name.length} characters long; ` +
        `Bedrock allows ${PROFILE_NAME_RULE}. Shorten profileNamePrefix, the tenant id or the alias.`, this);
    }
    if (!PROFILE_NAME_PATTERN.test(name)) {
      throw new AiGatewayValidationError(
        `The inference profile name '${name}' of tenant '${tenantId}', alias '${alias}' is invalid: Bedrock allows ${PROFILE_NAME_RULE} ` +
        "(no two separators in a row; '.' and ':' in ids become '-'). Rename the tenant or the alias.", this);
    }
  }

  private validateDescription(description: string, tenantId: string, alias: string): void {
    if (description.length > DESCRIPTION_MAX || !DESCRIPTION_PATTERN.test(description)) {
      throw new AiGatewayValidationError(
        `The inference profile description '${description}' of tenant '${tenantId}', alias '${alias}' is invalid: Bedrock allows ` +
        `at most ${DESCRIPTION_MAX} characters matching ^([0-9a-zA-Z:.][ _-]?)+$.`, this);
    }
  }

  private validateTagKey(k: string, what: string): void {
    if (Token.isUnresolved(k)) {
      throw new AiGatewayValidationError(`${what} must be a literal string, received an unresolved token.`, this);
    }
    if (k.length < 1 || k.length > TAG_KEY_MAX || !TAG_PATTERN.test(k) || k.toLowerCase().startsWith('aws:')) {
      throw new AiGatewayValidationError(
        `${what} '${k}' is not a valid tag key: keys are 1-${TAG_KEY_MAX} characters of ${TAG_RULE}, not starting with 'aws:'.`, this);
    }
  }

  private validateTagValue(v: string, what: string): void {
    if (v.length > TAG_VALUE_MAX || !TAG_PATTERN.test(v)) {
      throw new AiGatewayValidationError(
        `${what} '${v}' is not a valid tag value: values are at most ${TAG_VALUE_MAX} characters of ${TAG_RULE}.`, this);
    }
  }
}

/**
 * The model source handed to the alpha `ApplicationInferenceProfile`: its ARN (the profile's
 * `copyFrom`), and a grant on exactly the resources behind it with exactly the invoke actions
 * (the alpha's own model classes grant `bedrock:InvokeModel*` and `bedrock:GetFoundationModel`).
 */
class SourceInvokable implements IBedrockInvokable {
  constructor(public readonly invokableArn: string, private readonly resourceArns: string[]) {}

  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: INVOKE_ACTIONS, resourceArns: this.resourceArns });
  }
}

/**
 * `<path components>-<hash>` unique to the construct (`Names.uniqueResourceName`), keeping whole
 * components from the most specific end so the result stays readable within 24 characters.
 */
function defaultPrefix(scope: Construct): string {
  const parts = Names.uniqueResourceName(scope, { maxLength: 256, separator: '-' }).split('-').filter((p) => p !== '');
  const hash = parts.pop()!;
  const mostSpecificFirst = [...parts].reverse();
  const kept: string[] = [];
  for (const part of mostSpecificFirst) {
    if ([part, ...kept, hash].join('-').length > DEFAULT_PREFIX_MAX) break;
    kept.unshift(part);
  }
  if (kept.length === 0 && mostSpecificFirst.length > 0) {
    kept.push(mostSpecificFirst[0].slice(0, DEFAULT_PREFIX_MAX - hash.length - 1));
  }
  return [...kept, hash].join('-');
}

function key(tenantId: string, alias: string): string {
  return `${tenantId}\u0000${alias}`;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function list(values: string[]): string {
  return values.length === 0 ? '(none)' : values.map((v) => `'${v}'`).join(', ');
}
