import { UsageRecord, UsageSink } from '../../lambda/router/usage/types';

/** A usage sink that keeps records in memory, for tests to inspect what the router recorded. */
export class InMemoryUsageSink implements UsageSink {
  readonly records: UsageRecord[] = [];
  private readonly waiters: (() => void)[] = [];

  async record(record: UsageRecord): Promise<void> {
    this.records.push(record);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /**
   * The only record of the request just answered: the router writes it after the response, so
   * this waits for the first record (no polling), then throws unless exactly one was written.
   */
  async awaitOnly(): Promise<UsageRecord> {
    if (this.records.length === 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.only();
  }

  /** The only record; throws unless exactly one was written. */
  only(): UsageRecord {
    if (this.records.length !== 1) throw new Error(`expected exactly one usage record, found ${this.records.length}`);
    return this.records[0];
  }

  clear(): void {
    this.records.length = 0;
  }
}
