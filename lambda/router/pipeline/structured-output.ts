/**
 * Stage: the check of a structured answer against the request's `response_format`, after the
 * model answered (JSON answers before they are sent, streamed answers at their end).
 *
 * `json_object`: the answer must be one JSON object. `json_schema`: it must be JSON valid against
 * the schema (../validation/json-schema.ts; the schema was compiled when the request was parsed,
 * and is compiled once per schema object). Text answers, tool calls and answers a guardrail
 * replaced are not checked.
 *
 * A mismatch is a `ResponseValidationError`: HTTP 422 `response_schema_mismatch`, naming the first
 * violation's JSON path, never the answer's content. 422, not a 5xx: the request was understood
 * and billed, and a 5xx would make the OpenAI SDKs retry it silently (at the tenant's cost);
 * retrying or escalating is a route's decision (the validation stage), or the client's. A streamed
 * answer has already sent its content: it ends with this error as an error event instead of the
 * finish chunk and `[DONE]`.
 */
import { errorTypeOf, RequestSpans, STAGE } from '../tracing/spans';
import { GatewayError } from '../errors';
import type { ResponseFormat } from '../providers/types';
import { compileJsonSchema, CompiledSchema, SchemaViolation } from '../validation/json-schema';

/** The answer does not match the requested response format. */
export class ResponseValidationError extends GatewayError {
  readonly status = 422;
  readonly type = 'invalid_response_error';

  constructor(readonly violations: readonly SchemaViolation[], format: ResponseFormat, truncated: boolean) {
    const first = violations[0];
    const name = format.type === 'json_schema' ? ` '${format.name}'` : '';
    super(
      `The model's answer does not match the response format${name}: at ${first.path}, ${first.message}`
      + `${violations.length > 1 ? ` (and ${violations.length - 1} more)` : ''}.`
      + `${truncated ? ' The answer was cut at max_tokens; raise max_tokens.' : ''}`,
      'response_schema_mismatch', 'response_format');
  }
}

const compiled = new WeakMap<object, CompiledSchema>();

/**
 * The compiled validator of a `json_schema` response format's schema (compiled once per schema
 * object). Throws `UnsupportedSchemaError` for a schema the validator refuses.
 */
export function compiledResponseSchema(schema: Readonly<Record<string, unknown>>): CompiledSchema {
  let c = compiled.get(schema);
  if (!c) {
    c = compileJsonSchema(schema);
    compiled.set(schema, c);
  }
  return c;
}

/**
 * The violations of `completionText` against `responseFormat`: [] when it matches (or when the
 * format asks for no structure).
 *
 * @example structuredOutputViolations('{"a":1}', { type: 'json_object' }) // []
 * @example structuredOutputViolations('{"a":', { type: 'json_object' }) // [{ path: '$', message: 'the answer is not valid JSON' }]
 */
export function structuredOutputViolations(completionText: string, responseFormat: ResponseFormat | undefined): readonly SchemaViolation[] {
  if (!responseFormat || responseFormat.type === 'text') return [];
  let value: unknown;
  try {
    value = JSON.parse(completionText);
  } catch {
    return [{ path: '$', message: 'the answer is not valid JSON' }];
  }
  if (responseFormat.type === 'json_object') {
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? [] : [{ path: '$', message: 'the answer is not a JSON object' }];
  }
  return compiledResponseSchema(responseFormat.schema).validate(value);
}

/**
 * The error for an answer that does not match the request's response format, or undefined when it
 * matches or is not checked (tool calls, answers a guardrail replaced).
 *
 * @example const error = checkStructuredOutput(completion, request.responseFormat); if (error) throw error;
 */
export function checkStructuredOutput(
  answer: { readonly text: string; readonly finishReason: string }, responseFormat: ResponseFormat | undefined,
): ResponseValidationError | undefined {
  if (!responseFormat || responseFormat.type === 'text') return undefined;
  if (answer.finishReason === 'tool_calls' || answer.finishReason === 'content_filter') return undefined;
  const violations = structuredOutputViolations(answer.text, responseFormat);
  return violations.length > 0 ? new ResponseValidationError(violations, responseFormat, answer.finishReason === 'length') : undefined;
}

/**
 * `checkStructuredOutput` in the request's `gateway.validation` span (none when the request asks
 * for no JSON): a mismatch marks the span failed with the error's code.
 *
 * @example const error = checkStructuredOutputTraced(trace.spans, completion, chat.responseFormat);
 */
export function checkStructuredOutputTraced(
  spans: RequestSpans, answer: { readonly text: string; readonly finishReason: string }, responseFormat: ResponseFormat | undefined,
): ResponseValidationError | undefined {
  if (!responseFormat || responseFormat.type === 'text') return undefined;
  return spans.spanSync(STAGE.VALIDATION, { 'gateway.validation.kind': responseFormat.type }, (span) => {
    const invalid = checkStructuredOutput(answer, responseFormat);
    if (invalid) span.fail(errorTypeOf(invalid));
    return invalid;
  });
}
