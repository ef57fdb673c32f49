/** The schema of a route's (or prompt version's) `validation` block (config-validation.ts). */
import { ValidationFinalAction, ValidatorErrorPolicy, VALIDATION_PATTERN_MAX_LENGTH } from './config-validation';
import { ArrayNode, ObjectNode, StringNode } from './schema-dsl';

const FUNCTION_ARN_PATTERN = '^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$';
const LOCAL_URL_PATTERN = '^https?://[^\\s/?#]+(/[^\\s?#]*)?$';

const patterns = (description: string): ArrayNode => ({
  type: 'array',
  description,
  maxItems: 20,
  items: { type: 'string', minLength: 1, maxLength: VALIDATION_PATTERN_MAX_LENGTH, description: 'A regular expression (JavaScript syntax).' },
});

/**
 * The `validation` node, given the node of a route alias (from schema.ts).
 *
 * @example
 * const node = validationNode(alias('A route alias.'));
 */
export function validationNode(aliasNode: StringNode): ObjectNode {
  return {
    type: 'object',
    description: 'Checks every answer must pass, and the policy when one fails (retry, escalate, then reject or flag).',
    properties: {
      requestSchema: { type: 'boolean', default: true, description: 'Check the answer against the request\'s own response_format.' },
      jsonSchema: { type: 'string', minLength: 2, maxLength: 100_000, description: 'A JSON Schema, as JSON text, every answer must satisfy.' },
      requiredPatterns: patterns('Regular expressions the answer must each match.'),
      forbiddenPatterns: patterns('Regular expressions the answer may not match.'),
      patternFlags: { type: 'string', pattern: '^[imsu]{0,4}$', patternHint: 'any of i, m, s, u', description: 'Flags of both pattern lists.' },
      minChars: { type: 'integer', minimum: 0, maximum: 10_000_000, description: 'The fewest characters of an answer.' },
      maxChars: { type: 'integer', minimum: 1, maximum: 10_000_000, description: 'The most characters of an answer.' },
      maxOutputTokens: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'The most output tokens of an answer.' },
      guardrail: { type: 'boolean', default: false, description: 'A guardrail intervention on the answer counts as a validation failure.' },
      validatorFunction: {
        type: 'object',
        description: 'A bring-your-own validator Lambda function (contract cdk-ai-gateway.validation/v1).',
        required: ['functionArn'],
        properties: {
          functionArn: { type: 'string', pattern: FUNCTION_ARN_PATTERN, patternHint: 'a Lambda function ARN, optionally qualified', description: 'The function ARN.' },
          localUrl: { type: 'string', pattern: LOCAL_URL_PATTERN, patternHint: 'an http(s) URL', description: 'Local mode: a URL that answers the same contract.' },
          timeoutMs: { type: 'integer', minimum: 100, maximum: 10_000, default: 2000, description: 'The time budget of one call, in milliseconds.' },
          onError: { type: 'string', enum: Object.values(ValidatorErrorPolicy), default: ValidatorErrorPolicy.FAIL_CLOSED, description: 'What a failed call counts as.' },
        },
      },
      retries: { type: 'integer', minimum: 0, maximum: 3, default: 0, description: 'Repair attempts on the same route before escalating.' },
      escalateTo: { ...aliasNode, description: 'The route alias asked once the retries are spent.' },
      onFailure: { type: 'string', enum: Object.values(ValidationFinalAction), default: ValidationFinalAction.REJECT, description: 'What happens to an answer that still fails.' },
      bufferStreams: { type: 'boolean', default: false, description: 'Streams: hold the answer until it passed validation.' },
      review: { type: 'boolean', default: true, description: 'Send flagged and rejected answers to the review queue.' },
    },
  };
}
