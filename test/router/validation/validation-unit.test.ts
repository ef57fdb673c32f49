/** Response validation, unit level: pattern safety, synth-time checks, built-in checks, the reservation bound, the log line. */
import { validationReserveUsd, repairRequest, REPAIR_INSTRUCTION_TOKENS } from '../../../lambda/router/pipeline/validate';
import { toLogLine } from '../../../lambda/router/telemetry/log-sink';
import { Outcome, UsageRecord } from '../../../lambda/router/usage/types';
import { compileChecks, runChecks } from '../../../lambda/router/validation/checks';
import { ValidatorName } from '../../../lambda/router/validation/types';
import { ValidationFinalAction } from '../../../lambda/shared/config-validation';
import { unsafePatternReason } from '../../../lambda/shared/validation-patterns';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { harness } from '../../helpers/router-harness';
import { mutate } from '../../helpers/router-config';

const answer = (text: string, outputTokens = 5) => ({
  text, finishReason: 'stop' as const, servedModel: 'm', usage: { inputTokens: 1, outputTokens, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
});

describe('validation pattern safety', () => {
  test.each([
    ['(a)\\1', /back-references/], ['(?<n>a)\\k<n>', /back-references/], ['a(?!b)', /lookahead and lookbehind/],
    ['(', /does not compile/], ['a'.repeat(201), /longer than 200/], ['(?:a{1,100}){1,100}', /use smaller \{m,n\} counts/],
  ])('%s is refused', (pattern, reason) => {
    expect(unsafePatternReason(pattern)).toMatch(reason);
  });

  test.each(['^\\d{4}-\\d{2}-\\d{2}$', '(ab)+', '[a-z]+@[a-z]+\\.com', '(?:yes|no) only', 'IBAN [A-Z]{2}\\d{2}'])('%s is allowed', (pattern) => {
    expect(unsafePatternReason(pattern)).toBeUndefined();
  });

  test('flags are limited to i, m, s, u, each once', () => {
    expect(unsafePatternReason('a', 'g')).toMatch(/flags 'g'/);
    expect(unsafePatternReason('a', 'ii')).toMatch(/flags 'ii'/);
    expect(unsafePatternReason('a', 'imsu')).toBeUndefined();
  });

  test('shapes that backtrack catastrophically in RegExp are allowed: the linear-time matcher runs them in bounded steps', () => {
    for (const pattern of ['(a+)+$', '(\\w+\\s?)*$', '(x|xy)*z', '\\w*\\w*$', '(b*){1,3}$']) expect(unsafePatternReason(pattern)).toBeUndefined();
    const checks = compileChecks({ forbiddenPatterns: ['(a+)+$'] });
    expect(runChecks(checks, answer(`${'a'.repeat(19_999)}!`), undefined, undefined)).toBeUndefined();
    expect(runChecks(checks, answer('aaa'), undefined, undefined)).toMatchObject({ validator: ValidatorName.FORBIDDEN_PATTERN, rule: 'forbiddenPatterns[0]' });
  });
});

describe('synth-time checks of a validation block', () => {
  const check = (validation: unknown, alias = 'chat') => GatewayConfigValidator.check(mutate((d) => {
    const routes = d.routes as Record<string, unknown>[];
    routes.find((r) => r.alias === alias)!.validation = validation;
  }));

  test('an unknown escalation alias, the route itself, or an uncleared route for a restricted one are refused', () => {
    expect(check({ escalateTo: 'nope' })).toEqual([expect.stringMatching(/^routes\[0\]\.validation\.escalateTo: unknown route alias 'nope'/)]);
    expect(check({ escalateTo: 'chat' })).toEqual([expect.stringMatching(/is the route itself/)]);
    expect(check({ escalateTo: 'chat' }, 'secure')).toEqual([expect.stringMatching(/^routes\[2\]\.validation\.escalateTo: route 'chat' is not restrictedAllowed/)]);
  });

  test('a jsonSchema that is not a JSON object, impossible bounds and an unknown final action are refused naming the field', () => {
    expect(check({ jsonSchema: '[1]' })).toEqual([expect.stringMatching(/jsonSchema: a JSON Schema must be a JSON object/)]);
    expect(check({ jsonSchema: '{nope' })).toEqual([expect.stringMatching(/jsonSchema: not valid JSON/)]);
    expect(check({ minChars: 10, maxChars: 5 })).toEqual([expect.stringMatching(/minChars: 10 exceeds maxChars 5/)]);
    expect(check({ onFailure: 'ignore' })).toEqual([expect.stringMatching(/onFailure.*'ignore'.*reject, flag/)]);
    expect(check({ retries: 4 })).toEqual([expect.stringMatching(/retries/)]);
  });

  test('a validator function needs a Lambda ARN; a local URL must be https or loopback', () => {
    expect(check({ validatorFunction: { functionArn: 'my-fn' } })).toEqual([expect.stringMatching(/validatorFunction\.functionArn/)]);
    expect(check({ validatorFunction: { functionArn: 'arn:aws:lambda:us-east-1:111122223333:function:f', localUrl: 'http://10.0.0.1/v' } }))
      .toEqual([expect.stringMatching(/localUrl.*plain http to another host/)]);
  });
});

describe('built-in checks', () => {
  test('order and verdicts: guardrail, request format, route schema, length, required, forbidden', () => {
    const checks = compileChecks({
      guardrail: true, jsonSchema: '{"type":"object","required":["a"]}', maxChars: 30, requiredPatterns: ['"a"'], forbiddenPatterns: ['password'],
    });
    expect(runChecks(checks, { ...answer('{"a":1}'), guardrailAction: 'INTERVENED' }, undefined, undefined)?.validator).toBe(ValidatorName.GUARDRAIL);
    expect(runChecks(checks, answer('[]'), { type: 'json_object' }, undefined)?.validator).toBe(ValidatorName.REQUEST_SCHEMA);
    expect(runChecks(checks, answer('{"b":1}'), undefined, undefined)).toMatchObject({ validator: ValidatorName.ROUTE_SCHEMA, rule: 'schema' });
    expect(runChecks(checks, answer(`{"a":"${'x'.repeat(40)}"}`), undefined, undefined)).toMatchObject({ rule: 'maxChars 30' });
    expect(runChecks(checks, answer('{"a":"password"}'), undefined, undefined)).toMatchObject({ rule: 'forbiddenPatterns[0]' });
    expect(runChecks(checks, answer('{"a":"fine"}'), undefined, undefined)).toBeUndefined();
  });

  test('maxOutputTokens reads the reported tokens; the rule never quotes the answer', () => {
    const v = runChecks(compileChecks({ maxOutputTokens: 3 }), answer('secret words here', 9), undefined, undefined);
    expect(v).toMatchObject({ validator: ValidatorName.LENGTH, rule: 'maxOutputTokens 3' });
    expect(v!.rule).not.toContain('secret');
  });
});

describe('the reservation covers every answer the policy may ask for', () => {
  test('first answer + retries × (input grown by the failed answer and the instruction) + the escalation bound', () => {
    const { plan } = harness();
    const base = Math.max(...plan.candidates.map((c) => c.estimatedCostUsd));
    const checks = compileChecks({ retries: 2, onFailure: ValidationFinalAction.REJECT });
    const vPlan = { block: checks.config, checks, policy: 'retry:2>reject' };
    const c = plan.candidates[0];
    const repairInput = c.estimatedInputTokens + c.maxOutputTokens + REPAIR_INSTRUCTION_TOKENS;
    expect(validationReserveUsd(plan, undefined, undefined)).toBe(base);
    expect(validationReserveUsd(plan, vPlan, undefined)).toBeGreaterThanOrEqual(base + 2 * base);
    expect(validationReserveUsd(plan, vPlan, plan)).toBeCloseTo(validationReserveUsd(plan, vPlan, undefined) + base, 12);
    expect(repairInput).toBeGreaterThan(c.estimatedInputTokens);
  });

  test('a repair request ends with the failed answer and an instruction capped in length', () => {
    const request = { requestId: 'r', system: [], messages: [{ role: 'user' as const, content: 'q' }], metadata: {}, maxTokens: 10 };
    const repaired = repairRequest(request, 'bad', { validator: ValidatorName.ROUTE_SCHEMA, rule: 'schema', detail: 'x'.repeat(5000) });
    expect(repaired.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(repaired.messages[2].content.length).toBeLessThan(1000);
  });
});

test('the log line carries the validation fields and counts the failed answers in ValidationFailures', () => {
  const record: UsageRecord = {
    requestId: 'r', timestamp: '2026-01-01T00:00:00.000Z', operation: 'chat.completions', stream: false, status: 422, outcome: Outcome.REJECTED,
    attempts: 2, attemptDetails: [
      { targetId: 'a', result: 'validation_failed', durationMs: 1, validator: 'length' }, { targetId: 'b', result: 'validation_failed', durationMs: 1, validator: 'length' },
    ],
    fallback: false, inputTokens: 1, outputTokens: 1, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, usageEstimated: false, costUsd: 0, latencyMs: 1,
    route: 'chat', validationOutcome: 'rejected', validator: 'length', validationRule: 'maxChars 5', validationPolicy: 'retry:1>reject', validationAnswers: 2,
  };
  const line = toLogLine(record, 'Ns');
  expect(line).toMatchObject({
    ValidationFailures: 2, 'gateway.validation.outcome': 'rejected', 'gateway.validation.validator': 'length',
    'gateway.validation.rule': 'maxChars 5', 'gateway.validation.policy': 'retry:1>reject', 'gateway.validation.answers': 2,
  });
});

test('the log line carries the escalation skip reason, the redaction count and the approval (ticket, approver, grant time)', () => {
  const record: UsageRecord = {
    requestId: 'r2', timestamp: '2026-12-07T00:00:00.000Z', operation: 'chat.completions', tenantId: 'acme', stream: false, status: 422,
    outcome: Outcome.REJECTED, errorCode: 'validation_failed', attempts: 2, attemptDetails: [], fallback: false, inputTokens: 1, outputTokens: 1,
    cacheReadInputTokens: 0, cacheWriteInputTokens: 0, usageEstimated: false, costUsd: 0, latencyMs: 1, route: 'kyc', sensitivity: 'restricted',
    validationOutcome: 'rejected', validationPolicy: 'retry:1>escalate:strong>reject', escalationSkipped: 'route_suspended', redactedEntities: 3,
    approval: { ticket: 'RISK-7', approver: 'arn:aws:iam::111122223333:user/risk', grantedAt: '2026-12-01T00:00:00.000Z', expiresAt: '2027-01-01T00:00:00.000Z' },
  };
  const line = toLogLine(record, 'Ns');
  expect(line).toMatchObject({
    'gateway.validation.escalation_skipped': 'route_suspended', 'gateway.redaction.masked_entities': 3,
    'gateway.approval.ticket': 'RISK-7', 'gateway.approval.approver': 'arn:aws:iam::111122223333:user/risk', 'gateway.approval.granted_at': '2026-12-01T00:00:00.000Z',
  });
});
