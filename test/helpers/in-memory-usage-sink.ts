import { UsageRecord, UsageSink } from '../../lambda/router/usage/types';

/** A usage sink that keeps records in memory, for tests to inspect what the router recorded. */
export class InMemoryUsageSink implements UsageSink {
  readonly records: UsageRecord[] = [];

  async record(record: UsageRecord): Promise<void> {
    this.records.push(record);
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
