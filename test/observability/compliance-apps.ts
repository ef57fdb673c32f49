import { App } from 'aws-cdk-lib';
import { GatewayTransactionSearch } from '../../lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { observabilityStack } from './fixtures';

/** Apps the shared synthesis builds for gateway-observability-compliance.test.ts (test/helpers/synthesis). */

/** The default alarm topic, its key, alarms, dashboard and queries; CloudWatch Transaction Search (opt-in) beside them. */
export function defaultObservabilityApp(app: App): void {
  const { stack } = observabilityStack({ bedrockModelIds: ['anthropic.claude-3-5-haiku-20241022-v1:0'] }, app);
  new GatewayTransactionSearch(stack, 'TransactionSearch');
}

/** A topic of the user's without KMS and without a TLS-only policy. */
export function plainTopicObservabilityApp(app: App): void {
  observabilityStack({}, app, (s) => ({ alarmTopic: new sns.Topic(s, 'PlainTopic') }));
}

