/**
 * The one description of the gateway configuration's shape, from which both the runtime validator
 * and `schema/gateway-config.schema.json` are derived. Cross-references (a route naming a target
 * that exists, a price for every target) are checked in ./cross-checks.ts.
 */
import { LatencyClass, PromptRole, PromptVariableType, Sensitivity, TargetKind } from './config';
import { CAPABILITIES_SCHEMA } from './capability-defaults';
import { CONFIG_DEFAULTS } from './defaults';
import { ArrayNode, ObjectNode, SchemaNode, StringNode } from './schema-dsl';
import { knowledgeSourceNode, RetrievalSchemaParts, routeRetrievalNode } from './schema-retrieval';
import { CAPABILITY_SURFACE_PROPERTIES, LIMITS_SURFACE_PROPERTIES, ROUTE_SURFACE_PROPERTIES, TIER_MULTIPLIERS_NODE } from './schema-surface';
import { validationNode } from './schema-validation';

/** Ids of tenants, targets and guardrails. */
export const ID_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';
const ID_HINT = "lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64 characters";

/** Route aliases (what applications send as `model`). */
export const ALIAS_PATTERN = '^[a-z0-9][a-z0-9._:-]{0,63}$';
const ALIAS_HINT = "lower-case letters, digits, '.', '_', ':' or '-', starting with a letter or digit, at most 64 characters";

/** The alias that asks the gateway to choose the route. */
export const AUTO_ALIAS = 'auto';

/**
 * Workflow names, in configuration rules and in request hints. A subset of the characters Bedrock
 * allows in `requestMetadata`, so a workflow can be passed on as it is.
 */
export const WORKFLOW_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$';
const WORKFLOW_HINT = "letters, digits, '.', '_', ':', '/' or '-', starting with a letter or digit, at most 64 characters";

const REGION_PATTERN = '^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$';
const URL_PATTERN = '^https?://[^\\s/?#]+(/[^\\s?#]*)?$';
const PROFILE_ARN_PATTERN = '^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:[0-9]{12}:(application-)?inference-profile/[A-Za-z0-9.:-]+$';
const GUARDRAIL_ID_PATTERN = '^(([a-z0-9]+)|(arn:aws[a-z-]*:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))$';

const id = (description: string): StringNode => ({ type: 'string', description, pattern: ID_PATTERN, patternHint: ID_HINT });
const alias = (description: string): StringNode => ({ type: 'string', description, pattern: ALIAS_PATTERN, patternHint: ALIAS_HINT });
const description: StringNode = { type: 'string', description: 'A description for operators.', maxLength: 200 };
const enumOf = (values: readonly string[], desc: string, dflt?: string): StringNode =>
  ({ type: 'string', enum: values, description: desc, ...(dflt ? { default: dflt } : {}) });
const ms = (desc: string, minimum: number, maximum: number, dflt?: number): SchemaNode =>
  ({ type: 'integer', description: desc, minimum, maximum, ...(dflt !== undefined ? { default: dflt } : {}) });
const listOf = (items: SchemaNode, desc: string, extra: Partial<ArrayNode> = {}): ArrayNode =>
  ({ type: 'array', items, description: desc, ...extra });
const usd = (desc: string): SchemaNode => ({ type: 'number', description: desc, minimum: 0, maximum: 10_000 });

const retrievalParts: RetrievalSchemaParts = {
  id,
  region: { type: 'string', pattern: REGION_PATTERN, patternHint: 'an AWS Region such as us-east-1' },
  url: { type: 'string', pattern: URL_PATTERN, patternHint: 'an http(s) URL' },
  description,
};

const SENSITIVITIES = Object.values(Sensitivity);
const LATENCY_CLASSES = Object.values(LatencyClass);
const TARGET_KINDS = Object.values(TargetKind);

const timeouts: ObjectNode = {
  type: 'object',
  description: 'Time limits of a model call, in milliseconds.',
  properties: {
    connectMs: ms('Time allowed to establish a connection to the upstream.', 1, 60_000, CONFIG_DEFAULTS.timeouts.connectMs),
    firstTokenMs: ms('Time allowed until the first streamed token; a slower stream fails over. Default: no separate limit.', 1, 900_000),
    totalMs: ms('Overall deadline of a request, retries and fallbacks included.', 1, 900_000, CONFIG_DEFAULTS.timeouts.totalMs),
  },
};


const tenant: ObjectNode = {
  type: 'object',
  description: 'A tenant: one customer or team whose calls are attributed, limited and billed together.',
  required: ['id', 'allowedAliases'],
  properties: {
    id: id('The tenant id.'),
    tier: { ...id('The tenant tier, for usage plans and reporting.'), default: CONFIG_DEFAULTS.tier },
    allowedAliases: listOf(alias('A route alias.'), 'The route aliases this tenant may call.', { minItems: 1, uniqueItems: true }),
    sensitivityClearance: enumOf(SENSITIVITIES, 'The most sensitive data this tenant may send.', CONFIG_DEFAULTS.sensitivityClearance),
    defaultSensitivity: enumOf(SENSITIVITIES, 'The sensitivity of requests without a sensitivity hint (at most the clearance). Default: internal, or public when the clearance is public.'),
    sensitivityFloor: enumOf(SENSITIVITIES, 'The lowest sensitivity of this tenant\'s requests: a lower hint is raised to it (at most the clearance). Default: public (no floor).'),
    guardrail: id('A guardrail id (a key of guardrails); takes precedence over the route guardrail.'),
    allowedPrompts: listOf(id('A prompt id.'), 'The prompt ids this tenant may use. Default: every prompt.', { uniqueItems: true }),
    allowedKnowledgeSources: listOf(id('A knowledge source id.'), 'The knowledge sources this tenant may search. Default: none.', { uniqueItems: true }),
    budget: {
      type: 'object',
      description: 'Spending limits in USD, enforced with reservations in the usage table. Default: no budget.',
      required: ['monthlyUsd'],
      properties: {
        monthlyUsd: { type: 'number', description: 'The most the tenant may spend in a calendar month (UTC), in USD.', minimum: 0, maximum: 1_000_000_000 },
        dailyUsd: { type: 'number', description: 'The most the tenant may spend in a calendar day (UTC), in USD. Default: no daily limit.', minimum: 0, maximum: 1_000_000_000 },
        softThresholdPercent: {
          type: 'integer', description: 'Percent of a limit past which the router logs a gateway.budget.threshold event.', minimum: 1, maximum: 100, default: 80,
        },
      },
    },
    description,
  },
};

const target: ObjectNode = {
  type: 'object',
  description: 'A model endpoint: Bedrock (modelId, or per-tenant profileArns with priceModelId) or OpenAI-compatible (baseUrl and model).',
  required: ['id', 'kind'],
  properties: {
    id: id('The target id, referenced by routes.'),
    kind: enumOf(TARGET_KINDS, 'The kind of endpoint.'),
    modelId: { type: 'string', minLength: 1, maxLength: 2048, description: 'Bedrock: the Converse modelId (model id, inference profile id or ARN).' },
    profileArns: {
      type: 'map',
      description: 'Bedrock: the application inference profile ARN of each tenant (tenant id to ARN).',
      keyPattern: ID_PATTERN,
      keyHint: `a tenant id (${ID_HINT})`,
      minProperties: 1,
      values: { type: 'string', pattern: PROFILE_ARN_PATTERN, patternHint: 'an inference profile ARN (arn:aws:bedrock:<region>:<account>:application-inference-profile/<id>)' },
    },
    priceModelId: { type: 'string', minLength: 1, maxLength: 2048, description: 'The key of prices for this target (required with profileArns). Default: modelId or model.' },
    region: { type: 'string', pattern: REGION_PATTERN, patternHint: 'an AWS Region such as us-east-1', description: 'Bedrock: the Region of the Bedrock Runtime endpoint. Default: the router\'s Region.' },
    endpoint: { type: 'string', pattern: URL_PATTERN, patternHint: 'an http(s) URL', description: 'Bedrock: an endpoint URL override (VPC endpoint).' },
    baseUrl: { type: 'string', pattern: URL_PATTERN, patternHint: 'an http(s) URL such as http://vllm.internal:8000/v1', description: 'OpenAI-compatible: the base URL up to and including /v1.' },
    model: { type: 'string', minLength: 1, maxLength: 256, description: 'OpenAI-compatible: the served model name.' },
    apiKeyEnv: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]{0,127}$', patternHint: 'an environment variable name such as VLLM_API_KEY', description: 'OpenAI-compatible: the environment variable holding the upstream bearer token.' },
    restrictedAllowed: { type: 'boolean', default: false, description: 'Whether this target is cleared for restricted data.' },
    latencyClasses: listOf(enumOf(LATENCY_CLASSES, 'A latency class.'), 'The latency classes this target serves. Default: all.', { minItems: 1, uniqueItems: true }),
    maxOutputTokens: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'The most output tokens this target\'s model may be asked for; a request\'s limit (max_tokens, or limits.maxTokensCap) is lowered to it. Default: the request\'s limit.' },
    timeouts,
    capabilities: { ...CAPABILITIES_SCHEMA, properties: { ...CAPABILITIES_SCHEMA.properties, ...CAPABILITY_SURFACE_PROPERTIES } },
    description,
  },
  dependentRequired: { profileArns: ['priceModelId'] },
  variants: {
    discriminator: 'kind',
    rules: {
      [TargetKind.BEDROCK]: { exactlyOne: ['modelId', 'profileArns'], forbidden: ['baseUrl', 'model', 'apiKeyEnv'] },
      [TargetKind.OPENAI_COMPATIBLE]: { required: ['baseUrl', 'model'], forbidden: ['modelId', 'profileArns', 'region', 'endpoint'] },
    },
  },
};

const route: ObjectNode = {
  type: 'object',
  description: 'A route: an alias served by an ordered chain of targets (the fallback chain).',
  required: ['alias', 'targets'],
  properties: {
    alias: { ...alias('The alias applications send as model.'), notIn: [AUTO_ALIAS] },
    targets: listOf(id('A target id.'), 'Target ids in order: the first healthy one serves, the others are its fallbacks.', { minItems: 1, maxItems: 10, uniqueItems: true }),
    guardrail: id('A guardrail id (a key of guardrails).'),
    restrictedAllowed: { type: 'boolean', default: false, description: 'Whether restricted requests may use this route.' },
    retrieval: routeRetrievalNode(retrievalParts),
    ...ROUTE_SURFACE_PROPERTIES,
    redactionGuardrail: id('A guardrail id (a key of guardrails) that anonymises PII in every prompt text before any target sees it. Default: no redaction.'),
    validation: validationNode(alias('A route alias.')),
    description,
  },
};

const autoRule: ObjectNode = {
  type: 'object',
  description: 'A rule for model "auto": the first rule whose conditions all match (and whose alias the tenant may call) chooses the route.',
  required: ['alias'],
  properties: {
    alias: alias('The route alias this rule selects.'),
    workflows: listOf({ type: 'string', pattern: WORKFLOW_PATTERN, patternHint: WORKFLOW_HINT }, 'Matches these workflow hints.', { minItems: 1, uniqueItems: true }),
    latencyClasses: listOf(enumOf(LATENCY_CLASSES, 'A latency class.'), 'Matches these latency classes.', { minItems: 1, uniqueItems: true }),
    sensitivities: listOf(enumOf(SENSITIVITIES, 'A sensitivity.'), 'Matches these sensitivities.', { minItems: 1, uniqueItems: true }),
    maxCostUsdAtMost: usd('Matches requests that declare a maximum cost of at most this many USD.'),
    description,
  },
};

const price: ObjectNode = {
  type: 'object',
  description: 'Token prices in USD per 1,000 tokens.',
  required: ['inputUsdPer1K', 'outputUsdPer1K'],
  properties: {
    inputUsdPer1K: usd('USD per 1,000 input tokens.'),
    outputUsdPer1K: usd('USD per 1,000 output tokens.'),
    cacheReadUsdPer1K: usd('USD per 1,000 cache-read input tokens. Default: inputUsdPer1K.'),
    cacheWriteUsdPer1K: usd('USD per 1,000 cache-write input tokens. Default: inputUsdPer1K.'),
    batchInputUsdPer1K: usd('USD per 1,000 input tokens of a batch line. Default: inputUsdPer1K.'),
    batchOutputUsdPer1K: usd('USD per 1,000 output tokens of a batch line. Default: outputUsdPer1K.'),
    tierMultipliers: TIER_MULTIPLIERS_NODE,
  },
};

const guardrail: ObjectNode = {
  type: 'object',
  description: 'A Bedrock guardrail version.',
  required: ['identifier', 'version'],
  properties: {
    identifier: { type: 'string', pattern: GUARDRAIL_ID_PATTERN, patternHint: 'a guardrail id or ARN', description: 'The guardrail id or ARN.' },
    version: { type: 'string', pattern: '^(([1-9][0-9]{0,7})|(DRAFT))$', patternHint: 'a version number such as "1", or "DRAFT"', description: 'The guardrail version.' },
    region: { type: 'string', pattern: REGION_PATTERN, patternHint: 'an AWS Region such as us-east-1', description: 'The guardrail Region for ApplyGuardrail. Default: the router\'s Region.' },
    endpoint: { type: 'string', pattern: URL_PATTERN, patternHint: 'an http(s) URL', description: 'An endpoint URL override for ApplyGuardrail.' },
  },
};

/** Prompt variable names: what `{{name}}` slots hold. */
export const PROMPT_VARIABLE_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
/** Prompt label names: start with a letter, so a label never reads as a version number. */
export const PROMPT_LABEL_PATTERN = '^[a-z][a-z0-9_-]{0,31}$';
const PROMPT_LABEL_HINT = "a label name: a lower-case letter, then lower-case letters, digits, '_' or '-', at most 32 characters";
const VERSION_KEY_PATTERN = '^[1-9][0-9]{0,5}$';
const MAX_TEMPLATE_CHARS = 100_000;

const promptVersionNumber = (desc: string): SchemaNode => ({ type: 'integer', description: desc, minimum: 1, maximum: 999_999 });

const promptVariable: ObjectNode = {
  type: 'object',
  description: 'A declared variable: a {{name}} slot of the template.',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: PROMPT_VARIABLE_PATTERN, patternHint: "a letter or '_', then letters, digits or '_', at most 64 characters", description: 'The variable name.' },
    valueType: enumOf(Object.values(PromptVariableType), 'The type of the value.', PromptVariableType.STRING),
    required: { type: 'boolean', default: true, description: 'Whether a request must give the variable.' },
    maxLength: { type: 'integer', minimum: 1, maximum: 1_000_000, default: CONFIG_DEFAULTS.promptVariableMaxLength, description: 'The most characters of the value.' },
    allowedValues: listOf({ type: 'string', maxLength: 1000 }, 'The only values allowed. Default: every value of the type.', { minItems: 1, maxItems: 100, uniqueItems: true }),
    defaultValue: { type: 'string', maxLength: 10_000, description: 'What an optional variable renders as when left out. Default: an empty string.' },
    description,
  },
};

const promptVersion: ObjectNode = {
  type: 'object',
  description: 'One immutable version of a prompt.',
  required: ['version', 'routes'],
  properties: {
    version: promptVersionNumber('The version number.'),
    system: { type: 'string', minLength: 1, maxLength: MAX_TEMPLATE_CHARS, description: 'The system prompt template with {{variable}} slots.' },
    messages: listOf({
      type: 'object',
      description: 'A message turn of the template.',
      required: ['role', 'content'],
      properties: {
        role: enumOf(Object.values(PromptRole), 'Who says it.'),
        content: { type: 'string', minLength: 1, maxLength: MAX_TEMPLATE_CHARS, description: 'The text with {{variable}} slots.' },
      },
    }, 'The message turns of the template, put before the client\'s own messages.', { maxItems: 100 }),
    variables: listOf(promptVariable, 'The variables the template uses.', { maxItems: 100 }),
    inference: {
      type: 'object',
      description: 'Inference parameters applied when the request does not set them.',
      properties: {
        maxTokens: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'The most output tokens.' },
        temperature: { type: 'number', minimum: 0, maximum: 2, description: 'The sampling temperature.' },
        topP: { type: 'number', minimum: 0, maximum: 1, description: 'Nucleus sampling.' },
        stopSequences: listOf({ type: 'string', minLength: 1, maxLength: 256 }, 'Stop sequences.', { minItems: 1, maxItems: 4 }),
      },
    },
    routes: listOf(alias('A route alias.'), 'The route aliases this version may be used with.', { minItems: 1, uniqueItems: true }),
    validation: validationNode(alias('A route alias.')),
    description,
  },
};

const promptLabel: ObjectNode = {
  type: 'object',
  description: 'A label: one version, or a weighted split of versions (percent, summing to 100) sticky per user.',
  exactlyOne: ['version', 'weights'],
  properties: {
    version: promptVersionNumber('The version this label points at.'),
    weights: {
      type: 'map',
      description: 'Version number to percent, summing to 100.',
      keyPattern: VERSION_KEY_PATTERN,
      keyHint: 'a version number such as "3"',
      minProperties: 1,
      maxProperties: 10,
      values: { type: 'integer', minimum: 0, maximum: 100, description: 'The percent of requests.' },
    },
  },
};

const prompt: ObjectNode = {
  type: 'object',
  description: 'A versioned prompt that requests name by id and version or label.',
  required: ['id', 'versions'],
  properties: {
    id: id('The prompt id.'),
    versions: listOf(promptVersion, 'The versions of the prompt.', { minItems: 1, maxItems: 1000 }),
    labels: {
      type: 'map',
      description: 'Labels (prod, canary, any name) by name.',
      keyPattern: PROMPT_LABEL_PATTERN,
      keyHint: PROMPT_LABEL_HINT,
      maxProperties: 20,
      values: promptLabel,
    },
    description,
  },
};

/** The schema of the whole gateway configuration document. */
export const GATEWAY_CONFIG_SCHEMA: ObjectNode = {
  type: 'object',
  description: 'The cdk-ai-gateway configuration: tenants, targets, routes, automatic routing, prices, guardrails and router policies.',
  required: ['tenants', 'targets', 'routes', 'prices'],
  ignored: ['$schema'],
  properties: {
    tenants: listOf(tenant, 'The tenants.', { minItems: 1 }),
    targets: listOf(target, 'The model endpoints.', { minItems: 1 }),
    routes: listOf(route, 'The routes.', { minItems: 1 }),
    autoRouting: listOf(autoRule, 'Rules for model "auto", tried in order. Default: none (auto is refused).', { maxItems: 100 }),
    prices: {
      type: 'map',
      description: 'Token prices per model id (the keys targets name with priceModelId, modelId or model).',
      values: price,
      minProperties: 1,
    },
    guardrails: {
      type: 'map',
      description: 'Guardrails by id, referenced by tenants and routes.',
      keyPattern: ID_PATTERN,
      keyHint: `a guardrail id (${ID_HINT})`,
      values: guardrail,
    },
    retry: {
      type: 'object',
      description: 'Retries on the same target with full-jitter exponential backoff, on retryable errors only.',
      properties: {
        maxAttempts: { type: 'integer', minimum: 1, maximum: 10, default: CONFIG_DEFAULTS.retry.maxAttempts, description: 'Attempts per target, the first included.' },
        baseDelayMs: ms('Base of the exponential backoff.', 0, 60_000, CONFIG_DEFAULTS.retry.baseDelayMs),
        maxDelayMs: ms('Longest wait between attempts; a longer Retry-After fails over instead.', 0, 60_000, CONFIG_DEFAULTS.retry.maxDelayMs),
      },
    },
    timeouts,
    circuitBreaker: {
      type: 'object',
      description: 'Per-target circuit breaker.',
      properties: {
        failureThreshold: { type: 'integer', minimum: 1, maximum: 1000, default: CONFIG_DEFAULTS.circuitBreaker.failureThreshold, description: 'Consecutive failures that open the circuit.' },
        cooldownMs: ms('How long an open circuit skips the target before a probe.', 1, 3_600_000, CONFIG_DEFAULTS.circuitBreaker.cooldownMs),
      },
    },
    limits: {
      type: 'object',
      description: 'Request size limits.',
      properties: {
        maxBodyBytes: { type: 'integer', minimum: 1024, maximum: 6_291_456, default: CONFIG_DEFAULTS.limits.maxBodyBytes, description: 'Largest request body in bytes (Lambda allows 6 MB).' },
        maxMessages: { type: 'integer', minimum: 1, maximum: 10_000, default: CONFIG_DEFAULTS.limits.maxMessages, description: 'Most messages in a request.' },
        maxMessageChars: { type: 'integer', minimum: 1, maximum: 10_000_000, default: CONFIG_DEFAULTS.limits.maxMessageChars, description: 'Most characters in one message.' },
        maxTokensCap: { type: 'integer', minimum: 1, maximum: 1_000_000, default: CONFIG_DEFAULTS.limits.maxTokensCap, description: 'Largest max_tokens a request may ask for.' },
        ...LIMITS_SURFACE_PROPERTIES,
      },
    },
    prompts: listOf(prompt, 'Versioned prompt templates. Default: none.', { maxItems: 1000 }),
    knowledgeSources: listOf(knowledgeSourceNode(retrievalParts), 'Knowledge sources requests may search, granted per tenant. Default: none.', { maxItems: 100 }),
    localKeys: {
      type: 'map',
      description: 'Local mode only: hex SHA-256 of an API key to tenant id.',
      keyPattern: '^[0-9a-fA-F]{64}$',
      keyHint: 'the hex SHA-256 of an API key (64 hex digits)',
      values: id('A tenant id.'),
    },
    restrictedData: {
      type: 'object',
      description: 'How restricted data is admitted.',
      properties: {
        requireApproval: { type: 'boolean', default: false, description: 'Whether a restricted request needs an approval in force for its tenant and workflow (403 approval_required otherwise).' },
      },
    },
  },
};
