/**
 * Stage: response validation. Chooses the request's `validation` block (its prompt version's, else
 * its route's, else — when the request asks for a `response_format` — the default: check it,
 * reject a mismatch), runs the checks on an answer (built-ins, then the validator function), and
 * applies the block's policy: `retries` repairs on the same route (the model gets the failed check
 * named in a repair instruction), then once the `escalateTo` alias, then `reject` (422
 * `validation_failed`, naming the validator, never the answer) or `flag` (the answer, marked).
 *
 * The gateway's budget reservation covers every answer the policy may ask for
 * (`validationReserveUsd`); each answer that failed is charged as waste on its attempt record.
 */
import { ResponseValidationConfig, ValidationFinalAction } from '../../shared/config-validation';
import { ResolvedGatewayConfig } from '../../shared/defaults';
import { GatewayError, InvalidRequestError } from '../errors';
import { ChatTurn, Completion, ProviderRequest, ResponseFormat } from '../providers/types';
import { worstCaseCostUsd } from '../usage/cost';
import { CompiledChecks, compileChecks, runChecks } from '../validation/checks';
import { callFunctionValidator, FunctionTransport, FunctionValidationRequest } from '../validation/function-validator';
import { CompiledSchema, compileJsonSchema, UnsupportedSchemaError } from '../validation/json-schema';
import { ValidationOutcome, Violation } from '../validation/types';
import { ClientGone } from './invoke';
import { Candidate, ResolvedPromptRef, RoutePlan } from './types';

/** 422: the answer failed validation; the message names the validator and rule, never the answer. */
export class ValidationFailedError extends GatewayError {
  readonly status = 422;
  readonly type = 'invalid_response_error';

  constructor(violation: Violation, answers: number) {
    super(
      `The model's answer failed the gateway's validation (validator ${violation.validator}, rule ${violation.rule}) `
      + `after ${answers} answer${answers === 1 ? '' : 's'}; it was not returned.`,
      'validation_failed',
    );
  }
}

/** The block used when a request asks for a `response_format` and neither its route nor prompt has one. */
export const DEFAULT_VALIDATION: ResponseValidationConfig = Object.freeze({ requestSchema: true, onFailure: ValidationFinalAction.REJECT });

/** At most this many characters of a failure detail go into a repair instruction. */
const MAX_REPAIR_DETAIL = 800;
/** An upper bound of the repair instruction's tokens (≤ 1,000 characters, at worst one token each). */
export const REPAIR_INSTRUCTION_TOKENS = 1100;

/** The validation of one request, ready to run. */
export interface ValidationPlan {
  readonly block: ResponseValidationConfig;
  readonly checks: CompiledChecks;
  readonly format?: ResponseFormat;
  readonly requestSchema?: CompiledSchema;
  /** The policy in words for the record: `retry:1>escalate:strong>reject`. */
  readonly policy: string;
}

/** An answer and where it came from. */
export interface Answer {
  readonly completion: Completion;
  readonly candidate: Candidate;
  readonly fallback: boolean;
  readonly alias: string;
}

/** What the policy decided. */
export interface ValidationResult {
  readonly answer: Answer;
  readonly outcome: ValidationOutcome;
  /** The last failure: of the returned answer when flagged or rejected, of the one replaced when repaired or escalated. */
  readonly violation?: Violation;
  /** The answers the request took (1 + repairs + escalation). */
  readonly answers: number;
}

function policyOf(block: ResponseValidationConfig): string {
  const steps: string[] = [];
  if ((block.retries ?? 0) > 0) steps.push(`retry:${block.retries}`);
  if (block.escalateTo !== undefined) steps.push(`escalate:${block.escalateTo}`);
  steps.push(block.onFailure ?? ValidationFinalAction.REJECT);
  return steps.join('>');
}

/**
 * The request's validation: compiled blocks are cached per configuration object, the request's own
 * schema is compiled per request (before any model call: an unusable schema is the client's 400).
 */
export class ResponseValidation {
  private readonly compiled = new WeakMap<ResponseValidationConfig, CompiledChecks>();
  /** Compiles every block of the configuration now, so a broken one fails the cold start, not a request. */
  constructor(private readonly config: ResolvedGatewayConfig, private readonly functions?: FunctionTransport) {
    for (const route of config.routes.values()) if (route.validation) this.checksOf(route.validation);
    for (const prompt of config.prompts.values()) {
      for (const version of prompt.versions.values()) if (version.validation) this.checksOf(version.validation);
    }
  }

  private checksOf(block: ResponseValidationConfig): CompiledChecks {
    let checks = this.compiled.get(block);
    if (!checks) {
      checks = compileChecks(block);
      this.compiled.set(block, checks);
    }
    return checks;
  }

  /** The block that applies to a request on `alias` served with `prompt`, if any. */
  blockFor(alias: string, prompt: ResolvedPromptRef | undefined, format: ResponseFormat | undefined): ResponseValidationConfig | undefined {
    const promptBlock = prompt !== undefined ? this.config.prompts.get(prompt.id)?.versions.get(prompt.version)?.validation : undefined;
    const block = promptBlock ?? this.config.routes.get(alias)?.validation;
    if (block) return block;
    return format !== undefined && format.type !== 'text' ? DEFAULT_VALIDATION : undefined;
  }

  /**
   * The plan of a request, or undefined when nothing is to be checked.
   * @throws InvalidRequestError when the request's `json_schema` cannot be used
   *
   * @example
   * const plan = validation.plan(plan.alias, chat.prompt, chat.responseFormat);
   */
  plan(alias: string, prompt: ResolvedPromptRef | undefined, format: ResponseFormat | undefined): ValidationPlan | undefined {
    const block = this.blockFor(alias, prompt, format);
    if (!block) return undefined;
    const checks = this.checksOf(block);
    let requestSchema: CompiledSchema | undefined;
    if (format?.type === 'json_schema' && block.requestSchema !== false) {
      try {
        requestSchema = compileJsonSchema(format.schema);
      } catch (error) {
        if (!(error instanceof UnsupportedSchemaError)) throw error;
        throw new InvalidRequestError(`The response_format schema cannot be used at ${error.path}: ${error.message}.`, 'invalid_schema', 'response_format.json_schema.schema');
      }
    }
    return { block, checks, format, requestSchema, policy: policyOf(block) };
  }

  /**
   * The first check `answer` fails, or undefined. The validator function runs only when the
   * built-in checks passed; without a transport (local mode without `localUrl`) it fails per `onError`.
   */
  async check(
    plan: ValidationPlan, answer: Completion, request: Omit<FunctionValidationRequest, 'contract' | 'answer'>, signal: AbortSignal,
    onValidatorError: (error: Error) => void,
  ): Promise<Violation | undefined> {
    const builtIn = runChecks(plan.checks, answer, plan.format, plan.requestSchema);
    if (builtIn || !plan.block.validatorFunction) return builtIn;
    const transport: FunctionTransport = this.functions ?? { call: () => Promise.reject(new Error('no validator transport')) };
    return callFunctionValidator(transport, plan.block.validatorFunction, request, answer, signal, onValidatorError);
  }
}

/**
 * The most the answers of a request can cost under its validation policy: the first answer (the
 * plan's bound), each repair (its input grows by the previous answer and the instruction), and the
 * escalation route's bound.
 *
 * @example
 * const reserveUsd = validationReserveUsd(plan, validationPlan, escalationPlan);
 */
export function validationReserveUsd(plan: RoutePlan, validation: ValidationPlan | undefined, escalation: RoutePlan | undefined): number {
  const first = Math.max(...plan.candidates.map((c) => c.estimatedCostUsd));
  if (!validation) return first;
  const retries = validation.block.retries ?? 0;
  const repair = retries > 0
    ? Math.max(...plan.candidates.map((c) => worstCaseCostUsd(c.estimatedInputTokens + c.maxOutputTokens + REPAIR_INSTRUCTION_TOKENS, c.maxOutputTokens, c.price)))
    : 0;
  const escalate = escalation ? Math.max(...escalation.candidates.map((c) => c.estimatedCostUsd)) : 0;
  return first + retries * repair + escalate;
}

/**
 * The request of a repair: the conversation, the failed answer, and an instruction that names what
 * failed (the model sees its own answer; the client never sees the failed one).
 *
 * @example
 * const next = repairRequest(providerRequest, failed.completion.text, violation);
 */
export function repairRequest(request: ProviderRequest, failedText: string, violation: Violation): ProviderRequest {
  const detail = violation.detail.length > MAX_REPAIR_DETAIL ? `${violation.detail.slice(0, MAX_REPAIR_DETAIL)}…` : violation.detail;
  const turns: ChatTurn[] = [
    { role: 'assistant', content: failedText.length > 0 ? failedText : '(empty answer)' },
    {
      role: 'user',
      content: `Your previous answer failed validation (${violation.validator}, ${violation.rule}): ${detail}. `
        + 'Answer the original request again so that it passes; reply with the corrected answer only.',
    },
  ];
  return { ...request, messages: [...request.messages, ...turns] };
}

export interface PolicyInput {
  readonly plan: ValidationPlan;
  readonly first: Answer;
  /** Checks an answer (`attempt` counts answers from 1). */
  readonly check: (answer: Answer, attempt: number) => Promise<Violation | undefined>;
  /** Asks the same route again with a repair instruction. */
  readonly repair: (failed: Answer, violation: Violation) => Promise<Answer>;
  /** Asks the escalation route; undefined when there is none the request may use. */
  readonly escalate?: () => Promise<Answer>;
  /** Called for every answer that failed and was replaced by another one (its cost is waste). */
  readonly onReplaced: (failed: Answer, violation: Violation) => void;
}

/**
 * Runs the policy chain retry → escalate → reject/flag. A repair or escalation that fails to
 * produce an answer (every target down, the deadline) ends the chain with the last failed answer.
 *
 * @example
 * const result = await runValidationPolicy({ plan, first, check, repair, escalate, onReplaced });
 */
export async function runValidationPolicy(input: PolicyInput): Promise<ValidationResult> {
  const { plan, check } = input;
  let answer = input.first;
  let answers = 1;
  let violation = await check(answer, answers);
  if (!violation) return { answer, outcome: ValidationOutcome.PASSED, answers };
  const next = async (ask: () => Promise<Answer>, failed: Answer, v: Violation): Promise<Answer | undefined> => {
    try {
      const replacement = await ask();
      input.onReplaced(failed, v);
      return replacement;
    } catch (error) {
      if (error instanceof ClientGone) throw error;
      return undefined;
    }
  };
  for (let i = 0; i < (plan.block.retries ?? 0); i++) {
    const failed: Answer = answer;
    const v: Violation = violation;
    const repaired = await next(() => input.repair(failed, v), failed, v);
    if (!repaired) break;
    answer = repaired;
    answers++;
    violation = await check(answer, answers);
    if (!violation) return { answer, outcome: ValidationOutcome.REPAIRED, violation: v, answers };
  }
  if (input.escalate) {
    const v: Violation = violation;
    const escalated = await next(input.escalate, answer, v);
    if (escalated) {
      answer = escalated;
      answers++;
      violation = await check(answer, answers);
      if (!violation) return { answer, outcome: ValidationOutcome.ESCALATED, violation: v, answers };
    }
  }
  const outcome = plan.block.onFailure === ValidationFinalAction.FLAG ? ValidationOutcome.FLAGGED : ValidationOutcome.REJECTED;
  return { answer, outcome, violation, answers };
}
