/**
 * The workload advisor's analysis: pure functions of a month's usage records, the self-hosted
 * capacity (instances billed, GPU utilisation) and the prices, to one report per workflow in the
 * terms of the decision framework — volume and steadiness, token mix, latency class, sensitivity,
 * routes and cost; token waste; capacity waste; the cost of each alternative route with its
 * break-even volume and utilisation; a recommendation with its reasons.
 */
import { GPU_INSTANCES, PUBLISHED_THROUGHPUT, ThroughputFigure, ThroughputSource } from './catalogue';
import { AdvisorRecord } from './records';
import { monthRange } from './readers';

/** Prices per 1,000 tokens of a Bedrock model. */
export interface TokenPrice {
  readonly inputUsdPer1K: number;
  readonly outputUsdPer1K: number;
  readonly cacheReadUsdPer1K?: number;
}

/** One self-hosted target's capacity in the month (from the operator, or a metrics export). */
export interface TargetCapacity {
  readonly targetId: string;
  readonly instanceType: string;
  /** Instances running all month. @default 1 */
  readonly instances?: number;
  /** Instance hours billed in the month. @default instances × the month's hours */
  readonly instanceHours?: number;
  /** @default the catalogue's on-demand price */
  readonly hourlyUsd?: number;
  /** Hourly GPU utilisation samples (`YYYY-MM-DDTHH`, percent), e.g. Container Insights `node_gpu_utilization`. */
  readonly utilization?: readonly { readonly hour: string; readonly gpuPercent: number }[];
}

export interface AdvisorInput {
  readonly month: string;
  readonly records: readonly AdvisorRecord[];
  readonly capacity?: readonly TargetCapacity[];
  /** Throughput figures beyond the catalogue's (a benchmark of your own, with its source). */
  readonly throughput?: readonly ThroughputFigure[];
  /** Bedrock prices by model id (the configuration's `prices` of its Bedrock targets). */
  readonly bedrockPrices?: Readonly<Record<string, TokenPrice>>;
  /** Where the GPU utilisation samples came from (CloudWatch, a file), or that there are none: shown with the report. */
  readonly utilizationNotes?: readonly string[];
}

export enum Steadiness {
  STEADY = 'steady',
  VARIABLE = 'variable',
  SPIKY = 'spiky',
}

export enum Recommendation {
  SELF_HOSTED_TEST = 'self-hosted may be worth testing',
  SELF_HOSTED_COST_EFFECTIVE = 'self-hosted may be cost-effective',
  BEDROCK_ON_DEMAND = 'Bedrock on-demand',
  BEDROCK_BATCH = 'Bedrock batch inference',
  REDUCE_CAPACITY = 'capacity waste: scale the self-hosted capacity down or move to Bedrock on-demand',
}

export enum AlternativeKind {
  BEDROCK_ON_DEMAND = 'bedrock-on-demand',
  BEDROCK_BATCH = 'bedrock-batch',
  BEDROCK_CACHED = 'bedrock-cached',
  SELF_HOSTED = 'self-hosted',
}

export interface Alternative {
  readonly kind: AlternativeKind;
  readonly label: string;
  /** The month's cost of the workflow's volume on it; undefined when it cannot be priced. */
  readonly monthlyUsd?: number;
  readonly note: string;
  readonly instanceType?: string;
  readonly instances?: number;
  /** Output tokens per month at which it costs as much as Bedrock on-demand. */
  readonly breakEvenOutputTokens?: number;
  /** The utilisation of its capacity at that volume. */
  readonly breakEvenUtilization?: number;
  /** The utilisation of its capacity at the workflow's volume. */
  readonly utilizationAtVolume?: number;
  readonly source?: ThroughputSource;
}

export interface WorkflowAdvice {
  readonly workflow: string;
  readonly tenants: readonly string[];
  readonly volume: {
    readonly requests: number;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly activeHoursPercent: number;
    readonly peakHourRequests: number;
    readonly meanHourRequests: number;
    /** Coefficient of variation of the hourly request counts over the month's hours. */
    readonly hourlyCv: number;
    readonly steadiness: Steadiness;
  };
  readonly tokenMix: { readonly avgInputTokens: number; readonly avgOutputTokens: number; readonly cacheReadShare: number };
  readonly latencyClass: string;
  readonly sensitivity: string;
  readonly routes: readonly { readonly route: string; readonly targetId: string; readonly provider: string; readonly requests: number; readonly costUsd: number }[];
  readonly costUsd: number;
  readonly tokenWaste: {
    readonly wasteUsd: number;
    readonly retries: number;
    readonly fallbacks: number;
    readonly failedRequests: number;
    /** Input tokens of requests naming a prompt that were not read from a cache (a stable prefix that caching could serve). */
    readonly cacheMissInputTokens: number;
    /** Requests whose input is over 8,000 tokens and over 50 times their output. */
    readonly oversizedRequests: number;
  };
  readonly alternatives: readonly Alternative[];
  readonly recommendation: Recommendation;
  readonly reasons: readonly string[];
}

export interface CapacityAdvice {
  readonly targetId: string;
  readonly instanceType: string;
  readonly instanceHours: number;
  readonly gpuCostUsd: number;
  readonly outputTokens: number;
  readonly requests: number;
  /** 0..1 */
  readonly utilization?: number;
  readonly utilizationSource: string;
  readonly wasteUsd?: number;
  /** Utilisation under {@link IDLE_UTILIZATION}: billed GPU hours that served (almost) nothing. */
  readonly capacityWaste: boolean;
}

export interface AdvisorReport {
  readonly month: string;
  readonly hoursInMonth: number;
  readonly workflows: readonly WorkflowAdvice[];
  readonly capacity: readonly CapacityAdvice[];
  /** Cost per route per day, for the chart. */
  readonly dailyRouteCost: readonly { readonly day: string; readonly route: string; readonly costUsd: number }[];
  /** Hourly GPU utilisation per self-hosted target against its break-even utilisation, for the chart. */
  readonly utilizationSeries: readonly { readonly targetId: string; readonly points: readonly { readonly hour: string; readonly percent: number }[]; readonly breakEvenPercent?: number }[];
  readonly sources: readonly ThroughputSource[];
  /** Where the GPU utilisation samples came from, or that there are none. */
  readonly utilizationNotes: readonly string[];
}

/** Thresholds of the classification, with their reasons in the report. */
export const ADVISOR_THRESHOLDS = {
  /** Hourly coefficient of variation at or under which traffic is steady. */
  steadyCv: 0.5,
  /** ... over which it is spiky. */
  spikyCv: 1.5,
  /** Share of the month's hours with traffic a steady workflow needs. */
  steadyActiveHours: 0.6,
  /** Average output tokens at or under which a workflow answers like a classifier. */
  classificationOutputTokens: 32,
  /** The utilisation a self-hosted fleet is sized for (headroom for peaks). */
  targetUtilization: 0.7,
  /** Utilisation under which billed GPU hours are capacity waste. */
  idleUtilization: 0.3,
  /** Bedrock batch inference price relative to on-demand (50 % for the models that support it). */
  batchDiscount: 0.5,
} as const;
export const IDLE_UTILIZATION = ADVISOR_THRESHOLDS.idleUtilization;

const round = (v: number, digits = 4): number => Math.round(v * 10 ** digits) / 10 ** digits;
const hourKey = (at: number): string => new Date(at).toISOString().slice(0, 13);
const SENSITIVITY_ORDER = ['public', 'internal', 'confidential', 'restricted'];

function most<T>(values: readonly T[]): T | undefined {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: T | undefined;
  let n = -1;
  for (const [v, c] of counts) if (c > n) { best = v; n = c; }
  return best;
}

function costOn(price: TokenPrice, input: number, output: number, cacheRead = 0): number {
  return (input * price.inputUsdPer1K + output * price.outputUsdPer1K + cacheRead * (price.cacheReadUsdPer1K ?? price.inputUsdPer1K)) / 1000;
}

/** The Bedrock price the workflow's alternatives are computed at: what its Bedrock requests paid, else the cheapest configured. */
function bedrockReference(records: readonly AdvisorRecord[], prices: Readonly<Record<string, TokenPrice>>): { id: string; price: TokenPrice } | undefined {
  const served = most(records.filter((r) => r.provider === 'aws.bedrock' && r.priceModelId !== undefined).map((r) => r.priceModelId!));
  if (served !== undefined && prices[served]) return { id: served, price: prices[served] };
  const blended = (p: TokenPrice) => p.inputUsdPer1K + p.outputUsdPer1K;
  const cheapest = Object.entries(prices).sort(([, a], [, b]) => blended(a) - blended(b))[0];
  return cheapest ? { id: cheapest[0], price: cheapest[1] } : undefined;
}

function throughputFigures(input: AdvisorInput, measured: readonly ThroughputFigure[]): Map<string, ThroughputFigure> {
  const figures = new Map<string, ThroughputFigure>();
  // Later entries win: published, then the operator's, then this deployment's own measurement.
  for (const f of [...PUBLISHED_THROUGHPUT, ...(input.throughput ?? []), ...measured]) figures.set(f.instanceType, f);
  return figures;
}

/** This deployment's throughput per instance type: the busiest hour's output tokens/s per instance of each self-hosted target. */
function measuredThroughput(input: AdvisorInput): ThroughputFigure[] {
  const out: ThroughputFigure[] = [];
  for (const target of input.capacity ?? []) {
    const perHour = new Map<string, number>();
    for (const r of input.records) if (r.targetId === target.targetId) perHour.set(hourKey(r.at), (perHour.get(hourKey(r.at)) ?? 0) + r.outputTokens);
    const peak = Math.max(0, ...perHour.values());
    if (peak <= 0) continue;
    const busiest = [...perHour.entries()].find(([, v]) => v === peak)![0];
    const gpu = target.utilization?.find((u) => u.hour === busiest)?.gpuPercent;
    // Only an hour the GPUs were busy says what they can do; a lower bound otherwise.
    if (gpu === undefined || gpu < 50) continue;
    out.push({
      instanceType: target.instanceType,
      outputTokensPerSecond: round((peak / 3600 / (target.instances ?? 1)) * (100 / gpu), 1),
      source: { url: `measured:${target.targetId}`, date: `${busiest.slice(0, 10)}`, note: `this deployment's busiest hour (${busiest}:00Z) on ${target.targetId}, scaled by its GPU utilisation (${gpu} %)` },
    });
  }
  return out;
}

function steadinessOf(hourly: readonly number[], activeShare: number): { cv: number; steadiness: Steadiness } {
  const mean = hourly.reduce((a, b) => a + b, 0) / Math.max(1, hourly.length);
  const variance = hourly.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, hourly.length);
  const cv = mean > 0 ? Math.sqrt(variance) / mean : 0;
  const steadiness = cv <= ADVISOR_THRESHOLDS.steadyCv && activeShare >= ADVISOR_THRESHOLDS.steadyActiveHours ? Steadiness.STEADY
    : cv > ADVISOR_THRESHOLDS.spikyCv ? Steadiness.SPIKY : Steadiness.VARIABLE;
  return { cv, steadiness };
}

function analyseWorkflow(
  workflow: string, records: readonly AdvisorRecord[], input: AdvisorInput, hours: readonly string[], figures: Map<string, ThroughputFigure>,
  capacityWaste: ReadonlySet<string>,
): WorkflowAdvice {
  const perHour = new Map<string, number>();
  const outPerHour = new Map<string, number>();
  for (const r of records) {
    perHour.set(hourKey(r.at), (perHour.get(hourKey(r.at)) ?? 0) + 1);
    outPerHour.set(hourKey(r.at), (outPerHour.get(hourKey(r.at)) ?? 0) + r.outputTokens);
  }
  const hourly = hours.map((h) => perHour.get(h) ?? 0);
  const activeShare = hourly.filter((n) => n > 0).length / hours.length;
  const { cv, steadiness } = steadinessOf(hourly, activeShare);
  const sum = (f: (r: AdvisorRecord) => number) => records.reduce((a, r) => a + f(r), 0);
  const requests = records.length;
  const inputTokens = sum((r) => r.inputTokens + r.cacheReadInputTokens + r.cacheWriteInputTokens);
  const outputTokens = sum((r) => r.outputTokens);
  const cacheRead = sum((r) => r.cacheReadInputTokens);
  const costUsd = sum((r) => r.costUsd);
  const latencyClass = most(records.map((r) => r.latencyClass ?? 'standard')) ?? 'standard';
  const sensitivity = records.map((r) => r.sensitivity ?? 'internal').sort((a, b) => SENSITIVITY_ORDER.indexOf(b) - SENSITIVITY_ORDER.indexOf(a))[0] ?? 'internal';

  const routeMap = new Map<string, { route: string; targetId: string; provider: string; requests: number; costUsd: number }>();
  for (const r of records) {
    const key = `${r.route ?? '-'}/${r.targetId ?? '-'}`;
    const row = routeMap.get(key) ?? { route: r.route ?? '-', targetId: r.targetId ?? '-', provider: r.provider ?? '-', requests: 0, costUsd: 0 };
    row.requests += 1;
    row.costUsd += r.costUsd;
    routeMap.set(key, row);
  }
  const routes = [...routeMap.values()].map((r) => ({ ...r, costUsd: round(r.costUsd) })).sort((a, b) => b.costUsd - a.costUsd);
  const tokenWaste = {
    wasteUsd: round(sum((r) => r.wasteUsd)),
    retries: sum((r) => Math.max(0, r.attempts - 1)),
    fallbacks: records.filter((r) => r.fallback).length,
    failedRequests: records.filter((r) => r.outcome !== 'success' && r.outcome !== 'rejected').length,
    cacheMissInputTokens: sum((r) => (r.promptId !== undefined ? r.inputTokens : 0)),
    oversizedRequests: records.filter((r) => r.inputTokens + r.cacheReadInputTokens > 8000 && r.inputTokens + r.cacheReadInputTokens > 50 * Math.max(1, r.outputTokens)).length,
  };

  // Alternatives, at one Bedrock reference price.
  const alternatives: Alternative[] = [];
  const reference = bedrockReference(records, input.bedrockPrices ?? {});
  const onDemand = reference ? costOn(reference.price, inputTokens, outputTokens) : undefined;
  if (reference && onDemand !== undefined) {
    alternatives.push({ kind: AlternativeKind.BEDROCK_ON_DEMAND, label: `Bedrock on-demand (${reference.id})`, monthlyUsd: round(onDemand), note: 'pay per token, no capacity to run' });
    alternatives.push({
      kind: AlternativeKind.BEDROCK_BATCH, label: `Bedrock batch (${reference.id})`, monthlyUsd: round(onDemand * ADVISOR_THRESHOLDS.batchDiscount),
      note: latencyClass === 'batch' ? 'answers within 24 h at half the on-demand price' : `answers within 24 h: only for work that can wait (latency class here: ${latencyClass})`,
    });
    if (reference.price.cacheReadUsdPer1K !== undefined) {
      const cacheable = Math.min(tokenWaste.cacheMissInputTokens, inputTokens);
      const cached = costOn(reference.price, inputTokens - cacheable, outputTokens, cacheable);
      alternatives.push({ kind: AlternativeKind.BEDROCK_CACHED, label: `Bedrock with prompt caching (${reference.id})`, monthlyUsd: round(cached),
        note: 'the input of requests naming a prompt read from the cache (an upper bound of the saving)' });
    }
  }
  const peakOutTps = Math.max(0, ...outPerHour.values()) / 3600;
  const perOutputToken = onDemand !== undefined && outputTokens > 0 ? onDemand / outputTokens : undefined;
  let bestSelfHosted: Alternative | undefined;
  for (const gpu of GPU_INSTANCES) {
    const figure = figures.get(gpu.instanceType);
    if (!figure) {
      alternatives.push({ kind: AlternativeKind.SELF_HOSTED, label: `self-hosted on ${gpu.instanceType}`, instanceType: gpu.instanceType,
        note: 'no throughput figure for this instance type: measure one (or give one in --capacity) to price it' });
      continue;
    }
    const capacityPerInstance = figure.outputTokensPerSecond * 3600 * hours.length;
    const instances = Math.max(1, Math.ceil(peakOutTps / (figure.outputTokensPerSecond * ADVISOR_THRESHOLDS.targetUtilization)));
    const monthlyUsd = instances * gpu.onDemandUsdPerHour * hours.length;
    const breakEvenOutputTokens = perOutputToken !== undefined ? gpu.onDemandUsdPerHour * hours.length / perOutputToken : undefined;
    const alternative: Alternative = {
      kind: AlternativeKind.SELF_HOSTED, label: `self-hosted on ${gpu.instanceType} (${gpu.gpus})`, instanceType: gpu.instanceType, instances,
      monthlyUsd: round(monthlyUsd, 2), note: `${instances} instance(s) always on, sized for the peak hour at ${ADVISOR_THRESHOLDS.targetUtilization * 100} % utilisation`,
      ...(breakEvenOutputTokens !== undefined ? {
        breakEvenOutputTokens: Math.round(breakEvenOutputTokens),
        breakEvenUtilization: round(breakEvenOutputTokens / capacityPerInstance),
      } : {}),
      utilizationAtVolume: round(outputTokens / (capacityPerInstance * instances)),
      source: figure.source,
    };
    alternatives.push(alternative);
    if (!bestSelfHosted || monthlyUsd < bestSelfHosted.monthlyUsd!) bestSelfHosted = alternative;
  }

  // The recommendation, in the framework's terms.
  const reasons: string[] = [];
  let recommendation: Recommendation;
  const avgOutput = requests > 0 ? outputTokens / requests : 0;
  const selfHostedTargets = routes.filter((r) => capacityWaste.has(r.targetId));
  const cheaperSelfHosted = bestSelfHosted && onDemand !== undefined && bestSelfHosted.monthlyUsd! < onDemand;
  const volumeText = `${requests} requests, ${outputTokens} output tokens this month`;
  if (selfHostedTargets.length > 0) {
    recommendation = Recommendation.REDUCE_CAPACITY;
    reasons.push(`its self-hosted target(s) ${selfHostedTargets.map((r) => r.targetId).join(', ')} used under ${IDLE_UTILIZATION * 100} % of the GPU hours billed`);
  } else if (steadiness === Steadiness.STEADY && cheaperSelfHosted && avgOutput <= ADVISOR_THRESHOLDS.classificationOutputTokens) {
    recommendation = Recommendation.SELF_HOSTED_TEST;
    reasons.push(`high-volume, repeatable classification: steady traffic (hourly CV ${round(cv, 2)}, active ${Math.round(activeShare * 100)} % of hours), `
      + `short answers (${round(avgOutput, 1)} output tokens on average)`);
    reasons.push(`${bestSelfHosted!.label} would cost ${bestSelfHosted!.monthlyUsd} USD against ${round(onDemand!, 2)} USD on Bedrock on-demand (${volumeText}); `
      + `break-even at ${bestSelfHosted!.breakEvenOutputTokens} output tokens/month (${Math.round((bestSelfHosted!.breakEvenUtilization ?? 0) * 100)} % utilisation)`);
  } else if (steadiness === Steadiness.STEADY && cheaperSelfHosted) {
    recommendation = Recommendation.SELF_HOSTED_COST_EFFECTIVE;
    reasons.push(`stable traffic (hourly CV ${round(cv, 2)}) at a volume above the break-even of ${bestSelfHosted!.label}: cost-effective while its GPU utilisation stays high `
      + `(${Math.round((bestSelfHosted!.utilizationAtVolume ?? 0) * 100)} % at this volume)`);
  } else if (latencyClass === 'batch') {
    recommendation = Recommendation.BEDROCK_BATCH;
    reasons.push('its latency class is batch: Bedrock batch inference serves it at half the on-demand price');
  } else {
    recommendation = Recommendation.BEDROCK_ON_DEMAND;
    if (steadiness !== Steadiness.STEADY) reasons.push(`${steadiness} traffic (hourly CV ${round(cv, 2)}, active ${Math.round(activeShare * 100)} % of hours): capacity would idle between peaks`);
    if (!cheaperSelfHosted) reasons.push(`volume under the self-hosted break-even (${volumeText})`);
  }
  if (sensitivity === 'restricted') reasons.push('restricted data: only routes that allow restricted requests qualify, whatever the price');
  if (tokenWaste.wasteUsd > 0) reasons.push(`token waste: ${tokenWaste.wasteUsd} USD on failed attempts, retries and cut answers`);
  return {
    workflow,
    tenants: [...new Set(records.map((r) => r.tenantId))].sort(),
    volume: {
      requests, inputTokens, outputTokens, activeHoursPercent: round(activeShare * 100, 1), peakHourRequests: Math.max(0, ...hourly),
      meanHourRequests: round(requests / hours.length, 3), hourlyCv: round(cv, 3), steadiness,
    },
    tokenMix: {
      avgInputTokens: round(requests > 0 ? inputTokens / requests : 0, 1), avgOutputTokens: round(avgOutput, 1),
      cacheReadShare: round(inputTokens > 0 ? cacheRead / inputTokens : 0),
    },
    latencyClass, sensitivity, routes, costUsd: round(costUsd), tokenWaste, alternatives, recommendation, reasons,
  };
}

/**
 * The advisor's report for a month.
 *
 * @example
 * const report = advise({ month: '2026-11', records, capacity: [{ targetId: 'vllm', instanceType: 'g6e.xlarge', instances: 2 }] });
 */
export function advise(input: AdvisorInput): AdvisorReport {
  const { start, end } = monthRange(input.month);
  const hours: string[] = [];
  for (let t = start; t < end; t += 3_600_000) hours.push(hourKey(t));
  const records = input.records.filter((r) => r.at >= start && r.at < end);
  const measured = measuredThroughput({ ...input, records });
  const figures = throughputFigures(input, measured);

  const capacity: CapacityAdvice[] = (input.capacity ?? []).map((t) => {
    const served = records.filter((r) => r.targetId === t.targetId);
    const instanceHours = t.instanceHours ?? (t.instances ?? 1) * hours.length;
    const hourlyUsd = t.hourlyUsd ?? GPU_INSTANCES.find((g) => g.instanceType === t.instanceType)?.onDemandUsdPerHour ?? 0;
    const outputTokens = served.reduce((a, r) => a + r.outputTokens, 0);
    const figure = figures.get(t.instanceType);
    let utilization: number | undefined;
    let utilizationSource = 'unknown: give GPU utilisation samples or a throughput figure';
    if (t.utilization && t.utilization.length > 0) {
      // Hours without a sample had no node running: they are not billed either.
      utilization = t.utilization.reduce((a, u) => a + u.gpuPercent, 0) / t.utilization.length / 100;
      utilizationSource = `mean of ${t.utilization.length} hourly GPU utilisation samples`;
    } else if (figure) {
      utilization = outputTokens / (figure.outputTokensPerSecond * 3600 * instanceHours);
      utilizationSource = `output tokens served / (${figure.outputTokensPerSecond} tokens/s × instance hours), ${figure.source.url}`;
    }
    const gpuCostUsd = instanceHours * hourlyUsd;
    return {
      targetId: t.targetId, instanceType: t.instanceType, instanceHours, gpuCostUsd: round(gpuCostUsd, 2), outputTokens, requests: served.length,
      ...(utilization !== undefined ? { utilization: round(utilization), wasteUsd: round(gpuCostUsd * (1 - Math.min(1, utilization)), 2) } : {}),
      utilizationSource, capacityWaste: utilization !== undefined && utilization < IDLE_UTILIZATION,
    };
  });
  const wasted = new Set(capacity.filter((c) => c.capacityWaste).map((c) => c.targetId));

  const byWorkflow = new Map<string, AdvisorRecord[]>();
  for (const r of records) {
    const list = byWorkflow.get(r.workflow);
    if (list) list.push(r);
    else byWorkflow.set(r.workflow, [r]);
  }
  const workflows = [...byWorkflow.entries()]
    .map(([w, rs]) => analyseWorkflow(w, rs, input, hours, figures, wasted))
    .sort((a, b) => b.costUsd - a.costUsd);

  const daily = new Map<string, number>();
  for (const r of records) {
    const key = `${new Date(r.at).toISOString().slice(0, 10)}|${r.route ?? '-'}`;
    daily.set(key, (daily.get(key) ?? 0) + r.costUsd);
  }
  const dailyRouteCost = [...daily.entries()].map(([k, costUsd]) => {
    const [day, route] = k.split('|');
    return { day, route, costUsd: round(costUsd) };
  }).sort((a, b) => a.day.localeCompare(b.day) || a.route.localeCompare(b.route));

  const utilizationSeries = (input.capacity ?? []).map((t) => {
    const figure = figures.get(t.instanceType);
    const gpu = GPU_INSTANCES.find((g) => g.instanceType === t.instanceType);
    const served = records.filter((r) => r.targetId === t.targetId);
    const reference = bedrockReference(served, input.bedrockPrices ?? {});
    const out = served.reduce((a, r) => a + r.outputTokens, 0);
    const onDemand = reference ? costOn(reference.price, served.reduce((a, r) => a + r.inputTokens, 0), out) : undefined;
    // Break-even: the utilisation at which the instance costs what Bedrock would for the same tokens.
    const breakEven = figure && gpu && onDemand !== undefined && out > 0
      ? (gpu.onDemandUsdPerHour / (onDemand / out)) / (figure.outputTokensPerSecond * 3600) : undefined;
    return {
      targetId: t.targetId,
      points: (t.utilization ?? []).map((u) => ({ hour: u.hour, percent: u.gpuPercent })).sort((a, b) => a.hour.localeCompare(b.hour)),
      ...(breakEven !== undefined ? { breakEvenPercent: round(breakEven * 100, 1) } : {}),
    };
  });

  const sources = [...new Map([...figures.values()].map((f) => [f.source.url + f.instanceType, f.source])).values()];
  return { month: input.month, hoursInMonth: hours.length, workflows, capacity, dailyRouteCost, utilizationSeries, sources, utilizationNotes: input.utilizationNotes ?? [] };
}
