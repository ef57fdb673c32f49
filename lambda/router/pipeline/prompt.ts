/**
 * Stage: prompt resolution. A request names a prompt as OpenAI's reusable-prompt object does —
 * `"prompt": {"id", "version", "variables"}` in the body — or, for clients that cannot add body
 * fields, with the `x-gateway-prompt` header or `metadata.prompt` (`id`, `id@3`, `id@canary`) and
 * `x-gateway-prompt-variables` / `metadata.prompt_variables` (a JSON object).
 *
 * 1. The prompt must exist (404 `prompt_not_found`) and be allowed to the tenant (403
 *    `prompt_not_allowed`).
 * 2. The version: a number, a label, or none (the `prod` label, else the highest version). A label
 *    with weights picks a version by a stable hash of the request's `user` (else its request id),
 *    so one user stays on one side of a canary. A label override (a rollback or promotion stored
 *    beside the usage ledger, see ../prompts/label-store.ts) takes precedence over the configured
 *    label.
 * 3. The route: the version's routes must contain `model` (400 `prompt_route_mismatch`); `auto`
 *    becomes the first of them the tenant may call.
 * 4. The variables: unknown, missing, mistyped, too long or not allowed values are a 400 naming
 *    the variable. When a label chose the version, variables of the prompt's other versions are
 *    ignored rather than refused (the client cannot know which side of a canary it lands on).
 * 5. Rendering: each `{{name}}` slot of the template gets its value in one pass — nothing is
 *    evaluated, and a value containing `{{x}}` stays literal. The template's system prompt comes
 *    before the client's system messages, its turns before the client's turns.
 * 6. The version's inference parameters apply where the request set none.
 * 7. The system template's text before its first slot is the request's `stablePrefix`: a route
 *    with `promptCaching` places a cache point after it (../providers/bedrock/mapping.ts).
 */
import { createHash } from 'node:crypto';
import { PromptVariable, PromptVariableType, PromptVersionConfig, RequestLimits } from '../../shared/config';
import { valueHasType } from '../../shared/cross-checks';
import { CONFIG_DEFAULTS, ResolvedGatewayConfig, ResolvedPrompt } from '../../shared/defaults';
import { renderTemplate, staticPrefix } from '../../shared/prompt-template';
import { CONTEXT_SLOT } from '../../shared/retrieval-defaults';
import { AUTO_ALIAS } from '../../shared/schema';
import { InvalidRequestError, NotFoundError, PermissionDeniedError } from '../errors';
import { labelOverrideSortKey as overrideKey } from '../../shared/prompt-label-schema';
import { normaliseTurns } from '../providers/conversation';
import { ChatTurn } from '../providers/types';
import { ChatRequest, PromptReference, ResolvedPromptRef, RoutingHints, TenantContext } from './types';

/** The input of the prompt stage. */
export interface PromptStageInput {
  readonly chat: ChatRequest;
  readonly hints: RoutingHints;
  readonly tenant: TenantContext;
  readonly requestId: string;
  readonly config: ResolvedGatewayConfig;
  /**
   * Labels moved without a deploy (a rollback): `overrideKey(promptId, label)` → version. An
   * override naming a version the prompt does not have is ignored.
   * @default none
   */
  readonly labelOverrides?: ReadonlyMap<string, number>;
  /**
   * Called with the resolved version as soon as it is known, before its variables are checked, so
   * a request the version refuses is still recorded against it (its validation-failure rate).
   * @default none
   */
  readonly onResolved?: (prompt: ResolvedPromptRef) => void;
  /**
   * Rendered in place of the template's `{{context}}` slot, for the retrieval stage to replace with
   * the passages (a per-request random string no client can forge).
   * @default the slot renders empty
   */
  readonly contextMarker?: string;
}

/**
 * The error codes of requests that a resolved prompt version refused (variables, rendered size,
 * routes): the `PromptValidationFailures` metric of that version counts them.
 */
export const PROMPT_VALIDATION_ERROR_CODES: ReadonlySet<string> = new Set([
  'unknown_prompt_variable', 'missing_prompt_variable', 'invalid_prompt_variable', 'prompt_variable_too_long',
  'prompt_route_mismatch', 'prompt_route_not_allowed', 'too_many_messages', 'message_too_long', 'invalid_conversation',
]);

/** Buckets of a weighted split: weights are percent, so each percent is 100 buckets. */
const SPLIT_BUCKETS = 10_000;

/** Where the reference came from, for error `param`s. */
interface Located {
  readonly ref: PromptReference;
  readonly idParam: string;
  readonly versionParam: string;
  readonly variablesParam: string;
}

function reference(chat: ChatRequest, hints: RoutingHints): Located | undefined {
  const body = chat.promptRef;
  const hinted = hints.promptId !== undefined;
  if (body && (hinted || hints.promptVariables !== undefined)) {
    const sameId = !hinted || (hints.promptId === body.id && hints.promptVersion === body.version);
    if (!sameId || hints.promptVariables !== undefined) {
      throw new InvalidRequestError(
        "The body's 'prompt' and the x-gateway-prompt header (or metadata.prompt) both name a prompt; send it once.", 'conflicting_hints', 'prompt');
    }
  }
  if (body) return { ref: body, idParam: 'prompt.id', versionParam: 'prompt.version', variablesParam: 'prompt.variables' };
  if (!hinted) {
    if (hints.promptVariables !== undefined) {
      throw new InvalidRequestError('Prompt variables were sent without a prompt; name one with x-gateway-prompt.', 'missing_prompt', 'prompt');
    }
    return undefined;
  }
  return {
    ref: {
      id: hints.promptId!,
      ...(hints.promptVersion !== undefined ? { version: hints.promptVersion } : {}),
      ...(hints.promptVariables !== undefined ? { variables: hints.promptVariables } : {}),
    },
    idParam: hints.promptParam ?? 'x-gateway-prompt',
    versionParam: hints.promptParam ?? 'x-gateway-prompt',
    variablesParam: hints.promptVariablesParam ?? 'x-gateway-prompt-variables',
  };
}

/**
 * A stable bucket in [0, buckets) for `key`: the first 32 bits of its SHA-256. The same user lands
 * in the same bucket on every invocation, every instance and every deployment.
 *
 * @example
 * stableBucket('support-reply:canary:user-42') // always the same number below 10000
 */
export function stableBucket(key: string, buckets = SPLIT_BUCKETS): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % buckets;
}

/**
 * The version a weighted split gives `stickyKey`: versions in ascending order, each owning
 * `weight × 100` consecutive buckets of 10,000.
 *
 * @example
 * pickWeighted({ 3: 90, 4: 10 }, 'user-42') // 3 for about 90 % of keys, 4 for the rest
 */
export function pickWeighted(weights: Readonly<Record<string, number>>, stickyKey: string): number {
  const bucket = stableBucket(stickyKey);
  const entries = Object.entries(weights).map(([v, w]) => [Number(v), w] as const).sort((a, b) => a[0] - b[0]);
  let upTo = 0;
  for (const [version, weight] of entries) {
    upTo += weight * (SPLIT_BUCKETS / 100);
    if (bucket < upTo) return version;
  }
  return entries[entries.length - 1][0];
}

/**
 * Resolves a version number or label of `prompt` to a version number.
 *
 * @example
 * resolvePromptVersion(prompt, 'canary', 'user-42') // { version: 4, label: 'canary' }
 */
export function resolvePromptVersion(
  prompt: ResolvedPrompt, requested: string | undefined, stickyKey: string, param = 'prompt.version',
  overrides?: ReadonlyMap<string, number>,
): { readonly version: number; readonly label?: string } {
  if (requested !== undefined && /^[0-9]+$/.test(requested)) {
    const version = Number(requested);
    if (!prompt.versions.has(version)) {
      throw new NotFoundError(
        `Prompt '${prompt.id}' has no version ${requested}; versions: ${[...prompt.versions.keys()].join(', ')}.`, 'prompt_version_not_found', param);
    }
    return { version };
  }
  const labelName = requested ?? (prompt.labels.has(CONFIG_DEFAULTS.promptDefaultLabel) ? CONFIG_DEFAULTS.promptDefaultLabel : undefined);
  if (labelName === undefined) return { version: prompt.latest };
  const label = prompt.labels.get(labelName);
  if (!label) {
    const labels = [...prompt.labels.keys()];
    throw new NotFoundError(
      `Prompt '${prompt.id}' has no label '${labelName.slice(0, 64)}'; ${labels.length ? `labels: ${labels.join(', ')}` : 'it has no labels'}.`,
      'prompt_version_not_found', param);
  }
  const overridden = overrides?.get(overrideKey(prompt.id, labelName));
  if (overridden !== undefined && prompt.versions.has(overridden)) return { version: overridden, label: labelName };
  const version = label.version ?? pickWeighted(label.weights!, `${prompt.id}:${labelName}:${stickyKey}`);
  return { version, label: labelName };
}

/** The text of one variable value: strings, finite numbers, booleans, or OpenAI's `input_text` part. */
function valueText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const part = value as Record<string, unknown>;
    if (part.type === 'input_text' && typeof part.text === 'string') return part.text;
  }
  return undefined;
}

/**
 * Checks the variables of a request against a version's declarations and returns the value of
 * every declared variable. Throws a 400 naming the variable at fault. Names in `tolerated`
 * (variables of the prompt's other versions, when a label chose the version) are ignored rather
 * than refused, so a client can serve both sides of a canary with one set of variables.
 *
 * @example
 * validateVariables(version, { ticket: 'My card was charged twice' }, 'prompt.variables')
 */
export function validateVariables(
  version: PromptVersionConfig, given: Readonly<Record<string, unknown>> | undefined, param: string,
  tolerated: ReadonlySet<string> = new Set(),
): Map<string, string> {
  const declared = new Map<string, PromptVariable>((version.variables ?? []).map((v) => [v.name, v]));
  const values = new Map<string, string>();
  for (const name of Object.keys(given ?? {})) {
    if (!declared.has(name) && !tolerated.has(name)) {
      const names = [...declared.keys()];
      throw new InvalidRequestError(
        `Unknown prompt variable '${name.slice(0, 64)}'; this version declares ${names.length ? names.join(', ') : 'no variables'}.`,
        'unknown_prompt_variable', `${param}.${name.slice(0, 64)}`);
    }
  }
  for (const [name, v] of declared) {
    const at = `${param}.${name}`;
    const raw = given !== undefined && Object.prototype.hasOwnProperty.call(given, name) ? given[name] : undefined;
    if (raw === undefined || raw === null) {
      if (v.required ?? true) throw new InvalidRequestError(`The prompt variable '${name}' is required.`, 'missing_prompt_variable', at);
      values.set(name, v.defaultValue ?? '');
      continue;
    }
    const type = v.valueType ?? PromptVariableType.STRING;
    const text = valueText(raw);
    if (text === undefined || !valueHasType(text, type)) throw new InvalidRequestError(`The prompt variable '${name}' must be a ${type}.`, 'invalid_prompt_variable', at);
    const maxLength = v.maxLength ?? CONFIG_DEFAULTS.promptVariableMaxLength;
    if (text.length > maxLength) {
      throw new InvalidRequestError(
        `The prompt variable '${name}' is ${text.length} characters; at most ${maxLength} are allowed.`, 'prompt_variable_too_long', at);
    }
    if (v.allowedValues && !v.allowedValues.includes(text)) {
      throw new InvalidRequestError(
        `The prompt variable '${name}' must be one of: ${v.allowedValues.join(', ')}.`, 'invalid_prompt_variable', at);
    }
    values.set(name, text);
  }
  return values;
}

/** A rendered template: system prompt and turns. */
export interface RenderedPrompt {
  readonly system?: string;
  readonly turns: ChatTurn[];
}

/**
 * Renders a version's template with validated values (see `renderTemplate`: one pass, no
 * evaluation, no recursive expansion).
 *
 * @example
 * renderPrompt(version, new Map([['ticket', 'Card charged twice']]))
 */
export function renderPrompt(version: PromptVersionConfig, values: ReadonlyMap<string, string>): RenderedPrompt {
  return {
    ...(version.system !== undefined ? { system: renderTemplate(version.system, values) } : {}),
    turns: (version.messages ?? []).map((m) => ({ role: m.role, content: renderTemplate(m.content, values) })),
  };
}

/** Template turns followed by the client's, consecutive turns of one role merged (as parse.ts does). */
function conversation(template: readonly ChatTurn[], client: readonly ChatTurn[]): ChatTurn[] {
  return normaliseTurns([...template, ...client], { dropBlank: false, userFirst: false });
}

function chooseRoute(chat: ChatRequest, version: PromptVersionConfig, tenant: TenantContext, id: string): string {
  if (chat.model === AUTO_ALIAS) {
    const route = version.routes.find((r) => tenant.allowedAliases.has(r));
    if (route === undefined) {
      throw new PermissionDeniedError(
        `Prompt '${id}' version ${version.version} is meant for routes you may not call (${version.routes.join(', ')}).`, 'prompt_route_not_allowed', 'model');
    }
    return route;
  }
  if (!version.routes.includes(chat.model)) {
    throw new InvalidRequestError(
      `Prompt '${id}' version ${version.version} is meant for ${version.routes.join(', ')}, not '${chat.model.slice(0, 64)}'; use one of them or "auto".`,
      'prompt_route_mismatch', 'model');
  }
  return chat.model;
}

function checkSize(turns: readonly ChatTurn[], system: readonly string[], limits: Required<RequestLimits>): void {
  if (turns.length > limits.maxMessages) {
    throw new InvalidRequestError(
      `The prompt and 'messages' make ${turns.length} messages; the limit is ${limits.maxMessages}.`, 'too_many_messages', 'messages');
  }
  for (const text of [...system, ...turns.map((t) => t.content)]) {
    if (text.length > limits.maxMessageChars) {
      throw new InvalidRequestError(
        `A rendered prompt message is ${text.length} characters; the limit is ${limits.maxMessageChars}.`, 'message_too_long', 'prompt.variables');
    }
  }
  if (turns.length === 0 || turns[0].role !== 'user') {
    throw new InvalidRequestError("The prompt's turns and 'messages' must start with a user message.", 'invalid_conversation', 'messages');
  }
  if (turns[turns.length - 1].role !== 'user') {
    throw new InvalidRequestError("The prompt's turns and 'messages' must end with a user message.", 'invalid_conversation', 'messages');
  }
}

/**
 * Resolves, validates and renders the prompt a request names, and returns the request with the
 * rendered template in front of its messages, the version's inference defaults applied and the
 * resolved `prompt`. A request that names no prompt is returned as it is.
 *
 * @example
 * const chat = applyPrompt({ chat: parsed, hints, tenant, requestId, config });
 * // chat.prompt → { id: 'support-reply', version: 4, label: 'canary' }
 */
export function applyPrompt(input: PromptStageInput): ChatRequest {
  const { chat, hints, tenant, requestId, config, labelOverrides, onResolved } = input;
  const located = reference(chat, hints);
  if (!located) return chat;
  const { ref } = located;
  const prompt = config.prompts.get(ref.id);
  if (!prompt) {
    throw new NotFoundError(`The prompt '${ref.id.slice(0, 64)}' does not exist.`, 'prompt_not_found', located.idParam);
  }
  const allowed = config.tenants.get(tenant.tenantId)?.allowedPrompts;
  if (allowed !== undefined && !allowed.includes(prompt.id)) {
    throw new PermissionDeniedError(`This tenant may not use the prompt '${prompt.id}'.`, 'prompt_not_allowed', located.idParam);
  }
  const { version: number, label } = resolvePromptVersion(
    prompt, ref.version, chat.user ?? requestId, located.versionParam, labelOverrides);
  const version = prompt.versions.get(number)!;
  const resolved: ResolvedPromptRef = { id: prompt.id, version: number, ...(label !== undefined ? { label } : {}) };
  onResolved?.(resolved);
  const model = chooseRoute(chat, version, tenant, prompt.id);
  // A label may land on any of its versions: accept the variables of every version of the prompt.
  const tolerated = label !== undefined
    ? new Set([...prompt.versions.values()].flatMap((v) => (v.variables ?? []).map((x) => x.name))) : undefined;
  const values = validateVariables(version, ref.variables, located.variablesParam, tolerated);
  values.set(CONTEXT_SLOT, input.contextMarker ?? '');
  const rendered = renderPrompt(version, values);
  const usesContext = input.contextMarker !== undefined
    && [rendered.system ?? '', ...rendered.turns.map((t) => t.content)].some((t) => t.includes(input.contextMarker!));

  const system = rendered.system !== undefined && rendered.system.length > 0 ? [rendered.system, ...chat.system] : [...chat.system];
  // What every request of this version repeats: a cache point after it serves all of them.
  const prefix = rendered.system !== undefined && rendered.system.length > 0 ? staticPrefix(version.system!) : '';
  const messages = conversation(rendered.turns, chat.messages);
  checkSize(messages, system, config.limits);
  const defaults = version.inference ?? {};
  return {
    ...chat,
    model,
    system,
    messages,
    prompt: resolved,
    ...(prefix.length > 0 ? { stablePrefix: prefix } : {}),
    ...(usesContext ? { contextMarker: input.contextMarker } : {}),
    ...(chat.maxTokens === undefined && defaults.maxTokens !== undefined ? { maxTokens: defaults.maxTokens } : {}),
    ...(chat.temperature === undefined && defaults.temperature !== undefined ? { temperature: defaults.temperature } : {}),
    ...(chat.topP === undefined && defaults.topP !== undefined ? { topP: defaults.topP } : {}),
    ...(chat.stop === undefined && defaults.stopSequences !== undefined ? { stop: defaults.stopSequences } : {}),
  };
}
