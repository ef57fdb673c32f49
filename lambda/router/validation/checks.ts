/**
 * The built-in answer checks of a `validation` block, compiled once per block: the request's
 * `response_format`, the route's JSON schema, required and forbidden patterns, length bounds and
 * the guardrail's verdict. Pure: `(answer, compiled) → the first violation`.
 */
import { ResponseValidationConfig } from '../../shared/config-validation';
import { LinearPattern } from '../../shared/linear-pattern';
import { unsafePatternReason } from '../../shared/validation-patterns';
import { Completion, ResponseFormat } from '../providers/types';
import { CompiledSchema, compileJsonSchema } from './json-schema';
import { ValidatorName, Violation } from './types';

/**
 * The most characters a pattern is run on (longer answers are checked on their first 20,000).
 * Patterns run on the linear-time matcher (shared/linear-pattern.ts), so a check takes at most
 * 3 × (20,001) × its program size steps, whatever the answer: no backtracking to exploit.
 */
export const PATTERN_INPUT_LIMIT = 20_000;

/** A `validation` block made ready to run: schemas and patterns compiled. */
export interface CompiledChecks {
  readonly config: ResponseValidationConfig;
  readonly routeSchema?: CompiledSchema;
  readonly required: readonly LinearPattern[];
  readonly forbidden: readonly LinearPattern[];
}

/** Thrown by `compileChecks` for a block that the synth-time checks would have refused. */
export class InvalidValidationConfig extends Error {}

/**
 * Compiles a `validation` block; throws `InvalidValidationConfig` naming the field at fault.
 *
 * @example
 * const checks = compileChecks(route.validation);
 */
export function compileChecks(config: ResponseValidationConfig): CompiledChecks {
  const flags = config.patternFlags ?? '';
  const compile = (list: 'requiredPatterns' | 'forbiddenPatterns'): LinearPattern[] => (config[list] ?? []).map((p, i) => {
    const reason = unsafePatternReason(p, flags);
    if (reason !== undefined) throw new InvalidValidationConfig(`${list}[${i}]: ${reason}`);
    return LinearPattern.compile(p, flags);
  });
  let routeSchema: CompiledSchema | undefined;
  if (config.jsonSchema !== undefined) {
    try {
      routeSchema = compileJsonSchema(JSON.parse(config.jsonSchema));
    } catch (error) {
      throw new InvalidValidationConfig(`jsonSchema: ${error instanceof Error ? error.message : 'invalid'}`);
    }
  }
  return { config, routeSchema, required: compile('requiredPatterns'), forbidden: compile('forbiddenPatterns') };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function schemaViolation(validator: ValidatorName, schema: CompiledSchema, text: string): Violation | undefined {
  const parsed = parseJson(text);
  if (!parsed.ok) return { validator, rule: 'schema', detail: 'the answer is not valid JSON' };
  const problems = schema.validate(parsed.value);
  if (problems.length === 0) return undefined;
  return { validator, rule: 'schema', detail: problems.map((p) => `${p.path}: ${p.message}`).join('; ') };
}

function requestFormatViolation(format: ResponseFormat | undefined, requestSchema: CompiledSchema | undefined, text: string): Violation | undefined {
  if (format?.type === 'json_schema' && requestSchema) return schemaViolation(ValidatorName.REQUEST_SCHEMA, requestSchema, text);
  if (format?.type === 'json_object') {
    const parsed = parseJson(text);
    if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
      return { validator: ValidatorName.REQUEST_SCHEMA, rule: 'json_object', detail: 'the answer is not a JSON object' };
    }
  }
  return undefined;
}

function patternViolation(checks: CompiledChecks, text: string): Violation | undefined {
  const subject = text.length > PATTERN_INPUT_LIMIT ? text.slice(0, PATTERN_INPUT_LIMIT) : text;
  for (const [i, re] of checks.required.entries()) {
    if (!re.test(subject)) {
      return { validator: ValidatorName.REQUIRED_PATTERN, rule: `requiredPatterns[${i}]`, detail: `the answer must match /${re.source}/` };
    }
  }
  for (const [i, re] of checks.forbidden.entries()) {
    if (re.test(subject)) {
      return { validator: ValidatorName.FORBIDDEN_PATTERN, rule: `forbiddenPatterns[${i}]`, detail: `the answer must not match /${re.source}/` };
    }
  }
  return undefined;
}

function lengthViolation(config: ResponseValidationConfig, answer: Completion): Violation | undefined {
  const chars = [...answer.text].length;
  if (config.minChars !== undefined && chars < config.minChars) {
    return { validator: ValidatorName.LENGTH, rule: `minChars ${config.minChars}`, detail: `the answer has ${chars} characters; at least ${config.minChars} are required` };
  }
  if (config.maxChars !== undefined && chars > config.maxChars) {
    return { validator: ValidatorName.LENGTH, rule: `maxChars ${config.maxChars}`, detail: `the answer has ${chars} characters; at most ${config.maxChars} are allowed` };
  }
  if (config.maxOutputTokens !== undefined && answer.usage.outputTokens > config.maxOutputTokens) {
    return {
      validator: ValidatorName.LENGTH, rule: `maxOutputTokens ${config.maxOutputTokens}`,
      detail: `the answer has ${answer.usage.outputTokens} tokens; at most ${config.maxOutputTokens} are allowed`,
    };
  }
  return undefined;
}

/**
 * The first built-in check `answer` fails, in the order: guardrail, request format, route schema,
 * length, required patterns, forbidden patterns; undefined when it passes them all.
 *
 * @example
 * const violation = runChecks(checks, completion, chat.responseFormat, requestSchema);
 */
export function runChecks(
  checks: CompiledChecks, answer: Completion, format: ResponseFormat | undefined, requestSchema: CompiledSchema | undefined,
): Violation | undefined {
  const config = checks.config;
  if (config.guardrail === true && answer.guardrailAction === 'INTERVENED') {
    return { validator: ValidatorName.GUARDRAIL, rule: 'guardrail', detail: 'the guardrail intervened on the answer' };
  }
  if (config.requestSchema !== false) {
    const v = requestFormatViolation(format, requestSchema, answer.text);
    if (v) return v;
  }
  if (checks.routeSchema) {
    const v = schemaViolation(ValidatorName.ROUTE_SCHEMA, checks.routeSchema, answer.text);
    if (v) return v;
  }
  return lengthViolation(config, answer) ?? patternViolation(checks, answer.text);
}
