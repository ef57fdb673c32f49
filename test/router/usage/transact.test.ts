/**
 * The transaction helper: conflicts with concurrent transactions are retried with backoff and the
 * same idempotency token; a failed condition is reported, not retried; tokens are stable per
 * table, request and phase.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TRANSACTION_CONFLICT_RETRIES, transact, transactionToken, WritePhase } from '../../../lambda/router/usage/transact';

function cancelled(...codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

/** A client whose `send` answers from a script and records the commands it was given. */
function scripted(answers: (Error | undefined)[]): { client: DynamoDBDocumentClient; sent: TransactWriteCommand[] } {
  const sent: TransactWriteCommand[] = [];
  const client = {
    send: async (command: TransactWriteCommand) => {
      sent.push(command);
      const answer = answers.shift();
      if (answer) throw answer;
      return {};
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, sent };
}

describe('transact', () => {
  const item = { Put: { TableName: 't', Item: { pk: 'a', sk: 'b' } } };

  test('a conflict is retried with backoff and the same token, until it applies', async () => {
    const { client, sent } = scripted([cancelled('None', 'TransactionConflict'), cancelled('TransactionConflict'), undefined]);
    const sleeps: number[] = [];
    const outcome = await transact(client, [item], 'tok', { sleep: async (ms) => { sleeps.push(ms); }, random: () => 0.5 });
    expect(outcome).toEqual({ applied: true });
    expect(sent).toHaveLength(3);
    expect(sent.map((c) => c.input.ClientRequestToken)).toEqual(['tok', 'tok', 'tok']);
    expect(sleeps).toEqual([20, 40]);
  });

  test('a failed condition is reported with every item\'s reason, and not retried', async () => {
    const { client, sent } = scripted([cancelled('None', 'ConditionalCheckFailed')]);
    expect(await transact(client, [item, item], 'tok', { sleep: async () => undefined })).toEqual({ applied: false, reasons: ['None', 'ConditionalCheckFailed'] });
    expect(sent).toHaveLength(1);
  });

  test('conflicts that outlast the retries are thrown', async () => {
    const { client, sent } = scripted(Array.from({ length: 10 }, () => cancelled('TransactionConflict')));
    await expect(transact(client, [item], 'tok', { sleep: async () => undefined })).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(sent).toHaveLength(TRANSACTION_CONFLICT_RETRIES.maxAttempts);
  });

  test('tokens: 36 characters, stable, distinct per table, request and phase', () => {
    const t = transactionToken('usage', 'req-1', WritePhase.SETTLE);
    expect(t).toMatch(/^[0-9a-f]{36}$/);
    expect(transactionToken('usage', 'req-1', WritePhase.SETTLE)).toBe(t);
    expect(new Set([
      t, transactionToken('usage', 'req-1', WritePhase.RESERVE), transactionToken('usage', 'req-2', WritePhase.SETTLE),
      transactionToken('other', 'req-1', WritePhase.SETTLE),
    ]).size).toBe(4);
  });
});
