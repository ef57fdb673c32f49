/**
 * Idempotent multi-item writes for the ledger and the budgets: one `TransactWriteItems` per
 * (request id, phase), with a `ClientRequestToken` derived from both, so a transaction DynamoDB
 * applied but answered late (and the SDK sent again) is not applied twice. Every transaction also
 * carries a condition marker of its own (the raw record's or the in-flight item's existence), which
 * makes a repeat fail harmlessly after the token's 10-minute window too, or where tokens are not
 * honoured. Conflicts with a concurrent transaction on the same item (`TransactionConflict`) are
 * retried with jittered backoff, with the same token.
 */
import { createHash } from 'node:crypto';
import { IdempotentParameterMismatchException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { backoffDelayMs, sleep } from '../reliability/backoff';

/** The phases of a request that write to the usage table. */
export enum WritePhase {
  RESERVE = 'reserve',
  SETTLE = 'settle',
  /** A budget settled by the guard alone, without the ledger. */
  BUDGET_SETTLE = 'budget-settle',
  CORRECT = 'correct',
  RELEASE = 'release',
  FEEDBACK = 'feedback',
}

/** One item of a transaction, in the document client's shape. */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Attempts of a transaction that keeps conflicting with others, and the base of their backoff. */
export const TRANSACTION_CONFLICT_RETRIES = { maxAttempts: 6, baseDelayMs: 20, maxDelayMs: 400 } as const;

/**
 * The `ClientRequestToken` of a request's phase on a table: 36 hex characters of SHA-256 (DynamoDB
 * allows 1 to 36 characters; tokens are scoped to the account and Region, hence the table).
 *
 * @example
 * transactionToken('usage-table', 'req-1', WritePhase.SETTLE) // '5f0c…' (36 characters)
 */
export function transactionToken(tableName: string, requestId: string, phase: WritePhase): string {
  return createHash('sha256').update(`${tableName}\n${phase}\n${requestId}`).digest('hex').slice(0, 36);
}

/** What a transaction came to. */
export type TransactOutcome =
  | { readonly applied: true }
  | { readonly applied: false; readonly reasons: readonly string[] };

export interface TransactOptions {
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

/**
 * Runs one transaction. Resolves `applied`, or the cancellation reason of each item (`None`,
 * `ConditionalCheckFailed`, …) when a condition failed; `IdempotentParameterMismatch` (the token
 * was used with other parameters) resolves as a cancellation too, since the caller's condition
 * marker decides what happened. Throws anything else, and conflicts that outlast the retries.
 *
 * @example
 * const outcome = await transact(client, items, transactionToken(requestId, WritePhase.SETTLE));
 */
export async function transact(
  client: DynamoDBDocumentClient, items: readonly TransactItem[], token: string, options: TransactOptions = {},
): Promise<TransactOutcome> {
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: [...items], ClientRequestToken: token }));
      return { applied: true };
    } catch (error) {
      if (error instanceof IdempotentParameterMismatchException) return { applied: false, reasons: ['IdempotentParameterMismatch'] };
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
      const conflict = reasons.some((r) => r === 'TransactionConflict');
      if (!conflict) return { applied: false, reasons };
      if (attempt >= TRANSACTION_CONFLICT_RETRIES.maxAttempts) throw error;
      // Full jitter, capped at base × 2^attempt: the router's own retry backoff.
      await wait(backoffDelayMs(attempt + 1, TRANSACTION_CONFLICT_RETRIES, random));
    }
  }
}
