/**
 * Cross-checks of a `validation` block (a route's or a prompt version's): safe patterns, a JSON
 * schema that parses to an object, bounds that can be met, an escalation alias that exists, is
 * not the route itself and admits at least the route's sensitivity.
 */
import { GatewayConfig } from './config';
import { ResponseValidationConfig } from './config-validation';
import { unsafePatternReason } from './validation-patterns';

/**
 * Appends one message per problem of `v` at `path`; `ownAliases` are the routes it applies to.
 *
 * @example
 * checkValidation(route.validation, 'routes[0].validation', [route.alias], config, issues);
 */
export function checkValidation(
  v: ResponseValidationConfig | undefined, path: string, ownAliases: readonly string[], config: GatewayConfig, issues: string[],
): void {
  if (!v) return;
  const flags = v.patternFlags ?? '';
  for (const list of ['requiredPatterns', 'forbiddenPatterns'] as const) {
    (v[list] ?? []).forEach((pattern, i) => {
      const reason = unsafePatternReason(pattern, flags);
      if (reason !== undefined) issues.push(`${path}.${list}[${i}]: ${reason}`);
    });
  }
  if (v.jsonSchema !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v.jsonSchema);
    } catch {
      issues.push(`${path}.jsonSchema: not valid JSON; give a JSON Schema object as JSON text`);
    }
    if (parsed !== undefined && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) {
      issues.push(`${path}.jsonSchema: a JSON Schema must be a JSON object`);
    }
  }
  if (v.minChars !== undefined && v.maxChars !== undefined && v.minChars > v.maxChars) {
    issues.push(`${path}.minChars: ${v.minChars} exceeds maxChars ${v.maxChars}, so no answer could pass`);
  }
  if (v.escalateTo !== undefined) {
    const target = config.routes.find((r) => r.alias === v.escalateTo);
    if (!target) {
      issues.push(`${path}.escalateTo: unknown route alias '${v.escalateTo}'; known aliases: ${config.routes.map((r) => r.alias).join(', ')}`);
    } else if (ownAliases.includes(v.escalateTo)) {
      issues.push(`${path}.escalateTo: '${v.escalateTo}' is the route itself; escalate to another alias or use retries`);
    } else {
      const restricted = ownAliases.some((a) => config.routes.find((r) => r.alias === a)?.restrictedAllowed === true);
      if (restricted && target.restrictedAllowed !== true) {
        issues.push(`${path}.escalateTo: route '${v.escalateTo}' is not restrictedAllowed, but restricted requests may fail validation on this route; escalate to a restricted route`);
      }
      // No redaction check: the escalation redacts with its own redactionGuardrail (if any) what this
      // route's redaction left, so its target never sees less redacted text (router pipeline/escalation.ts).
    }
  }
  if (v.validatorFunction?.localUrl !== undefined && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(v.validatorFunction.localUrl)
    && !v.validatorFunction.localUrl.startsWith('https://')) {
    issues.push(`${path}.validatorFunction.localUrl: '${v.validatorFunction.localUrl}' is plain http to another host; use https, or http on loopback`);
  }
}
