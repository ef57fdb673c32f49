/** The values response validation passes around (checks.ts, function-validator.ts, pipeline/validate.ts). */

/** The `result` of an attempt (usage record `attemptDetails`) whose answer failed validation. */
export const VALIDATION_FAILED = 'validation_failed';

/** The checks an answer can fail, as records, headers, metrics and reviews name them. */
export enum ValidatorName {
  REQUEST_SCHEMA = 'request_schema',
  ROUTE_SCHEMA = 'route_schema',
  REQUIRED_PATTERN = 'required_pattern',
  FORBIDDEN_PATTERN = 'forbidden_pattern',
  LENGTH = 'length',
  GUARDRAIL = 'guardrail',
  FUNCTION = 'function',
  /** The route's contextual grounding check of the answer against its retrieved passages (`retrieval.grounding`). */
  GROUNDING = 'grounding',
}

/** A failed check. */
export interface Violation {
  readonly validator: ValidatorName;
  /**
   * Which rule failed, safe to show anyone: the configuration's words (`forbiddenPatterns[1]`,
   * `maxChars 2000`, `schema`), never the answer's content.
   */
  readonly rule: string;
  /**
   * What was wrong, for the model's repair instruction and the review queue: schema paths and
   * messages, the function's reason. May echo names from the answer; never logged.
   */
  readonly detail: string;
}

/** How validation ended for a request. */
export enum ValidationOutcome {
  /** The first answer passed. */
  PASSED = 'passed',
  /** An answer of a retry (with a repair instruction) passed. */
  REPAIRED = 'repaired',
  /** The escalation alias's answer passed. */
  ESCALATED = 'escalated',
  /** Every answer failed; the last one was returned, flagged. */
  FLAGGED = 'flagged',
  /** Every answer failed; the client got 422 `validation_failed`. */
  REJECTED = 'rejected',
}
