import * as logs from 'aws-cdk-lib/aws-logs';
import { GUARDRAIL_INTERVENED, LOG_FIELD, OUTCOME_REJECTED, TRACE_FIELD, TRACE_STAGES } from '../../private/telemetry-conventions';

/**
 * A log field as Logs Insights wants it: in backticks when its name holds a character other than
 * a letter, a digit, `@` or `.`.
 */
function f(name: string): string {
  return /^[A-Za-z0-9@.]+$/.test(name) ? name : `\`${name}\``;
}

const usageStats = [
  `sum(${f(LOG_FIELD.costUsd)}) as cost_usd`,
  `sum(${f(LOG_FIELD.inputTokens)}) as input_tokens`,
  `sum(${f(LOG_FIELD.outputTokens)}) as output_tokens`,
  'count(*) as requests',
].join(', ');

/** Cost, tokens and requests per tenant. */
export function costByTenantQuery(): logs.QueryString {
  return new logs.QueryString({
    filterStatements: [`ispresent(${f(LOG_FIELD.costUsd)})`],
    statsStatements: [`${usageStats} by ${f(LOG_FIELD.tenant)}`],
    sort: 'cost_usd desc',
  });
}

/** Waste (cost that bought no answer) per tenant, route and outcome, largest first. */
export function wasteByTenantAndRouteQuery(): logs.QueryString {
  return new logs.QueryString({
    filterStatements: [`${f(LOG_FIELD.wasteUsd)} > 0`],
    statsStatements: [`sum(${f(LOG_FIELD.wasteUsd)}) as waste_usd, sum(${f(LOG_FIELD.costUsd)}) as cost_usd, count(*) as requests `
      + `by ${f(LOG_FIELD.tenant)}, ${f(LOG_FIELD.route)}, ${f(LOG_FIELD.outcome)}`],
    sort: 'waste_usd desc',
    limit: 100,
  });
}

/** Cost, tokens and requests per tenant and workflow. */
export function tokensAndCostByTenantAndWorkflowQuery(): logs.QueryString {
  return new logs.QueryString({
    filterStatements: [`ispresent(${f(LOG_FIELD.costUsd)})`],
    statsStatements: [`${usageStats} by ${f(LOG_FIELD.tenant)}, ${f(LOG_FIELD.workflow)}`],
    sort: 'cost_usd desc',
    limit: 100,
  });
}

/** Cost, tokens and requests per prompt and prompt version. */
export function costByPromptVersionQuery(): logs.QueryString {
  return new logs.QueryString({
    filterStatements: [`ispresent(${f(LOG_FIELD.promptId)})`],
    statsStatements: [`${usageStats} by ${f(LOG_FIELD.promptId)}, ${f(LOG_FIELD.promptVersion)}`],
    sort: 'cost_usd desc',
    limit: 100,
  });
}

/** The workflows (and routes) with the highest p99 latency, with their p50 and time to first token. */
export function slowestWorkflowsQuery(): logs.QueryString {
  return new logs.QueryString({
    filterStatements: [`ispresent(${f(LOG_FIELD.latencyMs)}) and ${f(LOG_FIELD.outcome)} != "${OUTCOME_REJECTED}"`],
    statsStatements: [[
      'count(*) as requests',
      `pct(${f(LOG_FIELD.latencyMs)}, 50) as p50_ms`,
      `pct(${f(LOG_FIELD.latencyMs)}, 99) as p99_ms`,
      `max(${f(LOG_FIELD.latencyMs)}) as max_ms`,
      `pct(${f(LOG_FIELD.ttftMs)}, 99) as ttft_p99_ms`,
    ].join(', ') + ` by ${f(LOG_FIELD.workflow)}, ${f(LOG_FIELD.route)}`],
    sort: 'p99_ms desc',
    limit: 25,
  });
}

/**
 * Requests that fell back, by route, the first target tried, why it failed (its attempt result:
 * `throttling`, `timeout`, ...), the target that served last and the error the client got.
 */
export function fallbacksByReasonQuery(): logs.QueryString {
  return new logs.QueryString({
    filterStatements: [`${f(LOG_FIELD.fallbacks)} > 0`],
    statsStatements: [`count(*) as fallbacks by ${[
      LOG_FIELD.route, LOG_FIELD.firstAttemptTarget, LOG_FIELD.firstAttemptResult, LOG_FIELD.target, LOG_FIELD.errorType,
    ].map(f).join(', ')}`],
    sort: 'fallbacks desc',
    limit: 100,
  });
}

/** Requests a guardrail intervened on, per tenant and route. */
export function guardrailInterventionsQuery(): logs.QueryString {
  return new logs.QueryString({
    filterStatements: [`${f(LOG_FIELD.guardrailAction)} = "${GUARDRAIL_INTERVENED}"`],
    statsStatements: [`count(*) as interventions by ${f(LOG_FIELD.tenant)}, ${f(LOG_FIELD.route)}`],
    sort: 'interventions desc',
  });
}

/**
 * Retrieval per knowledge source and tenant: searches, latency, context tokens, cost, passages the
 * gateway's own check refused (expected 0) and answers that failed grounding.
 */
export function retrievalBySourceQuery(): logs.QueryString {
  return new logs.QueryString({
    filterStatements: [`ispresent(${f(LOG_FIELD.retrievalSource)})`],
    statsStatements: [`count(*) as searches, avg(${f(LOG_FIELD.retrievalLatencyMs)}) as avg_latency_ms, `
      + `pct(${f(LOG_FIELD.retrievalLatencyMs)}, 99) as p99_latency_ms, avg(${f(LOG_FIELD.retrievalContextTokens)}) as avg_context_tokens, `
      + `sum(${f(LOG_FIELD.retrievalCostUsd)}) as retrieval_cost_usd, sum(${f(LOG_FIELD.retrievalRefused)}) as refused_passages, `
      + `sum(${f(LOG_FIELD.groundingFailures)}) as grounding_failures `
      + `by ${f(LOG_FIELD.retrievalSource)}, ${f(LOG_FIELD.tenant)}`],
    sort: 'searches desc',
    limit: 100,
  });
}

/** Per-stage latency p50 / p99 per route (traced requests), the trace chain's time budget. */
export function stageLatencyByRouteQuery(): logs.QueryString {
  const stage = (name: string) => f(`${TRACE_FIELD.stageMsPrefix}.${name}`);
  const column = (name: string) => name.replace(/\./g, '_');
  return new logs.QueryString({
    filterStatements: [`ispresent(${f(TRACE_FIELD.traceId)}) and ispresent(${f(LOG_FIELD.route)})`],
    statsStatements: [['count(*) as requests', ...TRACE_STAGES.flatMap((s) => [
      `pct(${stage(s)}, 50) as ${column(s)}_p50`, `pct(${stage(s)}, 99) as ${column(s)}_p99`,
    ])].join(', ') + ` by ${f(LOG_FIELD.route)}`],
    sort: 'requests desc',
    limit: 100,
  });
}

/** Validation-failure rate per route and prompt version (chat requests). */
export function validationFailuresQuery(): logs.QueryString {
  return new logs.QueryString({
    filterStatements: [`ispresent(${f(TRACE_FIELD.validationFailed)})`],
    statsStatements: [`count(*) as requests, sum(${f(TRACE_FIELD.validationFailed)}) as validation_failures, `
      + `100 * sum(${f(TRACE_FIELD.validationFailed)}) / count(*) as validation_failure_pct `
      + `by ${f(LOG_FIELD.route)}, ${f(LOG_FIELD.promptId)}, ${f(LOG_FIELD.promptVersion)}`],
    sort: 'validation_failure_pct desc',
    limit: 100,
  });
}

/** Feedback per workflow and prompt version: count and mean score (-10..10). */
export function feedbackByWorkflowAndPromptQuery(): logs.QueryString {
  return new logs.QueryString({
    filterStatements: [`ispresent(${f(TRACE_FIELD.feedbackScore)})`],
    statsStatements: [`count(*) as feedback, avg(${f(TRACE_FIELD.feedbackScore)}) as mean_score `
      + `by ${f(LOG_FIELD.workflow)}, ${f(LOG_FIELD.promptId)}, ${f(LOG_FIELD.promptVersion)}`],
    sort: 'feedback desc',
    limit: 100,
  });
}
