import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { AlarmStateChangeEvent, alarmValue, parseSpecs, rollBack, RollbackOutcome, RollbackSpec } from '../../../lambda/prompt-rollback/logic';
import { DynamoLabelStore, FileLabelStore, MoveResult } from '../../../lambda/router/prompts/label-store';
import { CanaryMetric, LabelMoveSource, PROMPT_LABELS_PARTITION } from '../../../lambda/shared/prompt-label-schema';
import { LocalDynamo, useDynalite } from '../../helpers/dynalite';
import { createUsageTable, documentClient } from '../../router/usage/usage-fixtures';

const SPEC: RollbackSpec = {
  alarmName: 'Stack-CanaryErrorRate-ABC', promptId: 'support-reply', label: 'canary', canaryVersion: 2, rollbackVersion: 1,
  metric: CanaryMetric.ERROR_RATE, threshold: 0.05,
};

function alarmEvent(overrides: { id?: string; state?: string; alarmName?: string; timestamp?: string } = {}): AlarmStateChangeEvent {
  return {
    id: overrides.id ?? 'evt-1',
    time: '2026-12-07T02:00:05Z',
    resources: ['arn:aws:cloudwatch:eu-west-1:111122223333:alarm:Stack-CanaryErrorRate-ABC'],
    detail: {
      alarmName: overrides.alarmName ?? SPEC.alarmName,
      state: {
        value: overrides.state ?? 'ALARM',
        reason: 'Threshold Crossed: 1 datapoint [0.125 (07/12/26 01:55:00)] was greater than the threshold (0.05).',
        reasonData: JSON.stringify({ version: '1.0', recentDatapoints: [0.125], threshold: 0.05, evaluatedDatapoints: [{ timestamp: '2026-12-07T01:55:00.000+0000', value: 0.125 }] }),
        timestamp: overrides.timestamp ?? '2026-12-07T02:00:04.123+0000',
      },
    },
  };
}

const log = { info: jest.fn(), warn: jest.fn() };

describe('alarm-driven rollback against DynamoDB', () => {
  const local = useDynalite();
  let dynamo: LocalDynamo;
  let tableName: string;
  let store: DynamoLabelStore;

  beforeEach(async () => {
    dynamo = local();
    tableName = await createUsageTable(dynamo.client);
    store = new DynamoLabelStore(documentClient(dynamo.client), tableName);
  });

  test('an ALARM event moves the canary label back and records why, once', async () => {
    // Act
    const outcome = await rollBack(alarmEvent(), [SPEC], store, log);

    // Assess
    expect(outcome).toBe(RollbackOutcome.ROLLED_BACK);
    expect(await store.list()).toEqual([{
      promptId: 'support-reply', label: 'canary', version: 1, previousVersion: 2, updatedAt: '2026-12-07T02:00:04.123Z',
      source: LabelMoveSource.ALARM, actor: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:Stack-CanaryErrorRate-ABC',
      reason: expect.stringContaining('errorRatePercent of support-reply@2 was 0.125, above the threshold 0.05'),
    }]);
    const history = await store.history('support-reply');
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      eventId: 'evt-1', alarmName: SPEC.alarmName, metric: CanaryMetric.ERROR_RATE, value: 0.125, threshold: 0.05, alarmTime: '2026-12-07T02:00:04.123Z',
      version: 1, previousVersion: 2,
    });
    const item = await documentClient(dynamo.client).send(new GetCommand({ TableName: tableName, Key: { pk: PROMPT_LABELS_PARTITION, sk: 'support-reply#canary' } }));
    expect(item.Item?.version).toBe(1);
  });

  test('a replayed event writes no second history entry', async () => {
    await rollBack(alarmEvent(), [SPEC], store, log);
    dynamo.resetCounts();

    const outcome = await rollBack(alarmEvent(), [SPEC], store, log);

    expect(outcome).toBe(RollbackOutcome.DUPLICATE);
    expect(await store.history('support-reply')).toHaveLength(1);
    expect(dynamo.count('PutItem')).toBe(0);
  });

  test('a second alarm of the same canary finds the label already rolled back and writes nothing', async () => {
    await rollBack(alarmEvent(), [SPEC], store, log);
    const costSpec = { ...SPEC, alarmName: 'Stack-CanaryCost-DEF', metric: CanaryMetric.COST_PER_REQUEST, threshold: 0.01 };

    const outcome = await rollBack(alarmEvent({ id: 'evt-2', alarmName: costSpec.alarmName }), [SPEC, costSpec], store, log);

    expect(outcome).toBe(RollbackOutcome.ALREADY_ROLLED_BACK);
    expect(await store.history('support-reply')).toHaveLength(1);
  });

  test('after a promotion back to the canary, a new alarm rolls it back again', async () => {
    await rollBack(alarmEvent(), [SPEC], store, log);
    await store.move({
      promptId: 'support-reply', label: 'canary', version: 2, previousVersion: 1, updatedAt: '2026-12-07T03:00:00.000Z',
      source: LabelMoveSource.CLI, actor: 'ops', reason: 'fixed', eventId: 'cli-1',
    });

    const outcome = await rollBack(alarmEvent({ id: 'evt-3', timestamp: '2026-12-07T04:00:00.000+0000' }), [SPEC], store, log);

    expect(outcome).toBe(RollbackOutcome.ROLLED_BACK);
    expect((await store.history('support-reply')).map((e) => e.eventId)).toEqual(['evt-1', 'cli-1', 'evt-3']);
    // The first event, redelivered late, does not undo the promotion's successor.
    expect(await rollBack(alarmEvent(), [SPEC], store, log)).toBe(RollbackOutcome.DUPLICATE);
    expect((await store.history('support-reply')).map((e) => e.eventId)).toEqual(['evt-1', 'cli-1', 'evt-3']);
  });

  test('OK states and unknown alarms are ignored without a write', async () => {
    dynamo.resetCounts();
    expect(await rollBack(alarmEvent({ state: 'OK' }), [SPEC], store, log)).toBe(RollbackOutcome.IGNORED);
    expect(await rollBack(alarmEvent({ alarmName: 'other' }), [SPEC], store, log)).toBe(RollbackOutcome.IGNORED);
    expect(dynamo.count('PutItem')).toBe(0);
  });
});

describe('rollback helpers', () => {
  test('the file store behaves as the table does: once per event, not twice onto the same version', async () => {
    const store = new FileLabelStore();
    expect(await rollBack(alarmEvent(), [SPEC], store, log)).toBe(RollbackOutcome.ROLLED_BACK);
    expect(await rollBack(alarmEvent(), [SPEC], store, log)).toBe(RollbackOutcome.DUPLICATE);
    expect(await rollBack(alarmEvent({ id: 'evt-2' }), [SPEC], store, log)).toBe(RollbackOutcome.ALREADY_ROLLED_BACK);
    expect(await store.history('support-reply')).toHaveLength(1);
    expect(await store.move({ ...(await store.history('support-reply'))[0] })).toBe(MoveResult.DUPLICATE);
  });

  test('the alarm value comes from the evaluated datapoints, else the recent ones', () => {
    expect(alarmValue(JSON.stringify({ evaluatedDatapoints: [{ value: 0.3 }], recentDatapoints: [0.1] }))).toBe(0.3);
    expect(alarmValue(JSON.stringify({ recentDatapoints: [0.1, 0.2] }))).toBe(0.2);
    expect(alarmValue('not json')).toBeUndefined();
    expect(alarmValue(undefined)).toBeUndefined();
  });

  test('malformed specs are refused naming the variable', () => {
    expect(() => parseSpecs('[{"alarmName":"a"}]')).toThrow(/PROMPT_ROLLBACK_ALARMS must be a JSON array/);
    expect(parseSpecs(JSON.stringify([SPEC]))).toEqual([SPEC]);
  });
});
