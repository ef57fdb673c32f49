import { App } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { observabilityStack } from './fixtures';

/** Apps the shared synthesis builds for gateway-observability-compliance.test.ts (test/helpers/synthesis). */

/** The default alarm topic, its key, alarms, dashboard and queries. */
export function defaultObservabilityApp(app: App): void {
  observabilityStack({ bedrockModelIds: ['anthropic.claude-3-5-haiku-20241022-v1:0'] }, app);
}

/** A topic of the user's without KMS and without a TLS-only policy. */
export function plainTopicObservabilityApp(app: App): void {
  observabilityStack({}, app, (s) => ({ alarmTopic: new sns.Topic(s, 'PlainTopic') }));
}
