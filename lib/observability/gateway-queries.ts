import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AiGatewayValidationError } from '../private/errors';
import {
  costByPromptVersionQuery, costByTenantQuery, fallbacksByReasonQuery, feedbackByWorkflowAndPromptQuery, guardrailInterventionsQuery,
  slowestWorkflowsQuery, stageLatencyByRouteQuery, tokensAndCostByTenantAndWorkflowQuery, validationFailuresQuery,
} from './private/queries';

/** Properties of {@link GatewayQueries}. */
export interface GatewayQueriesProps {
  /** The router's log group. */
  readonly logGroup: logs.ILogGroup;
  /**
   * The folder of the queries in the Logs Insights console: every query is named
   * `<folder>/<query>`. No `:` or `*`, no leading or trailing `/`.
   */
  readonly folder: string;
}

/**
 * Saved CloudWatch Logs Insights queries over the router's log lines, for the fields that are
 * kept out of metric dimensions (workflow, prompt version, fallback reason).
 */
export class GatewayQueries extends Construct {
  /** The folder the queries are saved in. */
  public readonly folder: string;
  /** Cost, tokens and requests per tenant. */
  public readonly costByTenant: logs.QueryDefinition;
  /** Cost, tokens and requests per tenant and workflow. */
  public readonly costByTenantAndWorkflow: logs.QueryDefinition;
  /** Cost, tokens and requests per prompt id and version. */
  public readonly costByPromptVersion: logs.QueryDefinition;
  /** Workflows and routes by p99 latency. */
  public readonly slowestWorkflows: logs.QueryDefinition;
  /** Fallbacks by route, failed first target and its failure. */
  public readonly fallbacksByReason: logs.QueryDefinition;
  /** Guardrail interventions by tenant and route. */
  public readonly guardrailInterventions: logs.QueryDefinition;
  /** Latency per pipeline stage (p50, p99) per route, from traced requests. */
  public readonly stageLatency: logs.QueryDefinition;
  /** Validation-failure rate per route and prompt version. */
  public readonly validationFailures: logs.QueryDefinition;
  /** Feedback count and mean score per workflow and prompt version. */
  public readonly feedbackScores: logs.QueryDefinition;

  constructor(scope: Construct, id: string, props: GatewayQueriesProps) {
    super(scope, id);
    if (!/^([^:*/]+\/?)*[^:*/]+$/.test(props.folder) || props.folder.length > 200) {
      throw new AiGatewayValidationError(`folder (queryFolder of GatewayObservability) must be up to 200 characters without ':' or '*' and without a leading or trailing '/', received '${props.folder}'.`, this);
    }
    this.folder = props.folder;
    const query = (qid: string, name: string, queryString: logs.QueryString) => new logs.QueryDefinition(this, qid, {
      queryDefinitionName: `${props.folder}/${name}`,
      queryString,
      logGroups: [props.logGroup],
    });
    this.costByTenant = query('CostByTenant', 'Cost by tenant', costByTenantQuery());
    this.costByTenantAndWorkflow = query('CostByTenantAndWorkflow', 'Cost by tenant and workflow', tokensAndCostByTenantAndWorkflowQuery());
    this.costByPromptVersion = query('CostByPromptVersion', 'Cost by prompt version', costByPromptVersionQuery());
    this.slowestWorkflows = query('SlowestWorkflows', 'Slowest workflows', slowestWorkflowsQuery());
    this.fallbacksByReason = query('FallbacksByReason', 'Fallbacks by reason', fallbacksByReasonQuery());
    this.guardrailInterventions = query('GuardrailInterventions', 'Guardrail interventions', guardrailInterventionsQuery());
    this.stageLatency = query('StageLatency', 'Latency per stage', stageLatencyByRouteQuery());
    this.validationFailures = query('ValidationFailures', 'Validation failures', validationFailuresQuery());
    this.feedbackScores = query('FeedbackScores', 'Feedback scores', feedbackByWorkflowAndPromptQuery());
  }
}
