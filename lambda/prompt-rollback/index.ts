/**
 * The handler of `PromptCanaryRollback`: invoked asynchronously by an EventBridge rule on the
 * canary alarms' state changes. The only file that knows the Lambda invocation; the logic is in
 * ./logic.ts. A failure throws, so Lambda retries the event and then sends it to the function's
 * dead-letter queue.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { USAGE_TABLE_ENV } from '../shared/usage-table-schema';
import { DynamoLabelStore } from '../router/prompts/label-store';
import { AlarmStateChangeEvent, parseSpecs, ROLLBACK_ALARMS_ENV, rollBack, RollbackOutcome } from './logic';

const logger = new Logger({ serviceName: 'cdk-ai-gateway-prompt-rollback' });
const specs = parseSpecs(process.env[ROLLBACK_ALARMS_ENV]);
const store = new DynamoLabelStore(
  DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 5 }), { marshallOptions: { removeUndefinedValues: true } }),
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
