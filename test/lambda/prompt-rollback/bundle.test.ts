/**
 * The shipped artefact: assets/prompt-rollback/index.mjs (built by `npm run bundle`), loaded by
 * plain Node.js as Lambda loads it, handling an EventBridge alarm event against dynalite.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoLabelStore } from '../../../lambda/router/prompts/label-store';
import { CanaryMetric } from '../../../lambda/shared/prompt-label-schema';
import { useDynalite } from '../../helpers/dynalite';
import { createUsageTable, documentClient } from '../../router/usage/usage-fixtures';

const BUNDLE = join(__dirname, '..', '..', '..', 'assets', 'prompt-rollback', 'index.mjs');

const local = useDynalite();

async function invokeTwice(table: string, event: unknown): Promise<string[]> {
  const dynamo = local();
  const script = `
    const { handler } = await import(${JSON.stringify(BUNDLE)});
    const event = ${JSON.stringify(event)};
    for (let i = 0; i < 2; i++) process.stdout.write('RESULT ' + JSON.stringify(await handler(event)) + '\\n');`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST', AWS_SECRET_ACCESS_KEY: 'test-secret', AWS_REGION: 'eu-west-1', AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      GATEWAY_USAGE_TABLE: table,
      PROMPT_ROLLBACK_ALARMS: JSON.stringify([{
        alarmName: 'canary-errors', promptId: 'support-reply', label: 'canary', canaryVersion: 4, rollbackVersion: 3, metric: CanaryMetric.ERROR_RATE, threshold: 5,
      }]),
    },
    timeout: 20_000,
  });
  return stdout.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)) as string);
}

test('the bundled handler rolls the label back once for an event delivered twice', async () => {
  const dynamo = local();
  const table = await createUsageTable(dynamo.client);
  const event = {
    'id': 'evt-bundle', 'detail-type': 'CloudWatch Alarm State Change', 'source': 'aws.cloudwatch', 'time': '2026-12-07T02:00:05Z',
    'resources': ['arn:aws:cloudwatch:eu-west-1:111122223333:alarm:canary-errors'],
    'detail': { alarmName: 'canary-errors', state: { value: 'ALARM', reason: 'Threshold Crossed', reasonData: '{"recentDatapoints":[12.5]}', timestamp: '2026-12-07T02:00:04.000+0000' } },
  };

  expect(await invokeTwice(table, event)).toEqual(['rolled_back', 'duplicate']);
  const store = new DynamoLabelStore(documentClient(dynamo.client), table);
  expect(await store.list()).toEqual([expect.objectContaining({ promptId: 'support-reply', label: 'canary', version: 3, previousVersion: 4 })]);
  expect(await store.history('support-reply')).toEqual([expect.objectContaining({ value: 12.5, threshold: 5, alarmName: 'canary-errors' })]);
});
