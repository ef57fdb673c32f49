/**
 * The bring-your-own validator: a Lambda function (or, in local mode, an HTTP URL) that receives
 * the answer and says whether it is valid, under a strict time budget.
 *
 * Contract `cdk-ai-gateway.validation/v1` (documented in the router README; versioned so a new
 * shape is a new contract, never a changed one):
 *
 * request  `{ contract, requestId, tenantId, route, workflow?, prompt?: {id, version}, sensitivity,
 *             attempt, responseFormat?, answer: { text, finishReason } }`
 * reply    `{ contract, valid: boolean, rule?: string (≤ 64, [A-Za-z0-9._:-]), reason?: string (≤ 500) }`
 *
 * A call that times out, errors (a function error, a transport error) or replies anything but the
 * contract is a validator error; the block's `onError` decides what it counts as.
 */
import { FunctionValidatorConfig, ValidatorErrorPolicy } from '../../shared/config-validation';
import { ResolvedGatewayConfig } from '../../shared/defaults';
import { Completion, ResponseFormat } from '../providers/types';
import { ValidatorName, Violation } from './types';

/** The contract name both sides put in their JSON. */
export const VALIDATION_CONTRACT = 'cdk-ai-gateway.validation/v1';
/** The default time budget of a call. */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 2000;

const RULE = /^[A-Za-z0-9._:-]{1,64}$/;
const MAX_REASON = 500;

/** The request a validator function receives. */
export interface FunctionValidationRequest {
  readonly contract: typeof VALIDATION_CONTRACT;
  readonly requestId: string;
  readonly tenantId: string;
  readonly route: string;
  readonly workflow?: string;
  readonly prompt?: { readonly id: string; readonly version: number };
  readonly sensitivity: string;
  /** 1 for the first answer, then 2, 3… for repairs and the escalation. */
  readonly attempt: number;
  readonly responseFormat?: ResponseFormat;
  readonly answer: { readonly text: string; readonly finishReason: string };
}

/** How a validator function is reached: Lambda Invoke (deployed) or HTTP POST (local mode). */
export interface FunctionTransport {
  /** Sends `payload` (JSON) and returns the reply's JSON text; rejects on any failure. */
  call(config: FunctionValidatorConfig, payload: string, signal: AbortSignal): Promise<string>;
}

/** Thrown (and recorded) when a validator function could not give a verdict. */
export class ValidatorUnavailable extends Error {}

/** Local mode: POSTs the request to `localUrl`. */
export class HttpFunctionTransport implements FunctionTransport {
  async call(config: FunctionValidatorConfig, payload: string, signal: AbortSignal): Promise<string> {
    if (config.localUrl === undefined) {
      throw new ValidatorUnavailable(`validator function ${config.functionArn} has no localUrl; local mode cannot call it`);
    }
    const response = await fetch(config.localUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload, signal });
    const text = await response.text();
    if (!response.ok) throw new ValidatorUnavailable(`validator answered HTTP ${response.status}`);
    return text;
  }
}

/**
 * Local mode's warnings: validator functions without a `localUrl`, whose routes then apply their
 * `onError` to every answer (fail closed: every answer is refused).
 *
 * @example
 * for (const w of localValidatorWarnings(config)) console.error(`warning: ${w}`);
 */
export function localValidatorWarnings(config: ResolvedGatewayConfig): string[] {
  const warnings: string[] = [];
  const warn = (where: string, fn: FunctionValidatorConfig): void => {
    if (fn.localUrl !== undefined) return;
    const effect = fn.onError === ValidatorErrorPolicy.FAIL_OPEN ? 'passes every answer (fail open)' : 'refuses every answer (fail closed)';
    warnings.push(`${where}: validator function ${fn.functionArn} has no localUrl, so locally it ${effect}; set validation.validatorFunction.localUrl`);
  };
  for (const route of config.routes.values()) if (route.validation?.validatorFunction) warn(`route '${route.alias}'`, route.validation.validatorFunction);
  for (const prompt of config.prompts.values()) {
    for (const v of prompt.versions.values()) if (v.validation?.validatorFunction) warn(`prompt '${prompt.id}' version ${v.version}`, v.validation.validatorFunction);
  }
  return warnings;
}

/** Whether the configuration has a validator function anywhere. */
export function usesValidatorFunctions(config: ResolvedGatewayConfig): boolean {
  if ([...config.routes.values()].some((r) => r.validation?.validatorFunction !== undefined)) return true;
  return [...config.prompts.values()].some((p) => [...p.versions.values()].some((v) => v.validation?.validatorFunction !== undefined));
}

function parseReply(text: string): { valid: boolean; rule?: string; reason?: string } {
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    throw new ValidatorUnavailable('validator reply is not JSON');
  }
  if (typeof reply !== 'object' || reply === null) throw new ValidatorUnavailable('validator reply is not an object');
  const r = reply as Record<string, unknown>;
  if (r.contract !== VALIDATION_CONTRACT) throw new ValidatorUnavailable(`validator reply does not name contract ${VALIDATION_CONTRACT}`);
  if (typeof r.valid !== 'boolean') throw new ValidatorUnavailable('validator reply has no boolean "valid"');
  const rule = typeof r.rule === 'string' && RULE.test(r.rule) ? r.rule : undefined;
  const reason = typeof r.reason === 'string' ? r.reason.slice(0, MAX_REASON) : undefined;
  return { valid: r.valid, rule, reason };
}

/**
 * Calls the validator function on `answer`: a violation when it says invalid (or, failing closed,
 * when it could not say), undefined when it says valid (or, failing open, could not say).
 * `onError` receives the failure of a call that failed open, for the record.
 *
 * @example
 * const violation = await callFunctionValidator(transport, config, request, answer, signal, (e) => log(e));
 */
export async function callFunctionValidator(
  transport: FunctionTransport, config: FunctionValidatorConfig, request: Omit<FunctionValidationRequest, 'contract' | 'answer'>,
  answer: Completion, signal: AbortSignal, onError: (error: Error) => void,
): Promise<Violation | undefined> {
  const payload = JSON.stringify({ contract: VALIDATION_CONTRACT, ...request, answer: { text: answer.text, finishReason: answer.finishReason } });
  const timeoutMs = config.timeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS;
  const budget = AbortSignal.timeout(timeoutMs);
  let reply;
  try {
    reply = parseReply(await transport.call(config, payload, AbortSignal.any([signal, budget])));
  } catch (error) {
    if (signal.aborted) throw error;
    const failure = budget.aborted ? new ValidatorUnavailable(`validator did not answer within ${timeoutMs} ms`)
      : error instanceof ValidatorUnavailable ? error : new ValidatorUnavailable(`validator call failed (${error instanceof Error ? error.name : 'error'})`);
    if (config.onError === ValidatorErrorPolicy.FAIL_OPEN) {
      onError(failure);
      return undefined;
    }
    return { validator: ValidatorName.FUNCTION, rule: 'validator_unavailable', detail: failure.message };
  }
  if (reply.valid) return undefined;
  return { validator: ValidatorName.FUNCTION, rule: reply.rule ?? 'function', detail: reply.reason ?? 'the validator function refused the answer' };
}
