/**
 * Stage: read the routing hints of a request from its headers or its `metadata`.
 *
 * | hint | header | metadata key | values |
 * |---|---|---|---|
 * | workflow | `x-gateway-workflow` | `workflow` | letters, digits, `._:/-`, ≤ 64 chars |
 * | latency class | `x-gateway-latency-class` | `latency_class` | `interactive`, `standard`, `batch` |
 * | sensitivity | `x-gateway-sensitivity` | `sensitivity` | `public`, `internal`, `restricted` |
 * | max cost | `x-gateway-max-cost-usd` | `max_cost_usd` | a decimal number of US dollars > 0 |
 * | prompt | `x-gateway-prompt` | `prompt` | `id`, `id@version` or `id@label` |
 * | prompt variables | `x-gateway-prompt-variables` | `prompt_variables` | a JSON object |
 *
 * A hint given both ways must agree (a disagreement is a 400: the gateway does not guess which
 * one the application meant).
 */
import { LatencyClass, Sensitivity } from '../../shared/config';
import { WORKFLOW_PATTERN } from '../../shared/schema';
import { InvalidRequestError } from '../errors';
import { RoutingHints } from './types';

/** Header and metadata names of the routing hints. */
export const HINTS = {
  workflow: { header: 'x-gateway-workflow', metadata: 'workflow' },
  latencyClass: { header: 'x-gateway-latency-class', metadata: 'latency_class' },
  sensitivity: { header: 'x-gateway-sensitivity', metadata: 'sensitivity' },
  maxCostUsd: { header: 'x-gateway-max-cost-usd', metadata: 'max_cost_usd' },
  prompt: { header: 'x-gateway-prompt', metadata: 'prompt' },
  promptVariables: { header: 'x-gateway-prompt-variables', metadata: 'prompt_variables' },
} as const;

const WORKFLOW = new RegExp(WORKFLOW_PATTERN);
const PROMPT = /^([A-Za-z0-9][A-Za-z0-9._:/-]{0,255})(?:@([A-Za-z0-9][A-Za-z0-9._-]{0,31}))?$/;
const DECIMAL = /^(?:\d{1,6})(?:\.\d{1,12})?$/;
const MAX_COST_USD = 1_000;

function pick(name: keyof typeof HINTS, headers: Readonly<Record<string, string>>, metadata: Readonly<Record<string, string>>):
{ value: string; param: string } | undefined {
  const { header, metadata: key } = HINTS[name];
  const h = headers[header]?.trim();
  const m = Object.prototype.hasOwnProperty.call(metadata, key) ? metadata[key].trim() : undefined;
  if (h !== undefined && m !== undefined && h !== m) {
    throw new InvalidRequestError(
      `The ${header} header and metadata.${key} disagree; send the hint once.`, 'conflicting_hints', `metadata.${key}`);
  }
  if (h !== undefined && h.length > 0) return { value: h, param: header };
  if (m !== undefined && m.length > 0) return { value: m, param: `metadata.${key}` };
  return undefined;
}

function enumHint<T extends string>(raw: { value: string; param: string } | undefined, allowed: readonly T[]): T | undefined {
  if (!raw) return undefined;
  const v = raw.value.toLowerCase();
  const found = allowed.find((a) => a === v);
  if (!found) {
    throw new InvalidRequestError(
      `${raw.param} ${JSON.stringify(raw.value.slice(0, 40))} is not allowed; allowed: ${allowed.join(', ')}.`, 'invalid_hint', raw.param);
  }
  return found;
}

/**
 * Reads and validates the routing hints. Throws `InvalidRequestError` naming the header or
 * metadata key at fault.
 *
 * @example
 * readRoutingHints({ 'x-gateway-sensitivity': 'restricted' }, { workflow: 'kyc' })
 * // { sensitivity: 'restricted', workflow: 'kyc' }
 */
export function readRoutingHints(headers: Readonly<Record<string, string>>, metadata: Readonly<Record<string, string>>): RoutingHints {
  const workflow = pick('workflow', headers, metadata);
  if (workflow && !WORKFLOW.test(workflow.value)) {
    throw new InvalidRequestError(
      `${workflow.param} must be 1 to 64 letters, digits, '.', '_', ':', '/' or '-', starting with a letter or digit.`, 'invalid_hint', workflow.param);
  }
  const latencyClass = enumHint(pick('latencyClass', headers, metadata), Object.values(LatencyClass));
  const sensitivity = enumHint(pick('sensitivity', headers, metadata), Object.values(Sensitivity));

  const cost = pick('maxCostUsd', headers, metadata);
  let maxCostUsd: number | undefined;
  if (cost) {
    maxCostUsd = DECIMAL.test(cost.value) ? Number(cost.value) : NaN;
    if (!(maxCostUsd > 0 && maxCostUsd <= MAX_COST_USD)) {
      throw new InvalidRequestError(
        `${cost.param} must be a decimal number of US dollars greater than 0 and at most ${MAX_COST_USD}, such as 0.05.`, 'invalid_hint', cost.param);
    }
  }

  const prompt = pick('prompt', headers, metadata);
  let promptId: string | undefined;
  let promptVersion: string | undefined;
  if (prompt) {
    const match = PROMPT.exec(prompt.value);
    if (!match) {
      throw new InvalidRequestError(
        `${prompt.param} must be 'id', 'id@version' or 'id@label' (letters, digits and '._:/-'), such as 'support-summary@3'.`, 'invalid_hint', prompt.param);
    }
    [, promptId, promptVersion] = match;
  }
  const variables = pick('promptVariables', headers, metadata);
  let promptVariables: Record<string, unknown> | undefined;
  if (variables) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(variables.value);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidRequestError(`${variables.param} must be a JSON object of variable values, such as {"ticket":"…"}.`, 'invalid_hint', variables.param);
    }
    promptVariables = parsed as Record<string, unknown>;
  }

  return {
    ...(workflow ? { workflow: workflow.value } : {}),
    ...(latencyClass ? { latencyClass } : {}),
    ...(sensitivity ? { sensitivity } : {}),
    ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
    ...(promptId ? { promptId, ...(promptVersion !== undefined ? { promptVersion } : {}), promptParam: prompt!.param } : {}),
    ...(promptVariables ? { promptVariables, promptVariablesParam: variables!.param } : {}),
  };
}
