/**
 * Response validation: the checks an answer must pass before the client gets it, per route and per
 * prompt version, and what the gateway does when it fails (retry with a repair instruction,
 * escalate to another alias, then reject or flag). Part of the shared configuration module.
 */

/** What happens to an answer that still fails after the retries and the escalation. */
export enum ValidationFinalAction {
  /** 422 `validation_failed` naming the validator, never the answer. */
  REJECT = 'reject',
  /** The answer is returned, marked `x-gateway-validation: flagged; validator=…`. */
  FLAG = 'flag',
}

/** What a validator whose own call failed (timeout, error, malformed reply) counts as. */
export enum ValidatorErrorPolicy {
  /** The answer counts as failing validation (`validator_unavailable`). */
  FAIL_CLOSED = 'fail_closed',
  /** The answer counts as passing; the record notes the validator error. */
  FAIL_OPEN = 'fail_open',
}

/**
 * A bring-your-own validator: a Lambda function invoked with the answer (contract
 * `cdk-ai-gateway.validation/v1`, see the router README), within a strict time budget.
 */
export interface FunctionValidatorConfig {
  /**
   * The function's ARN (optionally with a version or alias qualifier). The gateway grants the
   * router `lambda:InvokeFunction` on exactly this ARN.
   */
  readonly functionArn: string;

  /**
   * In local mode (`cdk-ai-gateway serve`): an HTTP URL that receives the same JSON request by
   * POST and answers the same JSON reply (a local function URL). Without it, local mode applies
   * `onError` to every answer and says so in the log.
   * @default - none
   */
  readonly localUrl?: string;

  /**
   * The time budget of one call, in milliseconds (100 to 10,000).
   * @default 2000
   */
  readonly timeoutMs?: number;

  /**
   * What a failed call (timeout, function error, malformed reply) counts as.
   * @default ValidatorErrorPolicy.FAIL_CLOSED
   */
  readonly onError?: ValidatorErrorPolicy;
}

/** The checks an answer must pass, and the policy when it does not. */
export interface ResponseValidationConfig {
  /**
   * Check the answer against the request's own `response_format` (`json_schema`: the schema;
   * `json_object`: a JSON object).
   * @default true
   */
  readonly requestSchema?: boolean;

  /**
   * A JSON Schema (as JSON text) every answer must satisfy, whatever the request asked for: the
   * subset OpenAI structured outputs use.
   * @default - none
   */
  readonly jsonSchema?: string;

  /**
   * Regular expressions (JavaScript syntax, at most 200 characters, no back-references, lookahead,
   * lookbehind or `\p{…}`) each of which the answer must match. The router runs them with a
   * linear-time matcher, so no answer can make a pattern backtrack.
   * @default - none
   */
  readonly requiredPatterns?: string[];

  /**
   * Regular expressions (same limits) none of which the answer may match.
   * @default - none
   */
  readonly forbiddenPatterns?: string[];

  /**
   * Regular expression flags for both pattern lists: any of `i`, `m`, `s`, `u`.
   * @default - none
   */
  readonly patternFlags?: string;

  /**
   * The fewest characters an answer may have.
   * @default - no lower bound
   */
  readonly minChars?: number;

  /**
   * The most characters an answer may have.
   * @default - no upper bound
   */
  readonly maxChars?: number;

  /**
   * The most output tokens an answer may have (as the model reported them).
   * @default - no upper bound
   */
  readonly maxOutputTokens?: number;

  /**
   * An intervention of the request's guardrail on the answer (blocked or masked) counts as a
   * validation failure, so the policy (retry, escalate, reject, flag) applies to it.
   * @default false
   */
  readonly guardrail?: boolean;

  /**
   * A bring-your-own validator function, called after the built-in checks pass.
   * @default - none
   */
  readonly validatorFunction?: FunctionValidatorConfig;

  /**
   * How many times the same route is asked again, with a repair instruction naming the failed
   * check, before escalating (0 to 3).
   * @default 0
   */
  readonly retries?: number;

  /**
   * A route alias asked once the retries are spent (a stronger model, for example). It is used only
   * when the tenant may call it and it admits the request's sensitivity.
   * @default - no escalation
   */
  readonly escalateTo?: string;

  /**
   * What happens to an answer that still fails.
   * @default ValidationFinalAction.REJECT
   */
  readonly onFailure?: ValidationFinalAction;

  /**
   * Streamed requests: hold the answer until it passed validation, then send it as a stream. When
   * false, the answer streams as it is generated and a failure ends the stream with an error event
   * (`validation_failed`) instead of its end; retries and escalation then do not apply.
   * @default false
   */
  readonly bufferStreams?: boolean;

  /**
   * Send flagged and rejected answers to the gateway's review queue (when it has one).
   * @default true
   */
  readonly review?: boolean;
}

/** The limits of validation patterns, checked at synth and at the router's cold start. */
export const VALIDATION_PATTERN_MAX_LENGTH = 200;
