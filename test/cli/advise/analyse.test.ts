import { advise, AlternativeKind, Recommendation, Steadiness } from '../../../cli/advise/analyse';
import { fromLogLine } from '../../../cli/advise/records';
import { toLogLine } from '../../../lambda/router/telemetry/log-sink';
import { UsageRecord } from '../../../lambda/router/usage/types';
import { BEDROCK_PRICES, G6_FIGURE, idleCapacity, idleSelfHosted, MONTH, spikyAdhoc, steadyClassification, wasteful } from './ledgers';

/** The records as the advisor reads them from local-mode usage lines (the router's real log line). */
const read = (records: readonly UsageRecord[]) => records.map((r) => fromLogLine(toLogLine(r, 'CdkAiGateway'))!);

let cached: ReturnType<typeof advise> | undefined;
function report() {
  return cached ??= advise({
    month: MONTH,
    records: read([...steadyClassification(), ...spikyAdhoc(), ...idleSelfHosted(), wasteful()]),
    capacity: [idleCapacity()],
    throughput: [G6_FIGURE],
    bedrockPrices: BEDROCK_PRICES,
  });
}
const workflow = (name: string) => report().workflows.find((w) => w.workflow === name)!;

describe('workload advisor on generated ledgers', () => {
  test('a steady high-volume classification workflow is recommended for self-hosted testing, with its reasons', () => {
    const w = workflow('classify');
    expect(w.volume.steadiness).toBe(Steadiness.STEADY);
    expect(w.recommendation).toBe(Recommendation.SELF_HOSTED_TEST);
    expect(w.reasons[0]).toMatch(/^high-volume, repeatable classification: steady traffic/);
    expect(w.reasons[1]).toMatch(/self-hosted on g6\.xlarge .* would cost 579\.46 USD against \d+\.\d+ USD on Bedrock on-demand/);
  });

  test('its alternatives: on-demand, batch at half, cached, and self-hosted per instance with break-even volume and utilisation', () => {
    const w = workflow('classify');
    const onDemand = w.alternatives.find((a) => a.kind === AlternativeKind.BEDROCK_ON_DEMAND)!;
    expect(onDemand.monthlyUsd).toBeCloseTo(w.costUsd, 2); // it runs on Bedrock Sonnet already
    expect(w.alternatives.find((a) => a.kind === AlternativeKind.BEDROCK_BATCH)!.monthlyUsd).toBeCloseTo(onDemand.monthlyUsd! / 2, 2);
    const g6 = w.alternatives.find((a) => a.instanceType === 'g6.xlarge')!;
    // Break-even: the instance-month (720 h × 0.8048 USD) over Bedrock's cost per output token of this workflow.
    const perOutputToken = onDemand.monthlyUsd! / w.volume.outputTokens;
    expect(g6.breakEvenOutputTokens).toBeCloseTo((720 * 0.8048) / perOutputToken, -2);
    expect(g6.breakEvenUtilization).toBeCloseTo(g6.breakEvenOutputTokens! / (900 * 3600 * 720), 3);
    expect(g6.source).toEqual(G6_FIGURE.source);
    const g5 = w.alternatives.find((a) => a.instanceType === 'g5.xlarge')!;
    expect(g5.monthlyUsd).toBeUndefined();
    expect(g5.note).toMatch(/no throughput figure/);
    expect(w.alternatives.find((a) => a.instanceType === 'p5.48xlarge')!.source!.url).toMatch(/^https:\/\//);
  });

  test('a spiky low-volume workflow is recommended for Bedrock on-demand', () => {
    const w = workflow('adhoc');
    expect(w.volume.steadiness).toBe(Steadiness.SPIKY);
    expect(w.recommendation).toBe(Recommendation.BEDROCK_ON_DEMAND);
    expect(w.reasons[0]).toMatch(/^spiky traffic/);
  });

  test('an idle GPU route is flagged as capacity waste, and its workflow told to scale it down', () => {
    const r = report();
    expect(r.capacity).toEqual([expect.objectContaining({ targetId: 'vllm', instanceHours: 720, capacityWaste: true, requests: 90 })]);
    const c = r.capacity[0];
    expect(c.utilization).toBeLessThan(0.3);
    expect(c.wasteUsd).toBeCloseTo(720 * 1.861 * (1 - c.utilization!), 0);
    expect(workflow('drafts').recommendation).toBe(Recommendation.REDUCE_CAPACITY);
  });

  test('token waste: failed attempts, retries and fallbacks are counted', () => {
    expect(workflow('adhoc').tokenWaste).toMatchObject({ wasteUsd: 0.02, retries: 2, fallbacks: 1, failedRequests: 1 });
  });

  test('the chart data: cost per route per day, utilisation with its break-even line', () => {
    const r = report();
    expect(r.dailyRouteCost.filter((d) => d.route === 'classify')).toHaveLength(30);
    expect(r.utilizationSeries[0].points).toHaveLength(720);
    expect(r.utilizationSeries[0].breakEvenPercent).toBeUndefined(); // no figure for g6e.xlarge: no break-even line
  });

  test('a busy hour of a self-hosted target is this deployment\'s measured throughput, cited as such', () => {
    const capacity = { ...idleCapacity(), instanceType: 'g5.xlarge', utilization: [{ hour: '2026-11-01T09', gpuPercent: 80 }] };
    const r = advise({ month: MONTH, records: read(idleSelfHosted()), capacity: [capacity], bedrockPrices: BEDROCK_PRICES });
    const g5 = r.workflows[0].alternatives.find((a) => a.instanceType === 'g5.xlarge')!;
    expect(g5.source).toMatchObject({ url: 'measured:vllm', date: '2026-11-01' });
    expect(r.sources.map((s) => s.url)).toContain('measured:vllm');
  });
});
