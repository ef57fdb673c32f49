import { Token } from 'aws-cdk-lib';
import { CrossRegionInferenceProfileRegion } from '@aws-cdk/aws-bedrock-alpha';
import { AiGatewayValidationError } from '../../private/errors';

/** What an application inference profile copies its model from. */
export enum ModelSourceKind {
  /** A foundation model in the stack's Region (`arn:…:bedrock:<region>::foundation-model/<id>`). */
  FOUNDATION_MODEL = 'FOUNDATION_MODEL',
  /**
   * A system-defined cross-Region inference profile (`us.…`, `eu.…`, `global.…`), which routes to
   * the foundation model in every Region of its geography.
   */
  CROSS_REGION_PROFILE = 'CROSS_REGION_PROFILE',
}

/**
 * Foundation model ids as Bedrock spells them: `<provider>.<model>[:<version>]`, lower case, for
 * example `anthropic.claude-sonnet-4-5-20250929-v1:0`, `amazon.nova-pro-v1:0`,
 * `meta.llama3-1-70b-instruct-v1:0`, `amazon.titan-text-express-v1`.
 */
const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}\.[a-z0-9][a-z0-9.:-]{0,126}$/;
const MODEL_ID_RULE = "'<provider>.<model>', lower-case letters, digits, '-', '.' and ':' (for example 'anthropic.claude-sonnet-4-5-20250929-v1:0')";

/** The shape of a geography prefix, for `crossRegionProfileFor`. */
const GEOGRAPHY_PATTERN = /^[a-z]{2,8}(-[a-z]{2,8})?$/;

/**
 * The geography prefixes of the system-defined cross-Region inference profiles, as the pinned
 * `@aws-cdk/aws-bedrock-alpha` knows them (`CrossRegionInferenceProfileRegion`): `global`, `us`,
 * `us-gov`, `eu`, `apac`, `jp`, `au`.
 */
const KNOWN_GEOGRAPHIES: readonly string[] = Object.values(CrossRegionInferenceProfileRegion);

/**
 * The model an application inference profile copies: a foundation model, or a system-defined
 * cross-Region inference profile.
 *
 * Application inference profile ARNs are opaque, so the gateway keeps the underlying model id of
 * every profile (`modelId`) for prices and capabilities; for a cross-Region profile it is the id
 * without the geography prefix.
 *
 * @example
 * ModelSource.crossRegionProfile('us.anthropic.claude-sonnet-4-5-20250929-v1:0');
 * ModelSource.crossRegionProfile('global.anthropic.claude-sonnet-4-5-20250929-v1:0');
 * ModelSource.foundationModel('amazon.nova-pro-v1:0');
 */
export class ModelSource {
  /**
   * A foundation model in the stack's Region, by its model id.
   *
   * @param modelId the foundation model id, e.g. `amazon.nova-pro-v1:0`. Not an ARN, not a
   * cross-Region profile id (use `crossRegionProfile` for `us.…`, `eu.…`, `global.…`).
   */
  public static foundationModel(modelId: string): ModelSource {
    checkModelId('ModelSource.foundationModel', 'modelId', modelId);
    const first = modelId.split('.')[0];
    if (KNOWN_GEOGRAPHIES.includes(first)) {
      throw new AiGatewayValidationError(
        `ModelSource.foundationModel: modelId '${modelId}' starts with the cross-Region geography prefix '${first}.'; ` +
        `use ModelSource.crossRegionProfile('${modelId}') for a system-defined cross-Region inference profile.`,
      );
    }
    return new ModelSource(ModelSourceKind.FOUNDATION_MODEL, modelId, modelId);
  }

  /**
   * A system-defined cross-Region inference profile, by its id `<geography>.<model id>`, e.g.
   * `us.anthropic.claude-sonnet-4-5-20250929-v1:0`, `eu.amazon.nova-pro-v1:0`,
   * `global.anthropic.claude-sonnet-4-5-20250929-v1:0`.
   *
   * The geography must be one the pinned `@aws-cdk/aws-bedrock-alpha` knows (`global`, `us`,
   * `us-gov`, `eu`, `apac`, `jp`, `au`); for a newer one use `crossRegionProfileFor`.
   *
   * @param profileId the cross-Region inference profile id (not its ARN).
   */
  public static crossRegionProfile(profileId: string): ModelSource {
    const where = 'ModelSource.crossRegionProfile';
    if (Token.isUnresolved(profileId)) {
      throw new AiGatewayValidationError(`${where}: profileId must be a literal string, received an unresolved token; the geography and model id are read from it at synth.`);
    }
    if (profileId.startsWith('arn:')) {
      throw new AiGatewayValidationError(`${where}: profileId '${profileId}' is an ARN; pass the profile id '<geography>.<model id>', e.g. 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'.`);
    }
    const dot = profileId.indexOf('.');
    const geography = dot > 0 ? profileId.slice(0, dot) : '';
    if (!KNOWN_GEOGRAPHIES.includes(geography)) {
      throw new AiGatewayValidationError(
        `${where}: profileId '${profileId}' does not start with a known geography prefix; expected '<geography>.<model id>' ` +
        `with geography one of ${KNOWN_GEOGRAPHIES.map((g) => `'${g}'`).join(', ')} ` +
        '(for another geography use ModelSource.crossRegionProfileFor(geography, modelId)).',
      );
    }
    return ModelSource.crossRegionProfileFor(geography, profileId.slice(dot + 1));
  }

  /**
   * A system-defined cross-Region inference profile, from its geography prefix and the
   * foundation model id it routes to. Use this for a geography newer than the pinned
   * `@aws-cdk/aws-bedrock-alpha`; the profile id is `<geography>.<modelId>`.
   *
   * @param geography the geography prefix, e.g. `us`, `eu`, `global`, `us-gov`.
   * @param modelId the foundation model id, e.g. `anthropic.claude-sonnet-4-5-20250929-v1:0`.
   */
  public static crossRegionProfileFor(geography: string, modelId: string): ModelSource {
    const where = 'ModelSource.crossRegionProfileFor';
    if (Token.isUnresolved(geography) || !GEOGRAPHY_PATTERN.test(geography)) {
      throw new AiGatewayValidationError(
        `${where}: geography '${geography}' is invalid; expected a lower-case geography prefix such as ` +
        `${KNOWN_GEOGRAPHIES.map((g) => `'${g}'`).join(', ')}.`,
      );
    }
    checkModelId(where, 'modelId', modelId);
    return new ModelSource(ModelSourceKind.CROSS_REGION_PROFILE, modelId, `${geography}.${modelId}`, geography);
  }

  /** Whether this is a foundation model or a cross-Region inference profile. */
  public readonly kind: ModelSourceKind;

  /**
   * The underlying foundation model id, e.g. `anthropic.claude-sonnet-4-5-20250929-v1:0` — also
   * for a cross-Region profile source, whose id carries a geography prefix.
   */
  public readonly modelId: string;

  /**
   * The id the application inference profile copies from: the foundation model id, or the
   * cross-Region inference profile id (`us.anthropic.…`).
   */
  public readonly sourceId: string;

  /**
   * The geography prefix of a cross-Region inference profile (`us`, `eu`, `global`, …).
   * @default - undefined for a foundation model
   */
  public readonly geography?: string;

  private constructor(kind: ModelSourceKind, modelId: string, sourceId: string, geography?: string) {
    this.kind = kind;
    this.modelId = modelId;
    this.sourceId = sourceId;
    this.geography = geography;
  }
}

function checkModelId(where: string, prop: string, modelId: string): void {
  if (Token.isUnresolved(modelId)) {
    throw new AiGatewayValidationError(`${where}: ${prop} must be a literal string, received an unresolved token; the gateway keeps the model id of every profile for prices and capabilities.`);
  }
  if (modelId.startsWith('arn:')) {
    throw new AiGatewayValidationError(`${where}: ${prop} '${modelId}' is an ARN; pass the model id, ${MODEL_ID_RULE}.`);
  }
  if (!MODEL_ID_PATTERN.test(modelId)) {
    throw new AiGatewayValidationError(`${where}: ${prop} '${modelId}' is not a Bedrock model id; expected ${MODEL_ID_RULE}.`);
  }
}
