/**
 * Property: for any sequence of requests and faults — answers that come late or never (the SDK
 * sends the write again), invocations that die between reservation and settlement, sweeps, replays
 * of records already written, late records of requests the sweeper already settled — the raw
 * records, the aggregates and the budget's spent amount agree exactly, nothing stays reserved and
 * no in-flight item is left once the sweeper has run.
 */
import fc from 'fast-check';
import { BudgetReservation } from '../../../lambda/router/usage/budget';
import { DynamoBudgetGuard } from '../../../lambda/router/usage/dynamo-budget';
import { DynamoUsageLedger } from '../../../lambda/router/usage/ledger';
import { UsageSweeper } from '../../../lambda/router/usage/sweeper';
import { Outcome, UsageRecord } from '../../../lambda/router/usage/types';
import { utcMonth } from '../../../lambda/shared/usage-table-schema';
import { Fault } from '../../helpers/dynamo-fault-proxy';
import { createUsageTable, documentClient, faultClient, ledgerState, sum, useUsageDynamo } from './usage-fixtures';

const LEASE_MS = 60_000;
const T0 = Date.UTC(2026, 10, 10, 12);
const noWait = { sleep: async () => undefined };

type Step =
  | { kind: 'request'; tokens: number; reserveFault?: Fault; settleFault?: Fault; crash: boolean; workflow: string }
  | { kind: 'replay'; index: number; fault?: Fault }
  | { kind: 'sweep'; fault?: Fault };

const fault = fc.option(fc.constantFrom<Fault>('drop', 'drop', 'late'), { nil: undefined, freq: 3 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({
    kind: fc.constant('request' as const), tokens: fc.integer({ min: 0, max: 5000 }), reserveFault: fault, settleFault: fault,
    crash: fc.constantFrom(false, false, false, true), workflow: fc.constantFrom('a', 'b', 'c'),
  }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replay' as const), index: fc.nat(), fault }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const), fault }) },
);

describe('the ledger under any sequence of requests and faults', () => {
  const local = useUsageDynamo({ honourTokens: false });

  test('raw records, aggregates and budget spend agree exactly', async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
      // Prepare
      const table = await createUsageTable(local.dynamo.client);
      const doc = documentClient(faultClient(local.proxy));
      const clock = { t: T0 };
      const now = () => clock.t;
      const guard = new DynamoBudgetGuard({
        client: doc, tableName: table, budgets: new Map([['acme', { monthlyUsd: 1000 }]]), settleWithLedger: true, inflightLeaseMs: LEASE_MS,
        now, log: () => undefined, transact: noWait,
      });
      const ledger = new DynamoUsageLedger({ client: doc, tableName: table, now, log: () => undefined, transact: noWait, dimensionValueCap: 2 });
      const sweeper = new UsageSweeper({ client: doc, tableName: table, ledger, now, log: () => undefined, transact: noWait });
      const written: { record: UsageRecord; reservation: BudgetReservation }[] = [];
      run++;
      // Act
      for (const [i, s] of steps.entries()) {
        clock.t += 1000;
        if (s.kind === 'sweep') {
          clock.t += LEASE_MS;
          if (s.fault) local.proxy.inject('TransactWriteItems', s.fault);
          await sweeper.sweep();
        } else if (s.kind === 'replay') {
          if (written.length === 0) continue;
          const { record, reservation } = written[s.index % written.length];
          if (s.fault) local.proxy.inject('TransactWriteItems', s.fault);
          await ledger.record(record, reservation);
        } else {
          const requestId = `p${run}-${i}`;
          if (s.reserveFault) local.proxy.inject('TransactWriteItems', s.reserveFault);
          const reservation = await guard.reserve({
            requestId, tenantId: 'acme', route: 'chat', estimatedCostUsd: 0.05, receivedAt: clock.t, recordFields: { workflow: s.workflow, stream: false },
          });
          const costUsd = Math.round(s.tokens * 0.00001 * 1e9) / 1e9;
          const record: UsageRecord = {
            requestId, timestamp: new Date(clock.t).toISOString(), operation: 'chat.completions', tenantId: 'acme', workflow: s.workflow,
            route: 'chat', priceModelId: 'm', stream: false, status: 200, outcome: Outcome.SUCCESS, attempts: 1, attemptDetails: [],
            fallback: false, inputTokens: s.tokens, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, usageEstimated: false,
            costUsd, wasteUsd: 0, wasteInputTokens: 0, wasteOutputTokens: 0, latencyMs: 10,
          };
          // A crashed invocation never settles; its record may still come later as a replay.
          written.push({ record, reservation });
          if (s.crash) continue;
          if (s.settleFault) local.proxy.inject('TransactWriteItems', s.settleFault);
          await ledger.record(record, reservation);
        }
        // A fault this step did not consume (a sweep with nothing to settle) must not land on the next one.
        local.proxy.clearFaults();
      }
      clock.t += 10 * LEASE_MS;
      await sweeper.sweep();
      // Assess
      const state = await ledgerState(local.dynamo.client, table, 'acme', utcMonth(T0));
      expect(state.inflight).toHaveLength(0);
      expect(new Set(state.raw.map((r) => r.requestId)).size).toBe(written.length);
      expect(state.raw).toHaveLength(written.length);
      expect(state.totals.requests).toBe(written.length);
      expect(state.totals.abandoned).toBe(state.raw.filter((r) => r.outcome === Outcome.ABANDONED).length);
      expect(state.totals.inputTokens).toBe(sum(state.raw, 'inputTokens'));
      expect(state.totals.costUsd).toBeCloseTo(sum(state.raw, 'costUsd'), 9);
      expect(state.budget?.spentUsd ?? 0).toBeCloseTo(state.totals.costUsd, 9);
      expect(state.budget?.reservedUsd ?? 0).toBeCloseTo(0, 9);
    }), { numRuns: 12, seed: 20261207 });
  }, 240_000);
});
