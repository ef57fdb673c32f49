import { createHash } from 'node:crypto';
import { Arn, ArnFormat, IResource, Names, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ContentFilterStrength, ContentFilterType, GuardrailAction } from '@aws-cdk/aws-bedrock-alpha';
import { Construct } from 'constructs';
import { AiGatewayValidationError } from '../../private/errors';
import { PiiEntityType } from './pii-entity-type';

/**
 * A Bedrock guardrail the gateway applies: one this library creates (`GatewayGuardrail`) or an
 * existing one (`GatewayGuardrail.fromGuardrailAttributes`).
 */
export interface IGatewayGuardrail extends IResource {
  /**
   * The guardrail's ARN, `arn:<partition>:bedrock:<region>:<account>:guardrail/<id>`.
   * @attribute
   */
  readonly guardrailArn: string;

  /**
   * The guardrail's id: Converse's `guardrailConfig.guardrailIdentifier`.
   * @attribute
   */
  readonly guardrailId: string;

  /**
   * The version the gateway applies: Converse's `guardrailConfig.guardrailVersion` (a number, or
   * `DRAFT`).
   */
  readonly guardrailVersion: string;

  /**
   * The customer managed key the guardrail is encrypted with.
   * @default - the guardrail uses a key that AWS owns
   */
  readonly kmsKey?: kms.IKey;

  /**
   * Lets the principal apply the guardrail: `bedrock:ApplyGuardrail` on it, which both the
   * ApplyGuardrail API and a Converse/ConverseStream call with `guardrailConfig` need, plus
   * `kms:Decrypt` on its key when it has a customer managed key.
   */
  grantApply(grantee: iam.IGrantable): iam.Grant;
}

/** The attributes of an existing guardrail. */
export interface GatewayGuardrailAttributes {
  /** The guardrail's ARN, `arn:<partition>:bedrock:<region>:<account>:guardrail/<id>`. */
  readonly guardrailArn: string;

  /**
   * The version to apply: a published version number such as `"3"`, or `"DRAFT"` (the working
   * copy, which changes whenever someone edits the guardrail: avoid it in production).
   */
  readonly guardrailVersion: string;

  /**
   * The customer managed key the guardrail is encrypted with, so `grantApply` also grants
   * `kms:Decrypt` on it.
   * @default - the guardrail uses a key that AWS owns
   */
  readonly kmsKey?: kms.IKey;
}

/** A harmful-content category filter. */
export interface GuardrailContentFilter {
  /** The harmful-content category. */
  readonly category: ContentFilterType;
  /** How strongly to filter prompts. */
  readonly inputStrength: ContentFilterStrength;
  /** How strongly to filter model responses; must be `NONE` for `PROMPT_ATTACK`. */
  readonly outputStrength: ContentFilterStrength;
  /**
   * What to do when a prompt is detected: `BLOCK`, or `NONE` (detect and report only).
   * @default GuardrailAction.BLOCK
   */
  readonly inputAction?: GuardrailAction;
  /**
   * What to do when a response is detected: `BLOCK`, or `NONE` (detect and report only).
   * Irrelevant when `outputStrength` is `NONE`.
   * @default GuardrailAction.BLOCK
   */
  readonly outputAction?: GuardrailAction;
}

/** What a guardrail does with one type of personally identifiable information. */
export interface GuardrailPiiEntity {
  /** The PII type. */
  readonly entityType: PiiEntityType;
  /** `BLOCK` the prompt, `ANONYMIZE` (mask) the entity, or `NONE` (detect and report only). */
  readonly inputAction: GuardrailAction;
  /** `BLOCK` the response, `ANONYMIZE` (mask) the entity, or `NONE` (detect and report only). */
  readonly outputAction: GuardrailAction;
}

/** A custom sensitive-information pattern (a booking id, an internal account number, …). */
export interface GuardrailRegexFilter {
  /** The filter's name: 1-100 characters, unique within the guardrail. */
  readonly name: string;
  /** The regular expression (Bedrock's regex syntax), at least one character. */
  readonly pattern: string;
  /**
   * What the pattern stands for (1-1000 characters).
   * @default - no description
   */
  readonly description?: string;
  /**
   * What to do when a prompt matches: `BLOCK`, `ANONYMIZE` or `NONE`.
   * @default GuardrailAction.BLOCK
   */
  readonly inputAction?: GuardrailAction;
  /**
   * What to do when a response matches: `BLOCK`, `ANONYMIZE` or `NONE`.
   * @default GuardrailAction.ANONYMIZE
   */
  readonly outputAction?: GuardrailAction;
}

/** A topic the gateway refuses to discuss (investment advice, competitors, …). */
export interface GuardrailDeniedTopic {
  /** The topic's name: 1-100 characters of letters, digits, spaces and `- _ ! ? .`, unique. */
  readonly name: string;
  /** What the topic covers, in 1-200 characters (what Bedrock matches against). */
  readonly definition: string;
  /**
   * Up to five example prompts of the topic, 1-100 characters each.
   * @default - no examples
   */
  readonly examples?: string[];
  /**
   * What to do when a prompt is on the topic: `BLOCK` or `NONE`.
   * @default GuardrailAction.BLOCK
   */
  readonly inputAction?: GuardrailAction;
  /**
   * What to do when a response is on the topic: `BLOCK` or `NONE`.
   * @default GuardrailAction.BLOCK
   */
  readonly outputAction?: GuardrailAction;
}

/** Properties of `GatewayGuardrail`. */
export interface GatewayGuardrailProps {
  /**
   * The guardrail's name: 1-50 characters of letters, digits, `-` and `_`, unique in the account
   * and Region.
   * @default - a name unique to this construct, derived from its path
   */
  readonly guardrailName?: string;

  /**
   * A description of the guardrail (1-200 characters).
   * @default - no description
   */
  readonly description?: string;

  /**
   * The harmful-content filters. The default, `GatewayGuardrail.defaultContentFilters()`, blocks
   * sexual content, violence, hate, insults and misconduct at HIGH strength on prompts and
   * responses, and prompt attacks (jailbreaks, prompt injection) at HIGH strength on prompts.
   * Pass `[]` for none (then the guardrail does not detect prompt attacks: say why in review).
   * @default GatewayGuardrail.defaultContentFilters()
   */
  readonly contentFilters?: GuardrailContentFilter[];

  /**
   * The PII types to detect and what to do with them. The default,
   * `GatewayGuardrail.defaultPiiEntities()`, blocks prompts that carry payment card data, PINs,
   * passwords, bank account numbers, national ids (US SSN/ITIN/passport, Canadian SIN, UK NINO
   * and UTR) and AWS keys, and masks them in responses; it masks email addresses, phone numbers,
   * bank routing numbers and SWIFT codes both ways. Pass `[]` for none.
   * @default GatewayGuardrail.defaultPiiEntities()
   */
  readonly piiEntities?: GuardrailPiiEntity[];

  /**
   * Custom sensitive-information patterns.
   * @default - none
   */
  readonly regexFilters?: GuardrailRegexFilter[];

  /**
   * Topics to refuse (at most 30).
   * @default - none
   */
  readonly deniedTopics?: GuardrailDeniedTopic[];

  /**
   * Adds contextual grounding and relevance filters that only score (action `NONE`, never block):
   * ApplyGuardrail then reports the grounding and relevance scores the gateway's routes with
   * `retrieval.grounding` compare with their own thresholds. Without it such a route fails every
   * answer (the check fails closed). Model calls without a grounding source are not affected.
   * @default false
   */
  readonly contextualGroundingScores?: boolean;

  /**
   * The message returned instead of a blocked prompt (1-500 characters). It should not say which
   * filter fired.
   * @default GatewayGuardrail.DEFAULT_BLOCKED_INPUT_MESSAGE
   */
  readonly blockedInputMessaging?: string;

  /**
   * The message returned instead of a blocked response (1-500 characters).
   * @default GatewayGuardrail.DEFAULT_BLOCKED_OUTPUT_MESSAGE
   */
  readonly blockedOutputsMessaging?: string;

  /**
   * A customer managed key to encrypt the guardrail with. The deploying role needs
   * `kms:Decrypt`, `kms:GenerateDataKey`, `kms:DescribeKey` and `kms:CreateGrant` on it (the
   * default key policy of a `kms.Key` lets the account's IAM policies grant that); principals
   * given `grantApply` get `kms:Decrypt`.
   * @default - a key that AWS owns
   */
  readonly kmsKey?: kms.IKey;

  /**
   * The description of the published versions (1-200 characters).
   * @default - a description naming the policy hash
   */
  readonly versionDescription?: string;

  /**
   * What happens to a published version when a policy change publishes a new one (or the
   * construct is removed). `RETAIN` keeps old versions for audit (Bedrock allows a limited number
   * of versions per guardrail; delete old ones yourself); `DESTROY` deletes the old version once
   * the stack update succeeds.
   * @default RemovalPolicy.DESTROY
   */
  readonly versionRemovalPolicy?: RemovalPolicy;
}

const APPLY_ACTION = 'bedrock:ApplyGuardrail';

// Bedrock's rules (CreateGuardrail, CreateGuardrailVersion, ApplyGuardrail), as the API reference
// and the AWS::Bedrock::Guardrail schema state them. The schema allows topic definitions of 1000
// characters; the user guide and API reference document 200, which is what is enforced here.
const NAME_PATTERN = /^[0-9a-zA-Z_-]{1,50}$/;
const DESCRIPTION_MAX = 200;
const MESSAGE_MAX = 500;
const TOPIC_NAME_PATTERN = /^[0-9a-zA-Z-_ !?.]{1,100}$/;
const TOPIC_DEFINITION_MAX = 200;
const TOPIC_EXAMPLES_MAX = 5;
const TOPIC_EXAMPLE_MAX = 100;
const TOPICS_MAX = 30;
const REGEX_NAME_MAX = 100;
const REGEX_DESCRIPTION_MAX = 1000;
const VERSION_PATTERN = /^(DRAFT|[1-9][0-9]{0,7})$/;
const GUARDRAIL_ARN_PATTERN = /^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:[0-9]{12}:guardrail\/[a-z0-9]+$/;

const BLOCK_OR_NONE = [GuardrailAction.BLOCK, GuardrailAction.NONE];
const ANY_ACTION = [GuardrailAction.BLOCK, GuardrailAction.ANONYMIZE, GuardrailAction.NONE];

/**
 * What a guardrail applied by the gateway has in common, created here or imported.
 */
export abstract class GatewayGuardrailBase extends Resource implements IGatewayGuardrail {
  /** The guardrail's ARN. */
  public abstract readonly guardrailArn: string;
  /** The guardrail's id. */
  public abstract readonly guardrailId: string;
  /** The version the gateway applies. */
  public abstract readonly guardrailVersion: string;
  /**
   * The customer managed key of the guardrail.
   * @default - a key that AWS owns
   */
  public abstract readonly kmsKey?: kms.IKey;

  /**
   * Lets the principal apply the guardrail: `bedrock:ApplyGuardrail` on the guardrail ARN — needed
   * by the ApplyGuardrail API and by Converse/ConverseStream calls that pass `guardrailConfig` —
   * and, when the guardrail has a customer managed key, `kms:Decrypt` on that key.
   */
  public grantApply(grantee: iam.IGrantable): iam.Grant {
    const apply = iam.Grant.addToPrincipal({ grantee, actions: [APPLY_ACTION], resourceArns: [this.guardrailArn] });
    return this.kmsKey ? apply.combine(this.kmsKey.grantDecrypt(grantee)) : apply;
  }
}

/**
 * An Amazon Bedrock guardrail with defaults a fintech can accept, and a published version whose
 * identity follows the policy: the version's logical id carries a hash of the whole guardrail
 * configuration, so changing any filter publishes a new version (and the gateway starts applying
 * it in the same deployment), while an unrelated change to the stack publishes nothing.
 *
 * Built on the `CfnGuardrail`/`CfnGuardrailVersion` L1s rather than the alpha `Guardrail`: the
 * alpha's version id is derived from a hash of unresolved tokens, which neither follows filter
 * changes nor stays stable across unrelated changes to the app (see lib/bedrock/README.md).
 *
 * @example
 * const guardrail = new GatewayGuardrail(this, 'Guardrail', {
 *   deniedTopics: [{ name: 'Investment advice', definition: 'Recommendations to buy or sell specific securities.' }],
 *   kmsKey: key,
 * });
 * guardrail.grantApply(routerFunction);
 */
export class GatewayGuardrail extends GatewayGuardrailBase {
  /** The contextual grounding filter types `contextualGroundingScores` adds. */
  public static readonly CONTEXTUAL_GROUNDING_TYPES = ['GROUNDING', 'RELEVANCE'];

  /** The default message returned for a blocked prompt. */
  public static readonly DEFAULT_BLOCKED_INPUT_MESSAGE =
    'Sorry, this request cannot be processed because it conflicts with our usage policy or contains sensitive information such as payment card or account details.';

  /** The default message returned for a blocked response. */
  public static readonly DEFAULT_BLOCKED_OUTPUT_MESSAGE =
    'Sorry, the response to this request was withheld because it conflicts with our usage policy.';

  /**
   * The default content filters: `SEXUAL`, `VIOLENCE`, `HATE`, `INSULTS` and `MISCONDUCT` at
   * `HIGH` strength on prompts and responses, blocked; `PROMPT_ATTACK` at `HIGH` on prompts
   * (Bedrock evaluates prompt attacks on input only, so its output strength is `NONE`), blocked.
   */
  public static defaultContentFilters(): GuardrailContentFilter[] {
    const harmful = [ContentFilterType.SEXUAL, ContentFilterType.VIOLENCE, ContentFilterType.HATE, ContentFilterType.INSULTS, ContentFilterType.MISCONDUCT];
    return [
      ...harmful.map((category) => ({
        category, inputStrength: ContentFilterStrength.HIGH, outputStrength: ContentFilterStrength.HIGH,
        inputAction: GuardrailAction.BLOCK, outputAction: GuardrailAction.BLOCK,
      })),
      {
        category: ContentFilterType.PROMPT_ATTACK, inputStrength: ContentFilterStrength.HIGH, outputStrength: ContentFilterStrength.NONE,
        inputAction: GuardrailAction.BLOCK, outputAction: GuardrailAction.BLOCK,
      },
    ];
  }

  /**
   * The default PII handling.
   *
   * Blocked in prompts and masked in responses — secrets and identifiers that must not reach a
   * model (PCI DSS keeps card data out of systems that do not need it) and must not leak from one:
   * `CREDIT_DEBIT_CARD_NUMBER`, `CREDIT_DEBIT_CARD_CVV`, `CREDIT_DEBIT_CARD_EXPIRY`, `PIN`,
   * `PASSWORD`, `US_BANK_ACCOUNT_NUMBER`, `INTERNATIONAL_BANK_ACCOUNT_NUMBER`,
   * `US_SOCIAL_SECURITY_NUMBER`, `US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER`, `US_PASSPORT_NUMBER`,
   * `CA_SOCIAL_INSURANCE_NUMBER`, `UK_NATIONAL_INSURANCE_NUMBER`,
   * `UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER`, `AWS_ACCESS_KEY`, `AWS_SECRET_KEY`.
   *
   * Masked both ways — contact details and public bank identifiers that customers legitimately
   * mention: `EMAIL`, `PHONE`, `US_BANK_ROUTING_NUMBER`, `SWIFT_CODE`.
   */
  public static defaultPiiEntities(): GuardrailPiiEntity[] {
    const blockIn = [
      PiiEntityType.CREDIT_DEBIT_CARD_NUMBER, PiiEntityType.CREDIT_DEBIT_CARD_CVV, PiiEntityType.CREDIT_DEBIT_CARD_EXPIRY,
      PiiEntityType.PIN, PiiEntityType.PASSWORD, PiiEntityType.US_BANK_ACCOUNT_NUMBER,
      PiiEntityType.INTERNATIONAL_BANK_ACCOUNT_NUMBER, PiiEntityType.US_SOCIAL_SECURITY_NUMBER,
      PiiEntityType.US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER, PiiEntityType.US_PASSPORT_NUMBER,
      PiiEntityType.CA_SOCIAL_INSURANCE_NUMBER, PiiEntityType.UK_NATIONAL_INSURANCE_NUMBER,
      PiiEntityType.UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER, PiiEntityType.AWS_ACCESS_KEY, PiiEntityType.AWS_SECRET_KEY,
    ];
    const maskBoth = [PiiEntityType.EMAIL, PiiEntityType.PHONE, PiiEntityType.US_BANK_ROUTING_NUMBER, PiiEntityType.SWIFT_CODE];
    return [
      ...blockIn.map((entityType) => ({ entityType, inputAction: GuardrailAction.BLOCK, outputAction: GuardrailAction.ANONYMIZE })),
      ...maskBoth.map((entityType) => ({ entityType, inputAction: GuardrailAction.ANONYMIZE, outputAction: GuardrailAction.ANONYMIZE })),
    ];
  }

  /**
   * An existing guardrail, applied at a given version.
   * @param scope the scope of the imported construct
   * @param id its id
   * @param attrs the guardrail's ARN, the version to apply, and its key if it has one
   */
  public static fromGuardrailAttributes(scope: Construct, id: string, attrs: GatewayGuardrailAttributes): IGatewayGuardrail {
    if (!Token.isUnresolved(attrs.guardrailArn) && !GUARDRAIL_ARN_PATTERN.test(attrs.guardrailArn)) {
      throw new AiGatewayValidationError(
        `GatewayGuardrail.fromGuardrailAttributes: guardrailArn '${attrs.guardrailArn}' is not a guardrail ARN; ` +
        'expected arn:<partition>:bedrock:<region>:<account>:guardrail/<id> (lower-case id).', scope);
    }
    if (!Token.isUnresolved(attrs.guardrailVersion) && !VERSION_PATTERN.test(attrs.guardrailVersion)) {
      throw new AiGatewayValidationError(
        `GatewayGuardrail.fromGuardrailAttributes: guardrailVersion '${attrs.guardrailVersion}' is invalid; ` +
        "expected 'DRAFT' or a version number (1-99999999).", scope);
    }
    class Import extends GatewayGuardrailBase {
      public readonly guardrailArn = attrs.guardrailArn;
      public readonly guardrailId = Arn.split(attrs.guardrailArn, ArnFormat.SLASH_RESOURCE_NAME).resourceName!;
      public readonly guardrailVersion = attrs.guardrailVersion;
      public readonly kmsKey = attrs.kmsKey;
    }
    return new Import(scope, id, { environmentFromArn: attrs.guardrailArn });
  }

  /** The guardrail's ARN. */
  public readonly guardrailArn: string;
  /** The guardrail's id (Converse's `guardrailConfig.guardrailIdentifier`). */
  public readonly guardrailId: string;
  /** The published version the gateway applies (a number, resolved at deploy time). */
  public readonly guardrailVersion: string;
  /**
   * The customer managed key the guardrail is encrypted with.
   * @default - a key that AWS owns
   */
  public readonly kmsKey?: kms.IKey;
  /** The guardrail's name. */
  public readonly guardrailName: string;
  /**
   * The hash of the guardrail's configuration that names its published version: it changes
   * exactly when the configuration does.
   */
  public readonly policyHash: string;

  constructor(scope: Construct, id: string, props: GatewayGuardrailProps = {}) {
    super(scope, id, { physicalName: props.guardrailName });
    this.guardrailName = props.guardrailName ?? Names.uniqueResourceName(this, { maxLength: 50, separator: '-' });
    this.kmsKey = props.kmsKey;

    const contentFilters = props.contentFilters ?? GatewayGuardrail.defaultContentFilters();
    const piiEntities = props.piiEntities ?? GatewayGuardrail.defaultPiiEntities();
    const regexFilters = props.regexFilters ?? [];
    const deniedTopics = props.deniedTopics ?? [];
    const blockedInputMessaging = props.blockedInputMessaging ?? GatewayGuardrail.DEFAULT_BLOCKED_INPUT_MESSAGE;
    const blockedOutputsMessaging = props.blockedOutputsMessaging ?? GatewayGuardrail.DEFAULT_BLOCKED_OUTPUT_MESSAGE;

    this.validateName(this.guardrailName);
    this.validateText(props.description, 'description', DESCRIPTION_MAX);
    this.validateText(blockedInputMessaging, 'blockedInputMessaging', MESSAGE_MAX);
    this.validateText(blockedOutputsMessaging, 'blockedOutputsMessaging', MESSAGE_MAX);
    this.validateText(props.versionDescription, 'versionDescription', DESCRIPTION_MAX);
    this.validateContentFilters(contentFilters);
    this.validatePiiEntities(piiEntities);
    this.validateRegexFilters(regexFilters);
    this.validateDeniedTopics(deniedTopics);
    if (contentFilters.length + piiEntities.length + regexFilters.length + deniedTopics.length === 0) {
      throw new AiGatewayValidationError(
        'GatewayGuardrail has no policy: contentFilters, piiEntities, regexFilters and deniedTopics are all empty; configure at least one.', this);
    }

    const cfnProps: bedrock.CfnGuardrailProps = {
      name: this.guardrailName,
      description: props.description,
      blockedInputMessaging,
      blockedOutputsMessaging,
      kmsKeyArn: props.kmsKey?.keyArn,
      contentPolicyConfig: contentFilters.length === 0 ? undefined : {
        filtersConfig: contentFilters.map((f) => ({
          type: f.category,
          inputStrength: f.inputStrength,
          outputStrength: f.outputStrength,
          inputAction: f.inputAction ?? GuardrailAction.BLOCK,
          outputAction: f.outputAction ?? GuardrailAction.BLOCK,
        })),
      },
      sensitiveInformationPolicyConfig: piiEntities.length + regexFilters.length === 0 ? undefined : {
        piiEntitiesConfig: piiEntities.length === 0 ? undefined : piiEntities.map((p) => ({
          type: p.entityType.value,
          action: strictest(p.inputAction, p.outputAction),
          inputAction: p.inputAction,
          outputAction: p.outputAction,
        })),
        regexesConfig: regexFilters.length === 0 ? undefined : regexFilters.map((r) => {
          const inputAction = r.inputAction ?? GuardrailAction.BLOCK;
          const outputAction = r.outputAction ?? GuardrailAction.ANONYMIZE;
          return {
            name: r.name,
            description: r.description,
            pattern: r.pattern,
            action: strictest(inputAction, outputAction),
            inputAction,
            outputAction,
          };
        }),
      },
      topicPolicyConfig: deniedTopics.length === 0 ? undefined : {
        topicsConfig: deniedTopics.map((t) => ({
          name: t.name,
          definition: t.definition,
          examples: t.examples,
          type: 'DENY',
          inputAction: t.inputAction ?? GuardrailAction.BLOCK,
          outputAction: t.outputAction ?? GuardrailAction.BLOCK,
        })),
      },
      contextualGroundingPolicyConfig: props.contextualGroundingScores !== true ? undefined : {
        filtersConfig: GatewayGuardrail.CONTEXTUAL_GROUNDING_TYPES.map((type) => ({ type, threshold: 0, action: 'NONE', enabled: true })),
      },
    };
    const resource = new bedrock.CfnGuardrail(this, 'Resource', cfnProps);

    // Hash the configuration with its tokens resolved to their CloudFormation form (a key's ARN
    // becomes its Fn::GetAtt), so the hash is the same on every synth of the same configuration.
    this.policyHash = createHash('sha256').update(JSON.stringify(Stack.of(this).resolve(cfnProps))).digest('hex').slice(0, 16);
    const version = new bedrock.CfnGuardrailVersion(this, `Version${this.policyHash}`, {
      guardrailIdentifier: resource.attrGuardrailId,
      description: props.versionDescription ?? `Published by cdk-ai-gateway for policy ${this.policyHash}`,
    });
    version.applyRemovalPolicy(props.versionRemovalPolicy ?? RemovalPolicy.DESTROY);

    this.guardrailArn = resource.attrGuardrailArn;
    this.guardrailId = resource.attrGuardrailId;
    this.guardrailVersion = version.attrVersion;
  }

  private validateName(name: string): void {
    if (!Token.isUnresolved(name) && !NAME_PATTERN.test(name)) {
      throw new AiGatewayValidationError(
        `guardrailName '${name}' is invalid: Bedrock allows 1-50 characters of letters, digits, '-' and '_'.`, this);
    }
  }

  private validateText(value: string | undefined, prop: string, max: number): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (value.length < 1 || value.length > max) {
      throw new AiGatewayValidationError(`${prop} is ${value.length} characters long; Bedrock allows 1-${max} characters.`, this);
    }
  }

  private validateAction(value: GuardrailAction | undefined, allowed: GuardrailAction[], what: string): void {
    if (value !== undefined && !allowed.includes(value)) {
      throw new AiGatewayValidationError(`${what} '${value}' is not allowed; use ${allowed.map((a) => `'${a}'`).join(' or ')}.`, this);
    }
  }

  private validateContentFilters(filters: GuardrailContentFilter[]): void {
    const types = Object.values(ContentFilterType) as string[];
    const strengths = Object.values(ContentFilterStrength) as string[];
    const seen = new Set<string>();
    filters.forEach((f, i) => {
      const at = `contentFilters[${i}]`;
      if (!types.includes(f.category)) {
        throw new AiGatewayValidationError(`${at}.category '${f.category}' is not a content filter type; use one of ${types.join(', ')}.`, this);
      }
      if (seen.has(f.category)) {
        throw new AiGatewayValidationError(`${at}.category '${f.category}' is a duplicate: configure each content filter category once.`, this);
      }
      seen.add(f.category);
      for (const [prop, value] of [['inputStrength', f.inputStrength], ['outputStrength', f.outputStrength]] as const) {
        if (!strengths.includes(value)) {
          throw new AiGatewayValidationError(`${at}.${prop} '${value}' (${f.category}) is not a strength; use one of ${strengths.join(', ')}.`, this);
        }
      }
      if (f.category === ContentFilterType.PROMPT_ATTACK && f.outputStrength !== ContentFilterStrength.NONE) {
        throw new AiGatewayValidationError(
          `${at}.outputStrength is '${f.outputStrength}' for PROMPT_ATTACK; Bedrock evaluates prompt attacks on input only and requires outputStrength NONE.`, this);
      }
      this.validateAction(f.inputAction, BLOCK_OR_NONE, `${at}.inputAction (${f.category})`);
      this.validateAction(f.outputAction, BLOCK_OR_NONE, `${at}.outputAction (${f.category})`);
    });
  }

  private validatePiiEntities(entities: GuardrailPiiEntity[]): void {
    const seen = new Set<string>();
    entities.forEach((p, i) => {
      const at = `piiEntities[${i}]`;
      if (!(p.entityType instanceof PiiEntityType)) {
        throw new AiGatewayValidationError(`${at}.entityType must be a PiiEntityType (for example PiiEntityType.EMAIL or PiiEntityType.of('...')).`, this);
      }
      if (seen.has(p.entityType.value)) {
        throw new AiGatewayValidationError(`${at}.entityType '${p.entityType.value}' is a duplicate: configure each PII type once.`, this);
      }
      seen.add(p.entityType.value);
      this.validateAction(p.inputAction, ANY_ACTION, `${at}.inputAction (${p.entityType.value})`);
      this.validateAction(p.outputAction, ANY_ACTION, `${at}.outputAction (${p.entityType.value})`);
    });
  }

  private validateRegexFilters(regexes: GuardrailRegexFilter[]): void {
    const seen = new Set<string>();
    regexes.forEach((r, i) => {
      const at = `regexFilters[${i}]`;
      if (!Token.isUnresolved(r.name) && (r.name.length < 1 || r.name.length > REGEX_NAME_MAX)) {
        throw new AiGatewayValidationError(`${at}.name '${r.name}' is ${r.name.length} characters long; Bedrock allows 1-${REGEX_NAME_MAX}.`, this);
      }
      if (seen.has(r.name)) {
        throw new AiGatewayValidationError(`${at}.name '${r.name}' is a duplicate: every regex filter needs its own name.`, this);
      }
      seen.add(r.name);
      if (!Token.isUnresolved(r.pattern) && r.pattern.length < 1) {
        throw new AiGatewayValidationError(`${at}.pattern of regex filter '${r.name}' is empty.`, this);
      }
      if (r.description !== undefined && !Token.isUnresolved(r.description) && (r.description.length < 1 || r.description.length > REGEX_DESCRIPTION_MAX)) {
        throw new AiGatewayValidationError(
          `${at}.description of regex filter '${r.name}' is ${r.description.length} characters long; Bedrock allows 1-${REGEX_DESCRIPTION_MAX}.`, this);
      }
      this.validateAction(r.inputAction, ANY_ACTION, `${at}.inputAction (regex filter '${r.name}')`);
      this.validateAction(r.outputAction, ANY_ACTION, `${at}.outputAction (regex filter '${r.name}')`);
    });
  }

  private validateDeniedTopics(topics: GuardrailDeniedTopic[]): void {
    if (topics.length > TOPICS_MAX) {
      throw new AiGatewayValidationError(`deniedTopics has ${topics.length} topics; Bedrock allows at most ${TOPICS_MAX}.`, this);
    }
    const seen = new Set<string>();
    topics.forEach((t, i) => {
      const at = `deniedTopics[${i}]`;
      if (!Token.isUnresolved(t.name) && !TOPIC_NAME_PATTERN.test(t.name)) {
        throw new AiGatewayValidationError(
          `${at}.name '${t.name}' is invalid: Bedrock allows 1-100 characters of letters, digits, spaces and '- _ ! ? .'.`, this);
      }
      if (seen.has(t.name)) {
        throw new AiGatewayValidationError(`${at}.name '${t.name}' is a duplicate: every denied topic needs its own name.`, this);
      }
      seen.add(t.name);
      if (!Token.isUnresolved(t.definition) && (t.definition.length < 1 || t.definition.length > TOPIC_DEFINITION_MAX)) {
        throw new AiGatewayValidationError(
          `${at}.definition of topic '${t.name}' is ${t.definition.length} characters long; Bedrock allows 1-${TOPIC_DEFINITION_MAX}.`, this);
      }
      const examples = t.examples ?? [];
      if (examples.length > TOPIC_EXAMPLES_MAX) {
        throw new AiGatewayValidationError(`${at}.examples of topic '${t.name}' has ${examples.length} examples; Bedrock allows at most ${TOPIC_EXAMPLES_MAX}.`, this);
      }
      examples.forEach((e, j) => {
        if (!Token.isUnresolved(e) && (e.length < 1 || e.length > TOPIC_EXAMPLE_MAX)) {
          throw new AiGatewayValidationError(
            `${at}.examples[${j}] of topic '${t.name}' is ${e.length} characters long; Bedrock allows 1-${TOPIC_EXAMPLE_MAX}.`, this);
        }
      });
      this.validateAction(t.inputAction, BLOCK_OR_NONE, `${at}.inputAction (topic '${t.name}')`);
      this.validateAction(t.outputAction, BLOCK_OR_NONE, `${at}.outputAction (topic '${t.name}')`);
    });
  }
}

/** The legacy single `action` of a PII or regex entry: the strictest of its input and output actions. */
function strictest(a: GuardrailAction, b: GuardrailAction): GuardrailAction {
  const order = [GuardrailAction.NONE, GuardrailAction.ANONYMIZE, GuardrailAction.BLOCK];
  return order[Math.max(order.indexOf(a), order.indexOf(b))];
}
