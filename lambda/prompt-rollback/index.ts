/**
 * The handler of `PromptCanaryRollback`: invoked asynchronously by an EventBridge rule on the
 * canary alarms' state changes. The only file that knows the Lambda invocation; the logic is in
 * ./logic.ts. A failure throws, so Lambda retries the event and then sends it to the function's
 * dead-letter queue.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DYNAMODB_PROFILES } from '../clients/dynamodb';
import { documentClient } from '../clients/dynamodb-document';
import { USAGE_TABLE_ENV } from '../shared/usage-table-schema';
import { DynamoLabelStore } from '../router/prompts/label-store';
import { AlarmStateChangeEvent, parseSpecs, ROLLBACK_ALARMS_ENV, rollBack, RollbackOutcome } from './logic';

const logger = new Logger({ serviceName: 'cdk-ai-gateway-prompt-rollback' });
const specs = parseSpecs(process.env[ROLLBACK_ALARMS_ENV]);
const store = new DynamoLabelStore(
  documentClient(DYNAMODB_PROFILES.BACKGROUND),
  process.env[USAGE_TABLE_ENV] ?? '',
);

export async function handler(event: AlarmStateChangeEvent): Promise<RollbackOutcome> {
  if (typeof event?.detail?.alarmName !== 'string' || typeof event.detail.state?.value !== 'string' || typeof event.id !== 'string') {
    logger.warn('not a CloudWatch alarm state change event; nothing to do');
    return RollbackOutcome.IGNORED;
  }
  return rollBack(event, specs, store, {
    info: (message, extra) => logger.info(message, extra ?? {}),
    warn: (message, extra) => logger.warn(message, extra ?? {}),
  });
}
