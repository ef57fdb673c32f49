/**
 * The checks no per-field schema can make: references between tenants, routes, targets,
 * guardrails and prices, duplicate ids, and relations between numbers. Runs only on a document
 * whose shape is already valid.
 */
import { GatewayConfig, PromptConfig, PromptVariable, PromptVariableType, Sensitivity, TargetConfig, TargetKind, TimeoutPolicy } from './config';
import { CONFIG_DEFAULTS, priceKeyOf, sensitivityAbove } from './defaults';
import { crossCheckEmbeddings } from './cross-checks-embeddings';
import { templateSlots, templateTexts } from './prompt-template';
import { CONTEXT_SLOT, crossCheckRetrieval } from './retrieval-defaults';
import { crossCheckSurface } from './schema-surface';
import { checkValidation } from './cross-checks-validation';
import { checkRestrictedTransport, checkSensitivityFloor } from './restricted-checks';

function known(noun: string, names: readonly string[]): string {
  if (names.length === 0) return `no ${noun} are defined`;
  const shown = names.length > 20 ? [...names.slice(0, 20), `… (${names.length - 20} more)`] : names;
  return `known ${noun}: ${shown.join(', ')}`;
}

function duplicates(items: readonly string[], path: (i: number) => string, what: string, issues: string[]): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item);
    if (first !== undefined) issues.push(`${path(i)}: duplicate ${what} '${item}' (first at index ${first})`);
    else seen.set(item, i);
  });
}

function checkTimeouts(t: TimeoutPolicy | undefined, path: string, totalDefault: number, issues: string[]): void {
  if (!t) return;
  const total = t.totalMs ?? totalDefault;
  if (t.connectMs !== undefined && t.connectMs > total) {
    issues.push(`${path}.connectMs: ${t.connectMs} exceeds the total deadline of ${total} ms`);
  }
  if (t.firstTokenMs !== undefined && t.firstTokenMs > total) {
    issues.push(`${path}.firstTokenMs: ${t.firstTokenMs} exceeds the total deadline of ${total} ms`);
  }
}

/** Whether `target` can serve `tenantId` (a per-tenant profile target needs the tenant's ARN). */
export function targetServesTenant(target: TargetConfig, tenantId: string): boolean {
  if (target.kind !== TargetKind.BEDROCK || target.profileArns === undefined) return true;
  return Object.prototype.hasOwnProperty.call(target.profileArns, tenantId);
}

/** Appends one message per cross-reference problem of a shape-valid configuration. */
export function crossCheck(config: GatewayConfig, issues: string[]): void {
  const tenantIds = config.tenants.map((t) => t.id);
  const targetIds = config.targets.map((t) => t.id);
  const aliases = config.routes.map((r) => r.alias);
  const guardrailIds = Object.keys(config.guardrails ?? {});
  const priced = Object.keys(config.prices);
  const targets = new Map(config.targets.map((t) => [t.id, t]));
  const routes = new Map(config.routes.map((r) => [r.alias, r]));

  duplicates(tenantIds, (i) => `tenants[${i}].id`, 'tenant id', issues);
  duplicates(targetIds, (i) => `targets[${i}].id`, 'target id', issues);
  duplicates(aliases, (i) => `routes[${i}].alias`, 'route alias', issues);

  const checkGuardrail = (ref: string | undefined, path: string): void => {
    if (ref !== undefined && !guardrailIds.includes(ref)) {
      issues.push(`${path}: unknown guardrail '${ref}'; ${known('guardrails', guardrailIds)}`);
    }
  };

  config.targets.forEach((t, i) => {
    const key = priceKeyOf(t);
    if (key && !Object.prototype.hasOwnProperty.call(config.prices, key)) {
      const via = t.priceModelId !== undefined ? 'priceModelId' : t.kind === TargetKind.BEDROCK ? 'modelId' : 'model';
      issues.push(`targets[${i}].${via}: no price for model '${key}'; add it to prices (${known('priced models', priced)})`);
    }
    for (const tenantId of Object.keys(t.profileArns ?? {})) {
      if (!tenantIds.includes(tenantId)) {
        issues.push(`targets[${i}].profileArns.${tenantId}: unknown tenant '${tenantId}'; ${known('tenants', tenantIds)}`);
      }
    }
    checkTimeouts(t.timeouts, `targets[${i}].timeouts`, config.timeouts?.totalMs ?? CONFIG_DEFAULTS.timeouts.totalMs, issues);
  });

  config.routes.forEach((r, i) => {
    r.targets.forEach((targetId, j) => {
      const target = targets.get(targetId);
      if (!target) {
        issues.push(`routes[${i}].targets[${j}]: unknown target '${targetId}'; ${known('targets', targetIds)}`);
      } else if (r.restrictedAllowed && !target.restrictedAllowed) {
        issues.push(`routes[${i}].targets[${j}]: target '${targetId}' is not restrictedAllowed, but route '${r.alias}' is; mark the target or remove it from the route`);
      }
    });
    checkGuardrail(r.guardrail, `routes[${i}].guardrail`);
    checkGuardrail(r.redactionGuardrail, `routes[${i}].redactionGuardrail`);
    if (r.restrictedAllowed) checkRestrictedTransport(r, i, targets, issues);
    checkValidation(r.validation, `routes[${i}].validation`, [r.alias], config, issues);
  });

  config.tenants.forEach((t, i) => {
    t.allowedAliases.forEach((a, j) => {
      const r = routes.get(a);
      if (!r) {
        issues.push(`tenants[${i}].allowedAliases[${j}]: unknown route alias '${a}'; ${known('aliases', aliases)}`);
        return;
      }
      const chain = r.targets.map((id) => targets.get(id)).filter((x): x is TargetConfig => x !== undefined);
      if (chain.length === r.targets.length && !chain.some((target) => targetServesTenant(target, t.id))) {
        issues.push(`tenants[${i}].allowedAliases[${j}]: no target of route '${a}' can serve tenant '${t.id}' (${r.targets.join(', ')} have no profileArns entry for it)`);
      }
    });
    checkGuardrail(t.guardrail, `tenants[${i}].guardrail`);
    if (t.budget?.dailyUsd !== undefined && t.budget.dailyUsd > t.budget.monthlyUsd) {
      issues.push(`tenants[${i}].budget.dailyUsd: ${t.budget.dailyUsd} exceeds monthlyUsd ${t.budget.monthlyUsd} of tenant '${t.id}', `
        + 'so the daily limit could never be reached; lower dailyUsd or raise monthlyUsd');
    }
    const clearance = t.sensitivityClearance ?? Sensitivity.INTERNAL;
    if (t.defaultSensitivity !== undefined && sensitivityAbove(t.defaultSensitivity, clearance)) {
      issues.push(`tenants[${i}].defaultSensitivity: '${t.defaultSensitivity}' is above the tenant's sensitivityClearance '${clearance}'`);
    }
    checkSensitivityFloor(t, `tenants[${i}]`, clearance, issues);
  });

  (config.autoRouting ?? []).forEach((rule, i) => {
    if (!routes.has(rule.alias)) {
      issues.push(`autoRouting[${i}].alias: unknown route alias '${rule.alias}'; ${known('aliases', aliases)}`);
    }
  });

  const baseDelay = config.retry?.baseDelayMs ?? CONFIG_DEFAULTS.retry.baseDelayMs;
  const maxDelay = config.retry?.maxDelayMs ?? CONFIG_DEFAULTS.retry.maxDelayMs;
  if (baseDelay > maxDelay) {
    issues.push(`retry.baseDelayMs: ${baseDelay} exceeds retry.maxDelayMs ${maxDelay}`);
  }
  checkTimeouts(config.timeouts, 'timeouts', CONFIG_DEFAULTS.timeouts.totalMs, issues);

  crossCheckEmbeddings(config, issues);
  checkPrompts(config, aliases, issues);
  crossCheckRetrieval(config, issues);
  crossCheckSurface(config, issues);
  const promptIds = (config.prompts ?? []).map((p) => p.id);
  config.tenants.forEach((t, i) => (t.allowedPrompts ?? []).forEach((p, j) => {
    if (!promptIds.includes(p)) issues.push(`tenants[${i}].allowedPrompts[${j}]: unknown prompt '${p}'; ${known('prompts', promptIds)}`);
  }));

  for (const [hash, tenantId] of Object.entries(config.localKeys ?? {})) {
    if (!tenantIds.includes(tenantId)) {
      issues.push(`localKeys.${hash.slice(0, 12)}…: unknown tenant '${tenantId}'; ${known('tenants', tenantIds)}`);
    }
  }
}

/** Whether `value` is a valid rendering of a value of `type`. */
export function valueHasType(value: string, type: PromptVariableType): boolean {
  switch (type) {
    case PromptVariableType.NUMBER: return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value) && Number.isFinite(Number(value));
    case PromptVariableType.INTEGER: return /^-?\d{1,15}$/.test(value);
    case PromptVariableType.BOOLEAN: return value === 'true' || value === 'false';
    default: return true;
  }
}

function checkVariable(v: PromptVariable, at: string, issues: string[]): void {
  const type = v.valueType ?? PromptVariableType.STRING;
  const maxLength = v.maxLength ?? CONFIG_DEFAULTS.promptVariableMaxLength;
  (v.allowedValues ?? []).forEach((value, k) => {
    if (!valueHasType(value, type)) issues.push(`${at}.allowedValues[${k}]: '${value.slice(0, 40)}' is not a value of type ${type}`);
    if (value.length > maxLength) issues.push(`${at}.allowedValues[${k}]: ${value.length} characters exceed the variable's maxLength ${maxLength}`);
  });
  if (v.defaultValue === undefined) return;
  if (v.required ?? true) {
    issues.push(`${at}.defaultValue: only an optional variable has a default; set required: false or remove defaultValue`);
  } else if (!valueHasType(v.defaultValue, type)) {
    issues.push(`${at}.defaultValue: '${v.defaultValue.slice(0, 40)}' is not a value of type ${type}`);
  } else if (v.defaultValue.length > maxLength) {
    issues.push(`${at}.defaultValue: ${v.defaultValue.length} characters exceed the variable's maxLength ${maxLength}`);
  } else if (v.allowedValues && !v.allowedValues.includes(v.defaultValue)) {
    issues.push(`${at}.defaultValue: '${v.defaultValue.slice(0, 40)}' is not one of allowedValues (${v.allowedValues.join(', ')})`);
  }
}

function checkPrompt(p: PromptConfig, i: number, config: GatewayConfig, aliases: readonly string[], issues: string[]): void {
  const at = `prompts[${i}]`;
  const numbers = p.versions.map((v) => v.version);
  duplicates(numbers.map(String), (j) => `${at}.versions[${j}].version`, 'version', issues);
  const maxTokensCap = config.limits?.maxTokensCap ?? CONFIG_DEFAULTS.limits.maxTokensCap;
  p.versions.forEach((v, j) => {
    const vat = `${at}.versions[${j}]`;
    if (v.system === undefined && (v.messages ?? []).length === 0) {
      issues.push(`${vat}: a version needs a system template or at least one message`);
    }
    const declared = (v.variables ?? []).map((x) => x.name);
    duplicates(declared, (k) => `${vat}.variables[${k}].name`, 'variable', issues);
    const used = new Set<string>();
    for (const { path, text } of templateTexts(v)) {
      for (const slot of templateSlots(text)) {
        if (!slot.valid) {
          issues.push(`${vat}.${path}: '{{${slot.inner.slice(0, 40)}}}' is not a slot; write {{name}} with a declared variable name (letters, digits, '_')`);
        } else if (slot.inner === CONTEXT_SLOT) {
          // Filled by the retrieval stage (the passages and their citations), never by the client.
        } else if (!declared.includes(slot.inner)) {
          issues.push(`${vat}.${path}: unknown variable '${slot.inner}' in the template; ${known('variables', declared)}`);
        } else {
          used.add(slot.inner);
        }
      }
    }
    (v.variables ?? []).forEach((x, k) => {
      if (x.name === CONTEXT_SLOT) issues.push(`${vat}.variables[${k}].name: '${CONTEXT_SLOT}' is reserved for the retrieved passages; use {{${CONTEXT_SLOT}}} without declaring it`);
      if (!used.has(x.name)) issues.push(`${vat}.variables[${k}].name: variable '${x.name}' is declared but no template uses {{${x.name}}}`);
      checkVariable(x, `${vat}.variables[${k}]`, issues);
    });
    v.routes.forEach((r, k) => {
      if (!aliases.includes(r)) issues.push(`${vat}.routes[${k}]: unknown route alias '${r}'; ${known('aliases', aliases)}`);
    });
    if (v.inference?.maxTokens !== undefined && v.inference.maxTokens > maxTokensCap) {
      issues.push(`${vat}.inference.maxTokens: ${v.inference.maxTokens} exceeds limits.maxTokensCap ${maxTokensCap}`);
    }
    checkValidation(v.validation, `${vat}.validation`, v.routes, config, issues);
  });
  const versions = [...new Set(numbers)].map(String);
  for (const [label, l] of Object.entries(p.labels ?? {})) {
    const lat = `${at}.labels.${label}`;
    if (l.version !== undefined && !numbers.includes(l.version)) {
      issues.push(`${lat}.version: version ${l.version} does not exist; ${known('versions', versions)}`);
    }
    if (l.weights !== undefined) {
      for (const key of Object.keys(l.weights)) {
        if (!versions.includes(String(Number(key)))) issues.push(`${lat}.weights["${key}"]: version ${key} does not exist; ${known('versions', versions)}`);
      }
      const sum = Object.values(l.weights).reduce((a, b) => a + b, 0);
      if (sum !== 100) issues.push(`${lat}.weights: the weights sum to ${sum}; they must sum to 100`);
    }
  }
}

function checkPrompts(config: GatewayConfig, aliases: readonly string[], issues: string[]): void {
  const prompts = config.prompts ?? [];
  duplicates(prompts.map((p) => p.id), (i) => `prompts[${i}].id`, 'prompt id', issues);
  prompts.forEach((p, i) => checkPrompt(p, i, config, aliases, issues));
}
